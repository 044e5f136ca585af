"""Migration 0015: a settled bank debit carries when it is next asked about late returns. The
debits already settled within the window are next asked a day after they last were (at once
when never), as settlement would have; the others never again."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from ivr.ops.migrate import upgrade
from ivr.payments.settlement import LATE_RETURNS, RECHECK
from models import Payment, utcnow
from models.base import UTCDateTime
from tests.migration_helpers import old_account, old_payment

NOW = utcnow()
DAY = timedelta(days=1)
# Each debit: its method and status, when it settled and was last asked, when it is due next.
DEBITS: dict[str, tuple[str, str, datetime | None, datetime | None, datetime | None]] = {
    "asked": ("saved_bank", "approved", NOW - 10 * DAY, NOW - DAY / 2, NOW - DAY / 2 + RECHECK),
    "never-asked": ("bank", "approved", NOW - 30 * DAY, None, NOW - 30 * DAY),
    "past-window": ("bank", "approved", NOW - LATE_RETURNS - DAY, NOW - 2 * DAY, None),
    "returned": ("bank", "returned", NOW - 5 * DAY, NOW - DAY, None),
    "card": ("card", "approved", None, None, None),
    "pending": ("bank", "pending", None, None, None),
}


def test_settled_debits_in_the_window_are_due_a_day_after_they_were_last_asked(
        database_url: str) -> None:
    engine = create_engine(database_url)
    payments = sa.table("payments", sa.column("idempotency_key", sa.String()),
                        sa.column("method", sa.String()), sa.column("status", sa.String()),
                        sa.column("settled_at", UTCDateTime()),
                        sa.column("returns_checked_at", UTCDateTime()))
    try:
        upgrade(engine, "0014_call_turns")
        with Session(engine) as session, session.begin():
            account_id = old_account(session)
            for key, (method, status, settled, asked, _) in DEBITS.items():
                old_payment(session, account_id, key, f"ref-{key}")
                session.execute(sa.update(payments).where(payments.c.idempotency_key == key)
                                .values(method=method, status=status, settled_at=settled,
                                        returns_checked_at=asked))
        upgrade(engine)
        with Session(engine) as session:
            due = {key: at for key, at in session.execute(
                select(Payment.idempotency_key, Payment.returns_recheck_at))}
        assert due == {key: debit[4] for key, debit in DEBITS.items()}
    finally:
        engine.dispose()
