"""Payment gateways behind one small interface; the implementations are ``gateway_*``.

A gateway vaults card and bank details as they are keyed (so a full card
number or security code never outlives the request that received it), charges
a vaulted card once per idempotency key, submits bank debits that settle or
are returned later, keeps reusable tokens for saved methods, and looks a charge
up by its idempotency key when its answer was lost.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from flows.ports import BankToken, CardToken, DeclineReason


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
    """A charge of a payment written ahead, rebuilt from its row: token, total and key.

    It sends the same request, with the same idempotency key, however many times it is
    sent, so a retried request gets the gateway's first answer instead of a second charge.
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

    def find_charge(self, idempotency_key: str) -> GatewayCharge | None:
        """Look up what the request with this key did: its answer, or None if nothing was
        charged. Raises GatewayOutcomeUnknown while the charge is still being processed, and
        GatewayError when the gateway cannot be asked."""
