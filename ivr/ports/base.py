"""What every group of database ports shares: one transaction, the gateway, the time zone."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from ivr.payments.gateways.base import PaymentGateway
from ivr.security.pin_policy import PinPolicy


class PortBase:
    """State shared by the port mixins for one webhook's transaction."""

    def __init__(self, session: Session, gateway: PaymentGateway, zone: ZoneInfo,
                 secret: bytes = b"", policy: PinPolicy | None = None,
                 origin: str | None = None) -> None:
        self.session = session
        self.gateway = gateway
        self.zone = zone
        self.secret = secret
        self.policy = policy or PinPolicy()
        self.origin = origin  # the call SID, for the audit trail
