"""The call's steps, its saved state, and (from :mod:`flows.replies`, re-exported here) the
decisions the flow hands back."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from datetime import date
from enum import StrEnum
from typing import Any

from flows.draft import (
    Method,
    PaymentDraft,
    from_legacy,
    source_from_dict,
)
from flows.errors import DraftError
from flows.ports import PaymentSource
from flows.replies import Ask, Capture, EndKind, Event, Reply
from flows.speech import DEFAULT_LANGUAGE

__all__ = ["MAX_FAILURES", "TRAIL_LENGTH", "Ask", "CallState", "Capture", "EndKind", "Event",
           "Heard", "Reply", "Step"]

MAX_FAILURES = 3  # per prompt, and wrong PINs per call
TRAIL_LENGTH = 8  # the steps a call remembers having moved to, for an agent to see
_TURN_ONLY = ("moved", "chosen")  # CallState's notes on one turn, which are never saved


class Step(StrEnum):
    """Where the caller is: the step names only, saved with the call's state.

    Each step is declared in ``flows.table`` (its question, options and moves), which
    refuses to load unless it declares every name here.
    """

    CONFIRM_ACCOUNT = "confirm_account"
    ACCOUNT_NUMBER = "account_number"
    PIN = "pin"
    PAY_NOW = "pay_now"  # after the PIN: the balance, and paying it now by card, bank or saved
    MAIN_MENU = "main_menu"  # "more options": everything else
    NEXT_STEPS = "next_steps"  # after an answer (the history): pay now, or more options
    # Paying another amount or on a later date, and with what.
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
    BANK_CAPTURE = "bank_capture"  # ... or the bank account, kept as a token to debit
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
    # Questioning a charge: a recorded message becomes a dispute case.
    DISPUTE_RECORD = "dispute_record"
    DISPUTE_EMPTY = "dispute_empty"
    DISPUTE_DONE = "dispute_done"
    # Agents: put through to one, or, when none can take the call, a callback request.
    AGENT = "agent"  # the call was put through (rung) to an agent
    CALLBACK_OFFER = "callback_offer"
    CALLBACK_NUMBER = "callback_number"
    CALLBACK_ENTRY = "callback_entry"
    CALLBACK_CONFIRM = "callback_confirm"
    ENDED = "ended"


@dataclass(frozen=True)
class Heard:
    """The terms read at a confirm step, kept with the call until the caller answers there.

    Agreeing agrees to these, as they were said: the day may pass midnight, or an operator
    change the fee, between the reading and the key press. ``authorization`` is a bank
    debit's telephone authorisation (NACHA TEL), rendered in the call's language and ending
    with the option that agrees; ``fee_cents`` the convenience fee said (the total read back
    is the amount and this fee). ``on`` is the day they were read: an authorisation names
    it ("Today, ...") and its dates, so one agreed to on another day is read again first.
    """

    step: Step
    fee_cents: int = 0
    authorization: str | None = None
    on: date | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe copy for the database."""
        return {"step": str(self.step), "fee_cents": self.fee_cents,
                "authorization": self.authorization,
                "on": self.on.isoformat() if self.on else None}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Heard:
        """Rebuild from ``to_dict`` output."""
        on = data.get("on")
        return cls(Step(data["step"]), int(data["fee_cents"]), data.get("authorization"),
                   date.fromisoformat(on) if on else None)


