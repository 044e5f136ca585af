"""What the call flow needs from the outside world, as plain data and one Protocol (Ports,
implemented by ``ivr`` over the database and gateway, and in memory by tests). No Flask."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Protocol

from flows.cards import CardPart  # the parts of a card Ports.hold_card_part keeps
from flows.recording import DisputePorts


@dataclass(frozen=True)
class AccountSummary:
    """The parts of an account the flow speaks about (only after the PIN passes).

    ``balance_cents`` below zero is a credit. ``held_cents`` is what payments still being
    confirmed may have taken: it cannot be paid again until they are settled.
    """

    id: int
    number: str
    balance_cents: int
    due_date: date
    held_cents: int = 0
    name: str = ""  # the account holder, as a bank debit's authorisation names the payer
    phone: str = ""  # E.164: where texts go when the caller ID is withheld (none: empty)
    language: str = "en-US"  # the account's saved language: its calls and texts

    @property
    def last4(self) -> str:
        """The last four digits of the account number."""
        return self.number[-4:]

    @property
    def payable_cents(self) -> int:
        """What may be paid now (0 or less: nothing)."""
        return self.balance_cents - self.held_cents


@dataclass(frozen=True)
class PaymentRecord:
    """One past payment, for the history menu."""

    paid_on: date
    amount_cents: int
    method: str
    card_brand: str | None = None
    card_last4: str | None = None


@dataclass(frozen=True)
class PaymentSource:
    """How a payment is paid: a newly keyed card or bank account, or a saved method.

    ``label`` is the card brand ("Visa") or the bank account type ("checking"). A card or
    bank account keyed on this call has no ``token``: its details wait in the card store
    until it is charged. What <Pay> tokenised has the token the gateway accepted for it.
    """

    kind: str  # "card" | "bank" | "saved"
    label: str
    last4: str
    token: str = ""
    expiry_mmyy: str = ""
    postal_code: str = ""
    saved_id: int | None = None
    saved_kind: str = ""  # for saved methods: "card" | "bank"

    @property
    def is_bank(self) -> bool:
        """True for a bank account, new or saved."""
        return self.kind == "bank" or self.saved_kind == "bank"


@dataclass(frozen=True)
class PaymentOrder:
    """One payment to place: now, or scheduled for a later date."""

    account_id: int
    amount_cents: int
    fee_cents: int
    source: PaymentSource
    idempotency_key: str
    call_sid: str
    notify_number: str | None
    scheduled_for: date | None = None
    # NACHA telephone-initiated debits: the authorisation said, and the key that agreed.
    authorization_text: str | None = None
    authorization_key: str | None = None
    language: str = "en-US"  # the call's: the authorisation's written notice is in it


@dataclass(frozen=True)
class Authorization:
    """Bank debits authorised on the call (NACHA TEL): the words the caller heard, in the
    call's ``language`` (its written notice is too), ending with the key to press, and the
    key they pressed to agree."""

    text: str
    key: str
    language: str = "en-US"


@dataclass(frozen=True)
class SavedMethod:
    """A card or bank account on file."""

    id: int
    kind: str  # "card" | "bank"
    label: str  # card brand or bank account type
    last4: str
    expiry_mmyy: str | None = None


@dataclass(frozen=True)
class ScheduledPayment:
    """A payment waiting for its date."""

    id: int
    amount_cents: int
    scheduled_for: date
    kind: str  # "card" | "bank"
    label: str
    last4: str


class DeclineReason(StrEnum):
    """Why a charge failed, in the gateway-neutral terms the caller is told."""

    DECLINED = "card_declined"
    INSUFFICIENT_FUNDS = "insufficient_funds"
    EXPIRED_CARD = "expired_card"
    INCORRECT_CVC = "incorrect_cvc"
    PROCESSING_ERROR = "processing_error"
    BALANCE_CHANGED = "balance_changed"  # another payment landed first: nothing was charged
    TOO_MANY_DECLINES = "too_many_declines"  # the call or the account reached its limit
    ENTRY_LOST = "entry_lost"  # the card or account keyed is no longer held: nothing was sent
    NOT_KEPT = "not_kept"  # the gateway would not keep a new method for a later date
    NOT_AUTHORISED = "not_authorised"  # a bank debit with no complete telephone authorisation


@dataclass(frozen=True)
class ChargeResult:
    """Where a payment stands. Approved card payments and scheduled payments carry a
    confirmation number; a bank debit is approved as ``pending`` until it settles.
    ``processing``: written ahead, to be charged next. ``unknown``: it may have been charged;
    its amount is held and it is reconciled later, never charged twice. ``retry_allowed`` is
    False once the call or the account has had too many declines."""

    approved: bool
    confirmation_number: str | None = None
    decline_reason: DeclineReason | None = None
    pending: bool = False
    scheduled: bool = False
    unknown: bool = False
    processing: bool = False
    retry_allowed: bool = True
    keep_token: str = ""  # the gateway's token for a new method just paid with, to keep on file


@dataclass(frozen=True)
class KeptMethod:
    """A new card or bank account kept on file for later dates (``saved_id``), or why not."""

    saved_id: int | None = None
    refused: DeclineReason | None = None
    retry_allowed: bool = True  # False once the limits are reached


@dataclass(frozen=True)
class CaptureResult:
    """What Twilio's <Pay> did with a payment it was asked to charge (never the card)."""

    approved: bool
    reference: str = ""
    label: str = ""  # card brand
    last4: str = ""
    decline_reason: DeclineReason | None = None
    cancelled: bool = False  # the caller pressed star or hung up: nothing was charged
    unknown: bool = False  # an error that does not say whether the card was charged


