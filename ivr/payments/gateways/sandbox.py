"""The offline sandbox gateway: Stripe's test cards and bank accounts, with a record of its own.

Like a real gateway it keeps every charge it carries out, keyed by the idempotency key it
came with: a replay of the key gets the first answer (and charges nothing), the same key with
another amount or token is refused, and :meth:`SandboxGateway.find_charge` looks a charge up
for reconciliation. In the app the record is a table (``sandbox_charges``) so every worker,
machine and operator command shares it; on its own (the simulator's ``<Pay>``, unit tests) it
is kept in memory.

``IVR_SANDBOX_FAULT`` rehearses outages: ``down`` refuses every request before it is carried
out; ``lost-reply`` carries the charge out and then loses the answer; ``slow`` carries it out
and answers only after :data:`SLOW_SECONDS` (time enough to stop a worker mid-charge).
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from flows.cards import card_brand
from flows.ports import DeclineReason
from ivr.errors import GatewayError, GatewayOutcomeUnknown
from ivr.payments.gateways.base import BANK, CARD, GatewayCharge, Settlement
from ivr.security.card_store import BankDetails, CardDetails
from models import SandboxCharge

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
SLOW_SECONDS = 5.0
_APPROVE = "approve"
_SETTLE = "settle"
# A token's label is the outcome it records, and tells a card's from a bank account's.
_CARD_LABELS = frozenset({_APPROVE, *(reason.value for reason in SANDBOX_OUTCOMES.values())})
_BANK_LABELS = frozenset({_SETTLE, *SANDBOX_BANK_RETURNS.values()})


@dataclass(frozen=True)
class Charged:
    """One request the sandbox carried out, as it keeps it."""

    key: str
    kind: str  # "card" | "bank"
    token: str
    amount_cents: int
    answer: GatewayCharge


class ChargeRecord(Protocol):
    """Where the sandbox keeps what it charged."""

    def keep(self, charged: Charged) -> Charged:
        """Keep ``charged`` unless its key is taken; return what is kept under the key."""

    def find(self, key: str) -> Charged | None:
        """What was charged with this idempotency key, if anything."""


class MemoryRecord:
    """The record of one process, for the simulator and unit tests."""

    def __init__(self) -> None:
        self._charges: dict[str, Charged] = {}
        self._lock = threading.Lock()

    def keep(self, charged: Charged) -> Charged:
        """Keep the first request per key."""
        with self._lock:
            return self._charges.setdefault(charged.key, charged)

    def find(self, key: str) -> Charged | None:
        """The request kept under ``key``."""
        with self._lock:
            return self._charges.get(key)


class DatabaseRecord:
    """The record in the ``sandbox_charges`` table, shared by every worker and machine.

    Each write is its own short transaction: the gateway is a separate system, and is never
    called inside the line's own transactions.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def keep(self, charged: Charged) -> Charged:
        """Insert the request; a concurrent or earlier one with the same key wins."""
        try:
            with Session(self._engine) as session, session.begin():
                session.add(_row(charged))
            return charged
        except IntegrityError:
            pass
        kept = self.find(charged.key)
        if kept is None:
            raise GatewayError("sandbox: could not record the charge")
        return kept

    def find(self, key: str) -> Charged | None:
        """The request kept under ``key``."""
        with Session(self._engine) as session:
            row = session.get(SandboxCharge, key)
            return _charged(row) if row is not None else None


def _row(charged: Charged) -> SandboxCharge:
    answer = charged.answer
    return SandboxCharge(
        idempotency_key=charged.key, kind=charged.kind, token=charged.token,
        amount_cents=charged.amount_cents, approved=answer.approved, pending=answer.pending,
        decline_reason=answer.decline_reason.value if answer.decline_reason else None,
        reference=answer.reference)


def _charged(row: SandboxCharge) -> Charged:
    reason = DeclineReason(row.decline_reason) if row.decline_reason else None
    # An approved charge's token is what keep() takes, as the in-memory answer says.
    answer = GatewayCharge(row.approved, row.reference, reason, row.pending,
                           reusable=row.token if row.approved else "")
    return Charged(row.idempotency_key, row.kind, row.token, row.amount_cents, answer)


