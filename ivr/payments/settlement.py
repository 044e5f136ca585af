"""Settle submitted bank debits, and look for the ones that come back after settling.

The balance was already lowered when a debit was submitted, so a settled debit
only becomes ``approved``; a returned one gives the amount back to the account
(both through the ledger) and texts the payer. Each payment is its own
transaction. The gateway is asked with no transaction open, and the answer is
applied only to a row still in the status it was read in that no other machine
holds (SELECT ... FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite serialises
writers), so several machines can settle at once.

A settled debit can still come back: NACHA lets the payer's bank return a consumer debit as
unauthorised (R05, R07, R10, R11) up to 60 days after settlement. So each run also asks about
the approved bank debits settled within :data:`LATE_RETURNS`, each at most once per
:data:`RECHECK`: a debit is asked about about 65 times in all, however often the job runs.
Each settled debit carries when it is next to be asked (``returns_recheck_at``, indexed, and
cleared once it will never be asked again), so a run reads only the debits due, not the
weeks of debits still watched; both queues are read a batch at a time
(:mod:`ivr.payments.batches`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Row, Select, select, tuple_
from sqlalchemy.orm import Session

from ivr.db import SessionFactory, inline, locked, transaction
from ivr.errors import GatewayError
from ivr.payments import ledger
from ivr.payments.batches import BATCH, each_row
from ivr.payments.gateways.base import PaymentGateway, Settlement
from ivr.sms.payment_texts import RETURN_CODES, text_payer
from models import Account, Payment, utcnow
from models.payment import APPROVED, PENDING, RETURNED

log = logging.getLogger(__name__)

# 60 days for the payer's bank (NACHA's limit for unauthorised-debit returns, counted from
# settlement), and a few more for the return to reach the gateway.
LATE_RETURNS = timedelta(days=65)
RECHECK = timedelta(days=1)  # how often a settled debit is asked about again
_OTHER = "other"
_SETTLED = "settled"
_RETURNED = "returned"
# A settled debit to ask about again: id, reference, when it settled, when it is due.
Recheck = Row[int, str | None, datetime | None, datetime | None]
_EXPIRED = "expired"  # a settled debit past its window for late returns: no longer asked


@dataclass(frozen=True)
class SettleSummary:
    """What one settlement run did: debits settled, returned, and still waiting; and the
    settled debits asked about again (``rechecked``), of which ``returned_late`` came back."""

    settled: int = 0
    returned: int = 0
    still_pending: int = 0
    rechecked: int = 0
    returned_late: int = 0

    def line(self) -> str:
        """One line for the operator (the late returns only when any debit was asked)."""
        line = (f"Settled {self.settled}, returned {self.returned}, "
                f"still pending {self.still_pending}")
        if self.rechecked:
            line += (f"; settled debits asked about again {self.rechecked}, "
                     f"returned late {self.returned_late}")
        return line


def settle_pending(sessions: SessionFactory, gateway: PaymentGateway,
                   now: datetime | None = None) -> SettleSummary:
    """Ask the gateway about every pending bank debit and record settlements and returns;
    then about settled debits that may still come back (see the module)."""
    now = now or utcnow()
    outcomes = [_settle_one(sessions, gateway, row.id, row.gateway_reference, now)
                for row in each_row(sessions, pending_to_settle)]
    late = [_recheck_one(sessions, gateway, row, now)
            for row in each_row(sessions, lambda after: settled_to_recheck(now, after))]
    asked = [outcome for outcome in late if outcome != _EXPIRED]
    return SettleSummary(settled=outcomes.count(_SETTLED), returned=outcomes.count(_RETURNED),
                         still_pending=outcomes.count(PENDING),
                         rechecked=len(asked), returned_late=asked.count(_RETURNED))


def pending_to_settle(after: Row[int, str | None] | None = None,
                      ) -> Select[int, str | None]:
    """The next :data:`BATCH` pending bank debits after ``after``, in id order."""
    query = (select(Payment.id, Payment.gateway_reference)
             .where(Payment.status == inline(PENDING), Payment.gateway_reference.is_not(None))
             .order_by(Payment.id).limit(BATCH))
    return query if after is None else query.where(Payment.id > after.id)


def settled_to_recheck(now: datetime, after: Recheck | None = None,
                       ) -> Select[int, str | None, datetime | None, datetime | None]:
    """The next :data:`BATCH` settled bank debits due to be asked about again, after
    ``after``, soonest due first: by their index on ``returns_recheck_at``, which only
    approved bank debits with a reference have (:func:`_settle_one` sets it, :func:`_return`
    clears it). Those past their window come too, to be taken out of it
    (:func:`_recheck_one`)."""
    query = (select(Payment.id, Payment.gateway_reference, Payment.settled_at,
                    Payment.returns_recheck_at)
             .where(Payment.returns_recheck_at <= now)
             .order_by(Payment.returns_recheck_at, Payment.id).limit(BATCH))
    if after is None:
        return query
    return query.where(tuple_(Payment.returns_recheck_at, Payment.id)
                       > tuple_(after.returns_recheck_at, after.id))


def next_recheck(settled_at: datetime | None, asked: datetime) -> datetime | None:
    """When a debit settled at ``settled_at`` and asked about at ``asked`` is asked next: a
    :data:`RECHECK` later while that is within its window, else never (None)."""
    due = asked + RECHECK
    return due if settled_at is not None and due <= settled_at + LATE_RETURNS else None


def _settle_one(sessions: SessionFactory, gateway: PaymentGateway, payment_id: int, reference: str,
                now: datetime) -> str | None:
    """Settle one debit; the outcome counted, or None when another machine recorded it."""
    try:
        answer = gateway.settlement(reference)
    except GatewayError as error:
        # Left pending: the next run asks again.
        log.warning("settlement of payment %s failed: %s", payment_id, error)
        return PENDING
    if answer.status not in (_SETTLED, _RETURNED):
        return PENDING
    with transaction(sessions) as session:
        payment = _locked(session, payment_id, PENDING)
        if payment is None:
            return None
        if answer.status == _SETTLED:
            ledger.move(session, payment, APPROVED, now=now)
            payment.settled_at = payment.returns_checked_at = now
            payment.returns_recheck_at = next_recheck(now, now)
        else:
            _return(session, payment, answer, now)
    return answer.status


def _recheck_one(sessions: SessionFactory, gateway: PaymentGateway, row: Recheck,
                 now: datetime) -> str | None:
    """Ask again about a settled debit; "returned" if it came back, else None; _EXPIRED (not
    asked) when its window for late returns has passed."""
    if row.settled_at is None or row.settled_at < now - LATE_RETURNS:
        with transaction(sessions) as session:
            payment = _locked(session, row.id, APPROVED)
            if payment is not None:
                payment.returns_recheck_at = None
        return _EXPIRED
    try:
        answer = gateway.settlement(row.gateway_reference)
    except GatewayError as error:
        log.warning("late-return check of payment %s failed: %s", row.id, error)
        return None  # not marked: the next run asks again
    with transaction(sessions) as session:
        payment = _locked(session, row.id, APPROVED)
        if payment is None:
            return None  # another machine recorded it
        payment.returns_checked_at = now
        payment.returns_recheck_at = next_recheck(payment.settled_at, now)
        if answer.status != _RETURNED:
            return None
        _return(session, payment, answer, now)
    return _RETURNED


def _locked(session: Session, payment_id: int, status: str) -> Payment | None:
    """The payment, locked, if it is still ``status`` and no other machine holds it."""
    return session.scalar(locked(
        select(Payment).where(Payment.id == payment_id, Payment.status == status),
        skip_locked=True))


def _return(session: Session, payment: Payment, answer: Settlement, now: datetime) -> None:
    """Record a returned debit (pending or settled) in the caller's transaction: the amount
    goes back on the balance, and the payer is texted why."""
    code = answer.return_code if answer.return_code in RETURN_CODES else _OTHER
    before = ledger.move(session, payment, RETURNED, decline_code=code, now=now)
    payment.returns_recheck_at = None  # nothing more can come back
    log.info("bank returned payment %s (%s) after it was %s; balance restored",
             payment.id, code, before)
    text_payer(session, payment, session.get_one(Account, payment.account_id))