class PinCheck(StrEnum):
    """Result of checking a PIN."""

    OK = "ok"
    WRONG = "wrong"
    LOCKED = "locked"  # too many wrong PINs for this account: locked for a while
    THROTTLED = "throttled"  # too many wrong PINs from this caller ID, across accounts


@dataclass(frozen=True)
class FlowSettings:
    """Operator settings and the date, fixed for one turn."""

    today: date
    min_payment_cents: int = 100
    agent_available: bool = False
    fee_flat_cents: int = 0
    fee_percent: Decimal = Decimal(0)
    biller_name: str = ""  # none set: the catalog's value.default_biller
    biller_phone: str = ""  # E.164: where payers call with questions or to revoke a debit
    language: str = "en-US"  # the line's (IVR_LANGUAGE): a call starts in it
    arrangement_max_days: int = 60
    card_capture: str = "gather"  # "gather" (keypad to this server) | "pay" (Twilio <Pay>)
    bank_payments: bool = True  # whether the gateway can debit bank accounts (needs a phone)
    lock_minutes: int = 30  # how long too many wrong PINs lock an account


class Ports(DisputePorts, Protocol):
    """Lookups and actions the flow asks of the outside world (and disputes' own)."""

    def accounts_for_phone(self, e164: str) -> list[AccountSummary]:
        """Accounts whose phone number is ``e164``."""

    def find_account(self, number: str, caller: str | None = None) -> AccountSummary | None:
        """The account with this account number, if any; a miss counts against ``caller``.
        Raises :class:`CallerThrottled` when the caller ID is refused further lookups."""

    def get_account(self, account_id: int) -> AccountSummary:
        """The account by id (it exists: the flow only keeps ids it found)."""

    def check_pin(self, account_id: int, pin: str, caller: str | None = None) -> PinCheck:
        """Check a PIN, counting failures towards the account's and the caller's limits."""

    def set_language(self, account_id: int, language: str) -> None:
        """Save the language the caller chose as the account's: its later calls and texts."""

    def recent_payments(self, account_id: int, limit: int) -> list[PaymentRecord]:
        """The account's latest approved payments, newest first."""

    def hold_card_part(self, call_sid: str, part: CardPart, value: str) -> bool:
        """Keep one part of the card the caller is keying, encrypted, outside the call state,
        until its authorisation is recorded. The number starts a new card; a later part is
        added to it, or False when the card is no longer held (swept, or the key rotated)."""

    def hold_bank_account(self, call_sid: str, routing: str, number: str,
                          account_type: str) -> None:
        """Keep the bank account the caller keyed, encrypted, until its debit is recorded."""

    def fingerprint(self, value: str) -> str:
        """A keyed one-way digest, to compare two entries without keeping either."""

    def open_payment(self, order: PaymentOrder) -> ChargeResult:
        """Write the payment ahead, once per idempotency key: ``scheduled`` (with its number)
        or ``processing`` (charged next); refused when it is more than is payable now, after
        too many declines, or for a bank debit without a complete telephone authorisation. A
        bank debit's authorisation is kept, and its written notice queued with it."""

    def payment_result(self, idempotency_key: str) -> ChargeResult:
        """Where the payment opened with this key stands now."""

    def finish_captured(self, idempotency_key: str, capture: CaptureResult) -> ChargeResult:
        """Record what Twilio's <Pay> did with the payment opened for it."""

    def keep_for_later(self, account_id: int, source: PaymentSource, call_sid: str,
                       idempotency_key: str, amount_cents: int) -> KeptMethod:
        """Keep a new method on file before payments on later dates are written with it.

        Refused, before the gateway is asked, when the call or account has had too many
        declines or ``amount_cents`` is more than is payable; a gateway's refusal counts as a
        declined attempt (under ``idempotency_key``)."""

    def accept_token(self, kind: str, token: str) -> str | None:
        """The gateway's token to keep for a card or bank account <Pay> tokenised; None when
        it refuses it (Stripe: a Customer with no PaymentMethod): nothing is kept with it."""

    def saved_methods(self, account_id: int) -> list[SavedMethod]:
        """The account's cards and bank accounts on file, oldest first."""

    def save_method(self, account_id: int, source: PaymentSource) -> SavedMethod:
        """Keep a newly keyed card or bank account on file (as a gateway token)."""

    def scheduled_payments(self, account_id: int) -> list[ScheduledPayment]:
        """The account's payments waiting for their date, soonest first."""

    def cancel_scheduled(self, account_id: int, payment_id: int) -> bool:
        """Cancel a scheduled payment of this account; False if it is no longer scheduled."""

    def autopay_method(self, account_id: int) -> SavedMethod | None:
        """The saved method AutoPay uses, or None when AutoPay is off."""

    def set_autopay(self, account_id: int, method_id: int | None,
                    authorization: Authorization | None = None,
                    notify_number: str | None = None) -> None:
        """Turn AutoPay on with a saved method, or off with None. A bank account's standing
        authorisation is kept with it (PermissionError without a complete one), and its
        written notice texted to ``notify_number`` (else the account's phone) with it."""

    def create_arrangement(self, account_id: int, instalments: list[tuple[date, int]],
                           source: PaymentSource, call_sid: str, notify_number: str | None,
                           authorization: Authorization | None) -> list[str]:
        """Schedule the instalments as one arrangement; their confirmation numbers, or none
        when they add up to more than is payable now; a bank account's authorisation is kept
        with each and its notice queued (PermissionError without a complete one)."""
