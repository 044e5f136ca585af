"""What every group of database ports shares: one transaction, the gateway, the time zone,
and the biller that written notices of bank debit authorisations name."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from ivr.payments.gateways.base import PaymentGateway
from ivr.security.pin_policy import PinPolicy
from ivr.security.pins import PinHasher
from ivr.settings_production import DEV_CARD_DATA_KEY, DEV_PIN_PEPPER, card_key_bytes
from ivr.sms.notices import Biller


class PortBase:
    """State shared by the port mixins for one webhook's transaction."""

    def __init__(self, session: Session, gateway: PaymentGateway, zone: ZoneInfo,
                 secret: bytes = b"", policy: PinPolicy | None = None,
                 origin: str | None = None, card_key: bytes | None = None,
                 biller: Biller | None = None, pins: PinHasher | None = None) -> None:
        self.session = session
        self.gateway = gateway
        self.zone = zone
        self.secret = secret
        self.policy = policy or PinPolicy()
        self.origin = origin  # the call SID, for the audit trail
        # The card store's key (IVR_CARD_DATA_KEY); the development key when not given.
        self.card_key = card_key or card_key_bytes(DEV_CARD_DATA_KEY)
        self.biller = biller or Biller()  # named in the notices of bank debit authorisations
        # PIN hashes' keys (IVR_PIN_PEPPER); the development pepper when not given.
        self.pins = pins or PinHasher(DEV_PIN_PEPPER)
