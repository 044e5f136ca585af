"""The call's steps, its saved state, and the decisions the flow hands back."""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass, field, fields
from enum import StrEnum
from typing import Any

from flows.speech import Prompt

MAX_FAILURES = 3  # per prompt, and wrong PINs per call


class Step(StrEnum):
    """Where the caller is: the step names only, saved with the call's state.

    Each step is declared in ``flows.table`` (its question, options and moves), which
    refuses to load unless it declares every name here.
    """

    CONFIRM_ACCOUNT = "confirm_account"
    ACCOUNT_NUMBER = "account_number"
    PIN = "pin"
    MAIN_MENU = "main_menu"
    # Paying: how much, when, with what.
    PAY_CHOICE = "pay_choice"
    PAY_OTHER_AMOUNT = "pay_other_amount"
    PAY_WHEN = "pay_when"
    SCHEDULE_DATE = "schedule_date"
    PAY_METHOD = "pay_method"
    CARD_NUMBER = "card_number"
    CARD_EXPIRY = "card_expiry"
    CARD_CODE = "card_code"
    CARD_ZIP = "card_zip"
    CARD_CAPTURE = "card_capture"  # Twilio <Pay> collects the card instead of this server
    BANK_TYPE = "bank_type"
    BANK_ROUTING = "bank_routing"
    BANK_ACCOUNT = "bank_account"
    BANK_ACCOUNT_AGAIN = "bank_account_again"
    PAY_CONFIRM = "pay_confirm"
    CHARGING = "charging"  # written ahead; the next request charges it while the caller holds
    AFTER_PAYMENT = "after_payment"
    AFTER_DECLINE = "after_decline"
    # Scheduled payments and AutoPay.
    MANAGE = "manage"
    CANCEL_SCHEDULED = "cancel_scheduled"
    AUTOPAY_METHOD = "autopay_method"
    AUTOPAY_CONFIRM = "autopay_confirm"
    # Payment arrangements.
    ARRANGE_COUNT = "arrange_count"
    ARRANGE_DATE = "arrange_date"
    ARRANGE_CONFIRM = "arrange_confirm"
    ENDED = "ended"


class Purpose(StrEnum):
    """What the payment method being chosen is for."""

    NOW = "now"
    SCHEDULE = "schedule"
    ARRANGEMENT = "arrangement"


@dataclass
class CallState:
    """Everything the flow remembers between webhooks.

    Saved to the database after every turn, so it must never hold a card
    number, security code or PIN: a new card or bank account is kept as a
    vault token (``source``) with its brand or type and last four digits, and
    a first bank account entry only as a keyed digest.
    """

    call_sid: str
    caller: str | None = None
    step: Step = Step.ACCOUNT_NUMBER
    account_id: int | None = None
    verified: bool = False
    pin_failures: int = 0
    prompt_failures: int = 0
    purpose: Purpose = Purpose.NOW
    amount_cents: int | None = None
    scheduled_for: str | None = None  # ISO date
    source: dict[str, Any] | None = None  # a flows.ports.PaymentSource as a dict
    bank_routing: str | None = None
    bank_fingerprint: str | None = None
    payment_attempts: int = 0
    confirmation_number: str | None = None
    save_offer: dict[str, Any] | None = None  # a new method the caller may keep on file
    arrangement: dict[str, Any] | None = None  # {"count": n, "dates": [ISO dates]}
    pending_choice: int | None = None  # id picked from a list (scheduled payment, method)

    @property
    def payment_key(self) -> str:
        """The idempotency key of this call's latest authorisation: one per attempt."""
        return f"{self.call_sid}-{self.payment_attempts}"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe copy for the database."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CallState:
        """Rebuild from ``to_dict`` output, ignoring keys from other versions.

        Nested values are copied: the state is changed in place during a turn,
        and must not change the loaded data it came from.
        """
        known = {f.name for f in fields(cls)}
        state = cls(**{k: copy.deepcopy(v) for k, v in data.items() if k in known})
        state.step = Step(state.step)
        state.purpose = Purpose(state.purpose)
        return state

    def clear_payment(self) -> None:
        """Forget the payment in progress: amount, date, method, plan."""
        self.purpose = Purpose.NOW
        self.amount_cents = None
        self.scheduled_for = None
        self.arrangement = None
        self.pending_choice = None
        self.clear_source()

    def forget_payment_details(self) -> None:
        """At the end of a call: drop every vault token and payment detail still held."""
        self.clear_payment()
        self.save_offer = None

    def clear_source(self) -> None:
        """Forget the payment method in progress, keeping the amount and date."""
        self.source = None
        self.bank_routing = None
        self.bank_fingerprint = None


@dataclass(frozen=True)
class Ask:
    """A question: prompts the caller may interrupt, and how to collect the keys."""

    prompts: list[Prompt]
    num_digits: int | None = None
    finish_on_key: str = "#"
    timeout: int = 6


class EndKind(StrEnum):
    """How a call ends."""

    HANGUP = "hangup"
    TRANSFER = "transfer"


@dataclass(frozen=True)
class Capture:
    """Have Twilio's <Pay> collect a card, so its digits never reach this server.

    ``charge_cents`` > 0 charges through the Pay Connector at once; 0 only
    tokenises the card (for a scheduled payment or an arrangement).
    """

    charge_cents: int
    description: str


@dataclass(frozen=True)
class Reply:
    """The flow's decision for one turn: speak, then ask, capture a card, carry on, or end.

    ``carry_on``: come straight back for the next turn without waiting for keys (the
    caller holds while a payment is charged).
    """

    say: list[Prompt] = field(default_factory=list)
    ask: Ask | None = None
    end: EndKind | None = None
    capture: Capture | None = None
    carry_on: bool = False


@dataclass(frozen=True)
class Event:
    """What the caller did: keyed digits, nothing before the timeout, or a <Pay> result."""

    digits: str | None
    pay: dict[str, str] | None = None

    @property
    def silent(self) -> bool:
        """True when the caller pressed nothing (and no <Pay> result came back)."""
        return not self.digits and self.pay is None