class SandboxGateway:
    """An offline gateway that answers like Stripe's test cards and test bank accounts.

    It takes a keyed card or account whole, like a real gateway. Its tokens record the
    outcome a method on file will produce, and never the number, so any worker can charge
    one without shared memory.
    """

    name = "sandbox"
    supports_bank = True
    supports_keypad_cards = True

    def __init__(self, record: ChargeRecord | None = None,
                 fault: str | Callable[[], str] = "") -> None:
        """``fault``: the ``IVR_SANDBOX_FAULT`` to rehearse, or where to read the current one.

        The app passes a reader of its current settings, so a test (or a script's settings)
        can rehearse an outage on a gateway already built.
        """
        self._fault_source = fault
        self.record: ChargeRecord = record or MemoryRecord()

    def _fault(self) -> str:
        source = self._fault_source
        return source if isinstance(source, str) else source()

    def charge_card(self, card: CardDetails, amount_cents: int, idempotency_key: str,
                    description: str) -> GatewayCharge:
        """Approve or decline by the test card's outcome; a replayed key gets the first answer."""
        label = _card_label(card)
        token = _keyed_token(label, idempotency_key, card.number[-4:])
        return self._carry_out(Charged(idempotency_key, CARD, token, amount_cents,
                                       _card_answer(label, idempotency_key, token)))

    def debit_bank(self, bank: BankDetails, amount_cents: int, idempotency_key: str,
                   description: str) -> GatewayCharge:
        """Accept every debit as pending; the outcome shows at settlement."""
        label = _bank_label(bank)
        token = _keyed_token(label, idempotency_key, bank.account_number[-4:])
        return self._carry_out(Charged(idempotency_key, BANK, token, amount_cents,
                                       _bank_answer(label, idempotency_key, token)))

    def charge_saved(self, kind: str, token: str, amount_cents: int, idempotency_key: str,
                     description: str) -> GatewayCharge:
        """Charge a token on file (or one the simulator's <Pay> made) by the outcome it records."""
        label = _label(self.accept_token(kind, token))
        answer = _bank_answer(label, idempotency_key, token) if kind == BANK else \
            _card_answer(label, idempotency_key, token)
        return self._carry_out(Charged(idempotency_key, kind, token, amount_cents, answer))

    def keep(self, kind: str, reusable: str) -> str:
        """The sandbox's reusable tokens are already tokens on file."""
        _label(reusable)
        return reusable

    def save_card(self, card: CardDetails) -> str:
        """A token on file recording the outcome the test card will produce."""
        return f"sbx-{_card_label(card)}-{secrets.token_hex(8)}"

    def save_bank(self, bank: BankDetails) -> str:
        """A token on file recording whether the test account's debits settle."""
        return f"sbx-{_bank_label(bank)}-{secrets.token_hex(8)}"

    def accept_token(self, kind: str, token: str) -> str:
        """A <Pay> token from the simulator's emulation: a sandbox token of that kind (its
        label is a card's outcome or a bank account's)."""
        if _label(token) not in (_BANK_LABELS if kind == BANK else _CARD_LABELS):
            raise GatewayError(f"sandbox: not a {kind} token")
        return token

    def find_charge(self, idempotency_key: str) -> GatewayCharge | None:
        """What the request with this key did, or None if the sandbox never carried it out."""
        if self._fault() == "down":
            raise GatewayError("sandbox: gateway unavailable (IVR_SANDBOX_FAULT)")
        kept = self.record.find(idempotency_key)
        return kept.answer if kept is not None else None

    def settlement(self, reference: str) -> Settlement:
        """Settle or return a debit by the test account it came from."""
        if not reference.startswith("sbx-ach-"):
            raise GatewayError("not a sandbox bank debit")
        label = reference.split("-")[2]
        if label == _SETTLE:
            return Settlement("settled")
        return Settlement("returned", label)

    def _carry_out(self, request: Charged) -> GatewayCharge:
        """Record the request (or find the first one with its key), then answer, or fail to."""
        fault = self._fault()
        if fault == "down":
            raise GatewayError("sandbox: gateway unavailable (IVR_SANDBOX_FAULT)")
        kept = self.record.keep(request)
        if (kept.kind, kept.token, kept.amount_cents) != (request.kind, request.token,
                                                          request.amount_cents):
            # Stripe's idempotency_error: the key was used for another request.
            raise GatewayError("sandbox: idempotency key reused with other parameters")
        if fault == "lost-reply":
            raise GatewayOutcomeUnknown("sandbox: charged, but the reply was lost "
                                        "(IVR_SANDBOX_FAULT)")
        if fault == "slow":
            time.sleep(SLOW_SECONDS)
        return kept.answer


def _label(token: str) -> str:
    if not token.startswith("sbx-"):
        raise GatewayError("not a sandbox token")
    return token.split("-")[1]


def _card_label(card: CardDetails) -> str:
    """The test card's outcome; a card a real gateway would refuse outright is refused (a
    security code and ZIP are optional, as <Pay> may not ask for them)."""
    if not (card.number and card.expiry_mmyy) or card_brand(card.number) is None:
        raise GatewayError("sandbox: card without number or expiry, or brand not accepted")
    outcome = SANDBOX_OUTCOMES.get(card.number)
    return outcome.value if outcome else _APPROVE


def _bank_label(bank: BankDetails) -> str:
    """Whether the test account's debits settle, or the return they get."""
    if not (bank.routing.isdigit() and bank.account_number.isdigit()):
        raise GatewayError("sandbox: routing and account numbers must be digits")
    return SANDBOX_BANK_RETURNS.get(bank.account_number, _SETTLE)


def _keyed_token(label: str, key: str, last4: str) -> str:
    """The token a keyed charge leaves: the same for a replay of the key with the same card
    or account (so the replay matches), made from the key and last four, never the number."""
    digest = hashlib.sha256(f"{key}:{last4}".encode()).hexdigest()[:16]
    return f"sbx-{label}-{digest}"


def _card_answer(label: str, key: str, reusable: str) -> GatewayCharge:
    reference = f"sbx_ch_{key}"
    if label == _APPROVE:
        return GatewayCharge(approved=True, reference=reference, reusable=reusable)
    return GatewayCharge(approved=False, reference=reference, decline_reason=DeclineReason(label))


def _bank_answer(label: str, key: str, reusable: str) -> GatewayCharge:
    return GatewayCharge(approved=True, pending=True, reference=f"sbx-ach-{label}-{key}",
                         reusable=reusable)
