"""What an agent is told about a call: read from the call's saved state and its payments.

Everything comes from the database (the call's ``flow_state`` and the ``payments`` rows
with its ``CallSid``), never from what a webhook claims. Only what an agent may see is
read: the account's last four digits, its balance when the caller passed the PIN check,
and each payment's amount, status, method and last four. Never a card number, expiry,
security code, ZIP, bank routing or account number, or PIN: the call state holds none,
and no column holding one is read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from flows.state import CallState
from models import Account, CallSession, Payment
from models.payment import BANK, DECLINED, SAVED_BANK

# At most this many payments of a call are passed on (a call takes a few at most).
MAX_PAYMENTS = 10


@dataclass(frozen=True)
class PaymentFact:
    """One payment made, tried or scheduled on the call, as an agent may see it."""

    status: str  # as `ivr payments export` says it: approved, declined, pending, ...
    amount_cents: int
    fee_cents: int
    kind: str  # "card" | "bank"
    label: str  # card brand or bank account type
    last4: str
    decline_reason: str | None = None
    confirmation_number: str | None = None
    scheduled_for: date | None = None


@dataclass(frozen=True)
class CallFacts:
    """What the line knows of a call, for the agent it is handed to.

    ``balance_cents`` and ``due_date`` only once the caller passed the PIN check;
    ``last_steps`` are the step names the call moved to, oldest first.
    """

    call_sid: str
    caller: str | None
    verified: bool
    account_last4: str | None
    balance_cents: int | None
    due_date: date | None
    pin_failures: int
    declines: int
    payments: tuple[PaymentFact, ...]
    last_steps: tuple[str, ...]


def call_facts(session: Session, call_sid: str) -> CallFacts | None:
    """The facts of a call as saved, or None when there is no such call."""
    call = session.get(CallSession, call_sid)
    if call is None:
        return None
    state = CallState.from_dict(call.flow_state) if call.flow_state else \
        CallState(call_sid=call_sid)
    return facts_of(session, state)


def facts_of(session: Session, state: CallState) -> CallFacts:
    """The facts of a call whose state is ``state`` (perhaps not saved yet)."""
    account = session.get(Account, state.account_id) if state.account_id is not None else None
    payments = _payments(session, state.call_sid)
    known = account is not None and state.verified
    return CallFacts(
        call_sid=state.call_sid, caller=state.caller, verified=state.verified,
        account_last4=account.account_number[-4:] if account is not None else None,
        balance_cents=account.balance_cents if known and account else None,
        due_date=account.due_date if known and account else None,
        pin_failures=state.pin_failures,
        declines=sum(payment.status == DECLINED for payment in payments),
        payments=tuple(payments), last_steps=tuple(state.trail))


def _payments(session: Session, call_sid: str) -> list[PaymentFact]:
    """The call's payments, oldest first."""
    query = (select(Payment).where(Payment.call_sid == call_sid)
             .order_by(Payment.created_at, Payment.id).limit(MAX_PAYMENTS))
    return [_fact(payment) for payment in session.scalars(query)]


def _fact(payment: Payment) -> PaymentFact:
    bank = payment.method in (BANK, SAVED_BANK)
    return PaymentFact(
        status=payment.status, amount_cents=payment.amount_cents, fee_cents=payment.fee_cents,
        kind="bank" if bank else "card",
        label=(payment.bank_account_type if bank else payment.card_brand) or "",
        last4=(payment.bank_last4 if bank else payment.card_last4) or "",
        decline_reason=payment.decline_code, confirmation_number=payment.confirmation_number,
        scheduled_for=payment.scheduled_for)
