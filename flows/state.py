"""The call's steps, its saved state, and the decisions the flow hands back."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from enum import StrEnum
from typing import Any

from flows.speech import Prompt

MAX_FAILURES = 3  # per prompt, and wrong PINs per call


class Step(StrEnum):
    """Where the caller is. Each step asks one question (see ``flows.questions``)."""

    CONFIRM_ACCOUNT = "confirm_account"
    ACCOUNT_NUMBER = "account_number"
    PIN = "pin"
    MAIN_MENU = "main_menu"
    PAY_CHOICE = "pay_choice"
    PAY_OTHER_AMOUNT = "pay_other_amount"
    CARD_NUMBER = "card_number"
    CARD_EXPIRY = "card_expiry"
    CARD_CODE = "card_code"
    CARD_ZIP = "card_zip"
    PAY_CONFIRM = "pay_confirm"
    AFTER_PAYMENT = "after_payment"
    AFTER_DECLINE = "after_decline"
    ENDED = "ended"


@dataclass
class CallState:
    """Everything the flow remembers between webhooks.

    Saved to the database after every turn, so it must never hold a card
    number, security code or PIN: the card is kept as a vault token with its
    brand and last four digits.
    """

    call_sid: str
    caller: str | None = None
    step: Step = Step.ACCOUNT_NUMBER
    account_id: int | None = None
    verified: bool = False
    pin_failures: int = 0
    prompt_failures: int = 0
    amount_cents: int | None = None
    card: dict[str, str] | None = None
    expiry: str | None = None
    zip_code: str | None = None
    payment_attempts: int = 0
    confirmation_number: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe copy for the database."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CallState:
        """Rebuild from ``to_dict`` output, ignoring keys from other versions."""
        known = {f.name for f in fields(cls)}
        state = cls(**{k: v for k, v in data.items() if k in known})
        state.step = Step(state.step)
        return state

    def clear_payment(self) -> None:
        """Forget the payment in progress (amount and card)."""
        self.amount_cents = None
        self.clear_card()

    def clear_card(self) -> None:
        """Forget the card in progress, keeping the amount."""
        self.card = self.expiry = self.zip_code = None


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
class Reply:
    """The flow's decision for one turn: speak, then ask or end."""

    say: list[Prompt] = field(default_factory=list)
    ask: Ask | None = None
    end: EndKind | None = None


@dataclass(frozen=True)
class Event:
    """What the caller did: keyed digits, or nothing before the timeout."""

    digits: str | None

    @property
    def silent(self) -> bool:
        """True when the caller pressed nothing."""
        return not self.digits