@dataclass
class CallState:
    """Everything the flow remembers between webhooks.

    Saved to the database after every turn, so it must never hold a card
    number, expiry, security code or PIN: a new card or bank account is kept in
    the draft only as its brand or type and last four digits (the card itself
    waits encrypted in the card store), and a first bank account entry only as a
    keyed digest.
    """

    call_sid: str
    caller: str | None = None
    step: Step = Step.ACCOUNT_NUMBER
    account_id: int | None = None
    verified: bool = False
    pin_failures: int = 0
    prompt_failures: int = 0
    draft: PaymentDraft | None = None  # the payment being built, once an amount is chosen
    payment_attempts: int = 0
    confirmation_number: str | None = None
    save_offer: PaymentSource | None = None  # a new method the caller may keep on file
    pending_choice: int | None = None  # id picked from a list (scheduled payment, method)
    heard: Heard | None = None  # the terms last read at a confirm step (none before this version)
    # How the caller likes to be spoken to: slower prompts (they pressed 8), and whether they
    # have answered by voice (the words themselves are never kept: they may hold a secret).
    slower: bool = False
    spoken: bool = False
    dispute_case: str | None = None  # the case number of the charge questioned on this call
    trail: list[str] = field(default_factory=list)  # the latest steps moved to, oldest first
    callback_number: str | None = None  # E.164: the number a callback request is being made for
    callback_saved: bool = False  # this call has left a callback request
    # The catalog the call is said in (flows.languages), and whether the caller chose it.
    language: str = DEFAULT_LANGUAGE
    language_chosen: bool = False
    hints_said: list[str] = field(default_factory=list)  # hints said once a call (hint_once)
    # What the turn being taken did, for the call log: the steps it moved to, in order, and
    # the menu option chosen (``Option.name``). Never saved, nor compared: each turn starts
    # with none.
    moved: list[str] = field(default_factory=list, compare=False)
    chosen: str | None = field(default=None, compare=False)

    @property
    def payment_key(self) -> str:
        """The idempotency key of this call's latest authorisation: one per attempt."""
        return f"{self.call_sid}-{self.payment_attempts}"

    @property
    def chosen_account_id(self) -> int:
        """The caller's chosen account (a step that speaks about it comes after the choice)."""
        if self.account_id is None:
            raise LookupError("no account chosen yet")
        return self.account_id

    @property
    def payment(self) -> PaymentDraft:
        """The payment being built (the steps after the amount always have one)."""
        if self.draft is None:
            raise DraftError("no payment in progress")
        return self.draft

    @property
    def heard_here(self) -> Heard | None:
        """The terms read at this step, which a key press here agrees to (None when the call
        was saved by a version that kept none)."""
        return self.heard if self.heard is not None and self.heard.step is self.step else None

    @property
    def method_to_keep(self) -> PaymentSource:
        """The new method paid with, offered to keep on file (only offered when there is one)."""
        if self.save_offer is None:
            raise DraftError("no new method to keep on file")
        return self.save_offer

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe copy for the database."""
        data = {f.name: getattr(self, f.name) for f in fields(self)
                if f.name not in _TURN_ONLY}
        data["trail"] = list(self.trail)
        data["draft"] = self.draft.to_dict() if self.draft else None
        data["save_offer"] = asdict(self.save_offer) if self.save_offer else None
        data["heard"] = self.heard.to_dict() if self.heard else None
        data["hints_said"] = list(self.hints_said)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any], language: str | None = None) -> CallState:
        """Rebuild from ``to_dict`` output (or the previous version's), ignoring unknown keys.

        The previous version kept the draft as flat keys (``amount_cents``, ``source``, ...);
        a call saved by it mid-flight is read from those. A call saved before calls had a
        language of their own is in ``language``, the line's (when given).
        """
        known = {f.name for f in fields(cls)} - {"draft", "save_offer", "heard", *_TURN_ONLY}
        state = cls(**{k: v for k, v in data.items() if k in known})
        if "language" not in data and language is not None:
            state.language = language
        state.step = Step(state.step)
        state.hints_said = [str(hint) for hint in state.hints_said]  # a copy: never the data's
        if "draft" not in data:  # saved by the previous version
            state.draft = from_legacy(data)
        elif data["draft"] is not None:
            state.draft = PaymentDraft.from_dict(data["draft"])
        offer = data.get("save_offer")
        state.save_offer = source_from_dict(offer) if offer else None
        heard = data.get("heard")
        state.heard = Heard.from_dict(heard) if heard else None
        return state

    def went_to(self, step: Step) -> None:
        """Remember that the call moved to ``step``: the latest :data:`TRAIL_LENGTH` are kept,
        for an agent to see where the caller has been."""
        self.trail = [*self.trail, str(step)][-TRAIL_LENGTH:]
        self.moved.append(str(step))

    def new_turn(self) -> None:
        """Forget what the previous turn did (``moved``, ``chosen``): a new one is taken."""
        self.moved = []
        self.chosen = None

    def hint_once(self, hint: str) -> bool:
        """True the first time ``hint`` is asked about in this call (it is then said), False
        after: "to repeat" at the first menu, "to cancel" at the first entry that may cancel."""
        if hint in self.hints_said:
            return False
        self.hints_said.append(hint)
        return True

    def clear_payment(self) -> None:
        """Forget the payment in progress: amount, date, method, plan, and the terms read."""
        self.draft = None
        self.pending_choice = None
        self.heard = None

    def forget_payment_details(self) -> None:
        """At the end of a call: drop every gateway token and payment detail still held."""
        self.clear_payment()
        self.save_offer = None

    def choose_method(self, method: Method) -> None:
        """Set the payment's method (or the entry of a new one), keeping the amount and date."""
        self.draft = replace(self.payment, method=method)

    def clear_source(self) -> None:
        """Forget the payment method in progress, keeping the amount and date."""
        if self.draft is not None:
            self.draft = replace(self.draft, method=None)
