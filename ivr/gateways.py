"""Payment gateways behind one small interface.

A gateway vaults card and bank details as they are keyed (so a full card
number or security code never outlives the request that received it), charges
a vaulted card once per idempotency key, submits bank debits that settle or
are returned later, and keeps reusable tokens for saved methods.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from flows.cards import card_brand
from flows.ports import BankToken, CardToken, DeclineReason
from ivr.config import ConfigError


@dataclass(frozen=True)
class GatewayCharge:
    """What the gateway said about one charge or debit.

    A card charge is approved or declined at once; a bank debit is ``pending``
    until :meth:`PaymentGateway.settlement` says it settled or was returned.
    """

    approved: bool
    reference: str
    decline_reason: DeclineReason | None = None
    pending: bool = False


@dataclass(frozen=True)
class Settlement:
    """Where a bank debit stands: still pending, settled, or returned with a reason."""

    status: str  # "pending" | "settled" | "returned"
    return_code: str | None = None


@dataclass(frozen=True)
class StoredCharge:
    """A charge of a stored card or bank token, rebuilt from the database.

    It sends the same request, with the same idempotency key, however many times it is
    sent: scheduled runs retry with it and reconciliation replays with it.
    """

    kind: str  # "card" | "bank"
    token: str
    label: str  # card brand or bank account type
    last4: str
    expiry_mmyy: str
    total_cents: int
    idempotency_key: str
    description: str

    def send(self, gateway: PaymentGateway) -> GatewayCharge:
        """Charge the card or debit the bank account."""
        if self.kind == "bank":
            return gateway.debit_bank(BankToken(self.token, self.label, self.last4),
                                      self.total_cents, self.idempotency_key, self.description)
        return gateway.charge(CardToken(self.token, self.label, self.last4), self.expiry_mmyy,
                              "", self.total_cents, self.idempotency_key, self.description)


class PaymentGateway(Protocol):
    """The interface every gateway implements."""

    name: str
    supports_bank: bool  # bank debits (ACH)
    supports_keypad_cards: bool  # vaulting card digits keyed to this server

    def vault_card(self, number: str) -> CardToken:
        """Store a card number in the gateway's vault and return a token for it."""

    def vault_security_code(self, card: CardToken, code: str) -> CardToken:
        """Attach a security code to a vaulted card; returns the token to charge."""

    def save_card(self, card: CardToken, expiry_mmyy: str) -> CardToken:
        """A reusable token for a card, to charge later without its security code."""

    def charge(self, card: CardToken, expiry_mmyy: str, postal_code: str, amount_cents: int,
               idempotency_key: str, description: str) -> GatewayCharge:
        """Charge a vaulted card. Replaying the same idempotency key returns the first result."""

    def vault_bank_account(self, routing: str, account_number: str,
                           account_type: str) -> BankToken:
        """Store a bank account in the vault; reusable for later debits."""

    def debit_bank(self, bank: BankToken, amount_cents: int, idempotency_key: str,
                   description: str) -> GatewayCharge:
        """Submit an ACH debit; pending until settled. Same key, same debit."""

    def settlement(self, reference: str) -> Settlement:
        """Where a submitted bank debit stands now."""


class GatewayError(RuntimeError):
    """The gateway refused the request or could not be reached: nothing was charged."""


class GatewayOutcomeUnknown(GatewayError):
    """The request may have been carried out but its answer was lost (timeout, 5xx, garbage).

    The payment is recorded as ``unknown``; ``ivr payments reconcile`` replays it with the
    same idempotency key, which the gateway answers with the first result.
    """


# Stripe's published test card numbers and the outcome each one produces.
SANDBOX_OUTCOMES: dict[str, DeclineReason] = {
    "4000000000000002": DeclineReason.DECLINED,
    "4000000000009995": DeclineReason.INSUFFICIENT_FUNDS,
    "4000000000000069": DeclineReason.EXPIRED_CARD,
    "4000000000000127": DeclineReason.INCORRECT_CVC,
    "4000000000000119": DeclineReason.PROCESSING_ERROR,
}
# Stripe's test bank accounts (routing 110000000) and the ACH return each one gets.
SANDBOX_BANK_RETURNS: dict[str, str] = {
    "000111111116": "no_account",
    "000111111113": "account_closed",
    "000222222227": "insufficient_funds",
    "000333333335": "debit_not_authorized",
}
_APPROVE = "approve"
_SETTLE = "settle"


