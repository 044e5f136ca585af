"""Ports for what Twilio's ``<Pay>`` tokenised: checked by the gateway as soon as it reports.

A token the gateway could not charge later (for Stripe, a Customer that names no
PaymentMethod) is refused at once, so the caller hears why before anything is read back,
kept or scheduled with it. The check may ask the gateway (Stripe reads the PaymentMethod
to learn its Customer, in one short request); no money moves.
"""

from __future__ import annotations

import logging

from ivr.errors import GatewayError
from ivr.ports.base import PortBase

log = logging.getLogger(__name__)


class TokenPorts(PortBase):
    """Accepting <Pay>'s tokens."""

    def accept_token(self, kind: str, token: str) -> str | None:
        """The gateway's token to keep for what <Pay> tokenised; None when it refuses it
        (logged with the gateway's reason, which never quotes the token)."""
        try:
            return self.gateway.accept_token(kind, token)
        except GatewayError as error:
            log.warning("call %s: the gateway refused <Pay>'s token: %s", self.origin, error)
            return None
