"""What the call flow needs from the outside world, as plain data and one Protocol.

The ``ivr`` layer implements :class:`Ports` over the database and the payment
gateway; tests implement it in memory. Nothing here imports Flask or Twilio.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Protocol


@dataclass(frozen=True)
class AccountSummary:
    """The parts of an account the flow speaks about (only after the PIN passes)."""

    id: int
    number: str
    balance_cents: int
    due_date: date

    @property
    def last4(self) -> str:
        """The last four digits of the account number."""
        return self.number[-4:]


@dataclass(frozen=True)
class PaymentRecord:
    """One past payment, for the history menu."""

    paid_on: date
    amount_cents: int
    method: str
    card_brand: str | None = None
    card_last4: str | None = None


@dataclass(frozen=True)
class CardToken:
    """A card held by the gateway's vault: a reference, its brand and last four."""

    token: str
    brand: str
    last4: str


@dataclass(frozen=True)
class BankToken:
    """A bank account held by the gateway's vault: a reference, its type and last four."""

    token: str
    account_type: str  # "checking" or "savings"
    last4: str


@dataclass(frozen=True)
class ChargeRequest:
    """Everything needed to charge a vaulted card once."""

    account_id: int
    amount_cents: int
    card: CardToken
    expiry_mmyy: str
    postal_code: str
    idempotency_key: str
    call_sid: str
    notify_number: str | None


class DeclineReason(StrEnum):
    """Why a charge failed, in the gateway-neutral terms the caller is told."""

    DECLINED = "card_declined"
    INSUFFICIENT_FUNDS = "insufficient_funds"
    EXPIRED_CARD = "expired_card"
    INCORRECT_CVC = "incorrect_cvc"
    PROCESSING_ERROR = "processing_error"


@dataclass(frozen=True)
class ChargeResult:
    """The outcome of a charge: approved with a confirmation number, or a decline reason."""

    approved: bool
    confirmation_number: str | None = None
    decline_reason: DeclineReason | None = None


class PinCheck(StrEnum):
    """Result of checking a PIN."""

    OK = "ok"
    WRONG = "wrong"
    LOCKED = "locked"


@dataclass(frozen=True)
class FlowSettings:
    """Operator settings and the date, fixed for one turn."""

    today: date
    min_payment_cents: int = 100
    agent_available: bool = False


class Ports(Protocol):
    """Lookups and actions the flow asks of the outside world."""

    def accounts_for_phone(self, e164: str) -> list[AccountSummary]:
        """Accounts whose phone number is ``e164``."""

    def find_account(self, number: str) -> AccountSummary | None:
        """The account with this account number, if any."""

    def get_account(self, account_id: int) -> AccountSummary:
        """The account by id (it exists: the flow only keeps ids it found)."""

    def check_pin(self, account_id: int, pin: str) -> PinCheck:
        """Check a PIN, counting failures towards the account's lockout."""

    def recent_payments(self, account_id: int, limit: int) -> list[PaymentRecord]:
        """The account's latest approved payments, newest first."""

    def vault_card(self, number: str) -> CardToken:
        """Hand a card number to the gateway's vault; the number goes no further."""

    def vault_security_code(self, card: CardToken, code: str) -> CardToken:
        """Attach a security code to a vaulted card; returns the token to charge."""

    def charge(self, request: ChargeRequest) -> ChargeResult:
        """Charge once per idempotency key, record the payment and queue the text."""
