"""Payment gateways behind one small interface.

A gateway vaults card details as they are keyed (so the full number and the
security code never outlive the request that received them) and later charges
the vaulted card once per idempotency key.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from flows.cards import card_brand
from flows.ports import CardToken, DeclineReason
from ivr.config import ConfigError


@dataclass(frozen=True)
class GatewayCharge:
    """What the gateway said about one charge."""

    approved: bool
    reference: str
    decline_reason: DeclineReason | None = None


class PaymentGateway(Protocol):
    """The interface every gateway implements."""

    name: str

    def vault_card(self, number: str) -> CardToken:
        """Store a card number in the gateway's vault and return a token for it."""

    def vault_security_code(self, card: CardToken, code: str) -> CardToken:
        """Attach a security code to a vaulted card; returns the token to charge."""

    def charge(self, card: CardToken, expiry_mmyy: str, postal_code: str, amount_cents: int,
               idempotency_key: str, description: str) -> GatewayCharge:
        """Charge a vaulted card. Replaying the same idempotency key returns the first result."""


class GatewayError(RuntimeError):
    """The gateway could not be reached or answered nonsense (not a decline)."""


# Stripe's published test card numbers and the outcome each one produces.
SANDBOX_OUTCOMES: dict[str, DeclineReason] = {
    "4000000000000002": DeclineReason.DECLINED,
    "4000000000009995": DeclineReason.INSUFFICIENT_FUNDS,
    "4000000000000069": DeclineReason.EXPIRED_CARD,
    "4000000000000127": DeclineReason.INCORRECT_CVC,
    "4000000000000119": DeclineReason.PROCESSING_ERROR,
}
_APPROVE = "approve"


class SandboxGateway:
    """An offline gateway that answers like Stripe's test cards.

    Its "vault" is the token itself: the token records the outcome the card
    will produce, its brand and last four, and never the number, so any worker
    can charge it without shared memory.
    """

    name = "sandbox"

    def vault_card(self, number: str) -> CardToken:
        """Tokenise a card number; the outcome of a later charge is fixed now."""
        brand = card_brand(number)
        if brand is None:
            raise GatewayError("card brand not accepted")
        outcome = SANDBOX_OUTCOMES.get(number)
        label = outcome.value if outcome else _APPROVE
        token = f"sbx-{label}-{secrets.token_hex(8)}"
        return CardToken(token=token, brand=str(brand), last4=number[-4:])

    def vault_security_code(self, card: CardToken, code: str) -> CardToken:
        """Accept the code; the sandbox's outcome does not depend on it."""
        if not code.isdigit():
            raise GatewayError("security code must be digits")
        return CardToken(token=card.token + "-cvc", brand=card.brand, last4=card.last4)

    def charge(self, card: CardToken, expiry_mmyy: str, postal_code: str, amount_cents: int,
               idempotency_key: str, description: str) -> GatewayCharge:
        """Approve or decline by the test card's outcome; same key, same answer."""
        if not card.token.startswith("sbx-"):
            raise GatewayError("not a sandbox token")
        label = card.token.split("-")[1]
        reference = f"sbx_ch_{idempotency_key}"
        if label == _APPROVE:
            return GatewayCharge(approved=True, reference=reference)
        return GatewayCharge(approved=False, reference=reference,
                             decline_reason=DeclineReason(label))


def make_gateway(config: Mapping[str, Any]) -> PaymentGateway:
    """The gateway named by ``IVR_PAYMENT_GATEWAY``."""
    name = config.get("IVR_PAYMENT_GATEWAY", "sandbox")
    if name == "sandbox":
        return SandboxGateway()
    raise ConfigError(f"IVR_PAYMENT_GATEWAY={name!r} is not a known gateway (known: sandbox)")
