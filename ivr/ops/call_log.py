"""The call log read back and kept in bounds: one call's turns, and pruning old turns.

Every answered webhook turn is a row of ``call_turns`` (written by :mod:`ivr.web.turn_log`);
:func:`find_call` reads a call's row and its turns for ``ivr calls show``
(:mod:`ivr.ops.call_transcript` writes them out). The log keeps a turn for
``IVR_CALL_LOG_DAYS`` days: :func:`prune_call_log` deletes older turns, in short transactions
of a few hundred rows each, so neither database is held by one huge delete. ``ivr calls
prune`` runs it, and so does every server worker's housekeeping
(:mod:`ivr.ops.housekeeping`), so the log keeps only its retention even if no operator does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ivr.db import SessionFactory, transaction
from models import CallSession, CallTurn, utcnow

# Turns deleted per transaction: a short lock each, and well under SQLite's limit of
# parameters in one statement (999 before SQLite 3.32).
PRUNE_BATCH = 500


@dataclass(frozen=True)
class LoggedCall:
    """A call as the log tells it: its row (numbers, times, status) and its turns in order.

    Both are read in one transaction and usable after it (the session does not expire them).
    """

    call: CallSession
    turns: list[CallTurn]


def find_call(session: Session, call_sid: str) -> LoggedCall | None:
    """The call ``call_sid`` with its logged turns, oldest first; None when there is no such
    call. A call whose turns were all pruned comes back with none."""
    call = session.get(CallSession, call_sid)
    if call is None:
        return None
    turns = session.scalars(select(CallTurn).where(CallTurn.call_sid == call_sid)
                            .order_by(CallTurn.turn))
    return LoggedCall(call, list(turns))


def prune_call_log(sessions: SessionFactory, days: int, now: datetime | None = None,
                   batch: int = PRUNE_BATCH, most: int | None = None) -> int:
    """Delete the turns logged more than ``days`` days before ``now``; how many went.

    Each batch is a transaction of its own. Rows another worker is deleting are skipped
    (SKIP LOCKED on PostgreSQL): it is deleting them. A turn logged since is never touched,
    so the call log of a call in progress loses only its turns older than the retention.
    With ``most``, it stops once that many went (the rest wait for another run).
    """
    cutoff = (now or utcnow()) - timedelta(days=days)
    deleted = 0
    while most is None or deleted < most:
        size = batch if most is None else min(batch, most - deleted)
        with transaction(sessions) as session:
            ids = session.scalars(
                select(CallTurn.id).where(CallTurn.created_at < cutoff)
                .order_by(CallTurn.created_at).limit(size)
                .with_for_update(skip_locked=True)).all()
            if ids:
                session.execute(delete(CallTurn).where(CallTurn.id.in_(ids))
                                .execution_options(synchronize_session=False))
        deleted += len(ids)
        if len(ids) < size:
            break
    return deleted