class SandboxGateway:
    """An offline gateway that answers like Stripe's test cards and test bank accounts.

    Its "vault" is the token itself: the token records the outcome a card or
    bank account will produce, and never the number, so any worker can charge
    it without shared memory.
    """

    name = "sandbox"
    supports_bank = True
    supports_keypad_cards = True
    _config: Mapping[str, Any] = {}  # no faults unless built with settings

    def __init__(self, config: Mapping[str, Any] | None = None) -> None:
        # Read at each charge, so an operator or a test can rehearse an outage.
        self._config = config if config is not None else {}

    def _fault(self) -> None:
        """``IVR_SANDBOX_FAULT``: ``lost-reply`` (outcome unknown) or ``down`` (refused)."""
        fault = self._config.get("IVR_SANDBOX_FAULT", "")
        if fault == "lost-reply":
            raise GatewayOutcomeUnknown("sandbox: the reply was lost (IVR_SANDBOX_FAULT)")
        if fault == "down":
            raise GatewayError("sandbox: gateway unavailable (IVR_SANDBOX_FAULT)")

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

    def save_card(self, card: CardToken, expiry_mmyy: str) -> CardToken:
        """The sandbox's tokens are already reusable; mark it as saved."""
        self._label(card.token)
        return CardToken(token=card.token + "-saved", brand=card.brand, last4=card.last4)

    def charge(self, card: CardToken, expiry_mmyy: str, postal_code: str, amount_cents: int,
               idempotency_key: str, description: str) -> GatewayCharge:
        """Approve or decline by the test card's outcome; same key, same answer."""
        self._fault()
        label = self._label(card.token)
        reference = f"sbx_ch_{idempotency_key}"
        if label == _APPROVE:
            return GatewayCharge(approved=True, reference=reference)
        return GatewayCharge(approved=False, reference=reference,
                             decline_reason=DeclineReason(label))

    def vault_bank_account(self, routing: str, account_number: str,
                           account_type: str) -> BankToken:
        """Tokenise a bank account; whether its debits settle is fixed now."""
        if not (routing.isdigit() and account_number.isdigit()):
            raise GatewayError("routing and account numbers must be digits")
        label = SANDBOX_BANK_RETURNS.get(account_number, _SETTLE)
        return BankToken(token=f"sbx-{label}-{secrets.token_hex(8)}",
                         account_type=account_type, last4=account_number[-4:])

    def debit_bank(self, bank: BankToken, amount_cents: int, idempotency_key: str,
                   description: str) -> GatewayCharge:
        """Accept every debit as pending; the outcome shows at settlement."""
        self._fault()
        label = self._label(bank.token)
        return GatewayCharge(approved=True, pending=True,
                             reference=f"sbx-ach-{label}-{idempotency_key}")

    def settlement(self, reference: str) -> Settlement:
        """Settle or return a debit by the test account it came from."""
        if not reference.startswith("sbx-ach-"):
            raise GatewayError("not a sandbox bank debit")
        label = reference.split("-")[2]
        if label == _SETTLE:
            return Settlement("settled")
        return Settlement("returned", label)

    @staticmethod
    def _label(token: str) -> str:
        if not token.startswith("sbx-"):
            raise GatewayError("not a sandbox token")
        return token.split("-")[1]


def make_gateway(config: Mapping[str, Any]) -> PaymentGateway:
    """The gateway named by ``IVR_PAYMENT_GATEWAY``, checked against the capture mode."""
    name = config.get("IVR_PAYMENT_GATEWAY", "sandbox")
    gateway: PaymentGateway
    if name == "sandbox":
        gateway = SandboxGateway(config)
    elif name == "stripe":
        from ivr.gateway_stripe import StripeGateway

        gateway = StripeGateway.from_config(config)
    else:
        raise ConfigError(f"IVR_PAYMENT_GATEWAY={name!r} is not a known gateway "
                          "(known: sandbox, stripe)")
    if not gateway.supports_keypad_cards and config.get("IVR_CARD_CAPTURE") != "pay":
        # Keypad capture would need card digits kept between webhooks, which is forbidden.
        raise ConfigError(f"IVR_PAYMENT_GATEWAY={name} needs IVR_CARD_CAPTURE=pay: cards are "
                          "collected by Twilio's <Pay> and its Pay Connector")
    return gateway
