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
:data:`RECHECK` (``returns_checked_at``): the query is bounded by age on an indexed column,
and a debit is asked about about 65 times in all, however often the job runs.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from ivr.db import SessionFactory, locked, transaction
from ivr.errors import GatewayError
from ivr.payments import ledger
from ivr.payments.gateways.base import PaymentGateway, Settlement
from ivr.sms.payment_texts import RETURN_CODES, text_payer
from models import Account, Payment, utcnow
from models.payment import APPROVED, BANK, PENDING, RETURNED, SAVED_BANK

log = logging.getLogger(__name__)

# 60 days for the payer's bank (NACHA's limit for unauthorised-debit returns, counted from
# settlement), and a few more for the return to reach the gateway.
LATE_RETURNS = timedelta(days=65)
RECHECK = timedelta(days=1)  # how often a settled debit is asked about again
_OTHER = "other"
_SETTLED = "settled"
_RETURNED = "returned"


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
    with transaction(sessions) as session:
        pending = session.execute(
            select(Payment.id, Payment.gateway_reference)
            .where(Payment.status == PENDING, Payment.gateway_reference.is_not(None))
            .order_by(Payment.id)).all()
        settled = session.execute(settled_to_recheck(now)).all()
    outcomes = [_settle_one(sessions, gateway, row.id, row.gateway_reference, now)
                for row in pending]
    late = [_recheck_one(sessions, gateway, row.id, row.gateway_reference, now)
            for row in settled]
    return SettleSummary(settled=outcomes.count(_SETTLED), returned=outcomes.count(_RETURNED),
                         still_pending=outcomes.count(PENDING),
                         rechecked=len(late), returned_late=late.count(_RETURNED))


def settled_to_recheck(now: datetime) -> Select[int, str | None]:
    """Approved bank debits settled within LATE_RETURNS and not asked about for RECHECK."""
    return (select(Payment.id, Payment.gateway_reference)
            .where(Payment.settled_at >= now - LATE_RETURNS,
                   Payment.status == APPROVED, Payment.method.in_((BANK, SAVED_BANK)),
                   Payment.gateway_reference.is_not(None),
                   or_(Payment.returns_checked_at.is_(None),
                       Payment.returns_checked_at <= now - RECHECK))
            .order_by(Payment.id))


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
        else:
            _return(session, payment, answer, now)
    return answer.status


def _recheck_one(sessions: SessionFactory, gateway: PaymentGateway, payment_id: int,
                 reference: str, now: datetime) -> str | None:
    """Ask again about a settled debit; "returned" if it came back, else None."""
    try:
        answer = gateway.settlement(reference)
    except GatewayError as error:
        log.warning("late-return check of payment %s failed: %s", payment_id, error)
        return None  # not marked checked: the next run asks again
    with transaction(sessions) as session:
        payment = _locked(session, payment_id, APPROVED)
        if payment is None:
            return None  # another machine recorded it
        payment.returns_checked_at = now
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
    log.info("bank returned payment %s (%s) after it was %s; balance restored",
             payment.id, code, before)
    text_payer(session, payment, session.get_one(Account, payment.account_id))
