"""Settle submitted bank debits: ask the gateway where each stands and record the answer.

The balance was already lowered when a debit was submitted, so a settled debit
only becomes ``approved``; a returned one gives the amount back to the account
(both through the ledger) and texts the payer. Each payment is its own
transaction. The gateway is asked with no transaction open, and the answer is
applied only to a row still ``pending`` that no other machine holds (SELECT ...
FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite serialises writers), so several
machines can settle at once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.db import SessionFactory, transaction
from ivr.errors import GatewayError
from ivr.payments import ledger
from ivr.payments.gateways.base import PaymentGateway, Settlement
from ivr.sms.payment_texts import RETURN_CODES, text_payer
from models import Account, Payment, utcnow
from models.payment import APPROVED, PENDING, RETURNED

log = logging.getLogger(__name__)

_OTHER = "other"
_SETTLED = "settled"
_RETURNED = "returned"


@dataclass(frozen=True)
class SettleSummary:
    """What one settlement run did: debits settled, returned, and still waiting."""

    settled: int = 0
    returned: int = 0
    still_pending: int = 0


def settle_pending(sessions: SessionFactory, gateway: PaymentGateway,
                   now: datetime | None = None) -> SettleSummary:
    """Ask the gateway about every pending bank debit and record settlements and returns."""
    now = now or utcnow()
    with transaction(sessions) as session:
        rows = session.execute(
            select(Payment.id, Payment.gateway_reference)
            .where(Payment.status == PENDING, Payment.gateway_reference.is_not(None))
            .order_by(Payment.id)).all()
    outcomes = [_settle_one(sessions, gateway, row.id, row.gateway_reference, now) for row in rows]
    return SettleSummary(settled=outcomes.count(_SETTLED), returned=outcomes.count(_RETURNED),
                         still_pending=outcomes.count(PENDING))


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
        payment = session.scalar(
            select(Payment).where(Payment.id == payment_id, Payment.status == PENDING)
            .with_for_update(skip_locked=True))
        if payment is None:
            return None
        _apply(session, payment, answer, now)
    return answer.status


def _apply(session: Session, payment: Payment, answer: Settlement, now: datetime) -> None:
    """Record a settled or returned debit in the caller's transaction."""
    if answer.status == _SETTLED:
        ledger.move(session, payment, APPROVED, now=now)
        payment.settled_at = now
        return
    code = answer.return_code if answer.return_code in RETURN_CODES else _OTHER
    ledger.move(session, payment, RETURNED, decline_code=code, now=now)
    log.info("bank returned payment %s (%s); balance restored", payment.id, code)
    text_payer(session, payment, session.get_one(Account, payment.account_id))
