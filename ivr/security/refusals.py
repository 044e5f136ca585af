"""Counting refused webhook requests per hour and kind, without a row per request.

An unsigned or forged request costs an attacker nothing, so it must not cost the
database a row: each refusal adds one to its hour's counter (``webhook_refusals``),
and only the first of each kind in an hour goes to the audit trail.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import WebhookRefusal, utcnow


def count_refusal(session: Session, kind: str, origin: str | None,
                  now: datetime | None = None) -> bool:
    """Add one refusal of ``kind`` to this hour's count; True if it is the hour's first.

    Update first; when there is no row yet, insert it inside a savepoint. Two workers
    inserting the same hour at once collide on the unique (hour_start, kind): the loser
    rolls back to its savepoint and updates the winner's row instead.
    """
    now = now or utcnow()
    hour = now.replace(minute=0, second=0, microsecond=0)
    origin = origin[:100] if origin else None
    for _ in range(3):
        if _increment(session, kind, hour, origin, now):
            return False
        try:
            with session.begin_nested():
                session.execute(insert(WebhookRefusal).values(
                    hour_start=hour, kind=kind, refusals=1, last_origin=origin, last_at=now))
            return True
        except IntegrityError:
            continue  # another worker inserted this hour's row first: count on it
    raise RuntimeError(f"could not count a refused {kind} request")


def _increment(session: Session, kind: str, hour: datetime, origin: str | None,
               now: datetime) -> bool:
    """Add one to an existing counter; False when this hour has none yet."""
    result = session.execute(
        update(WebhookRefusal)
        .where(WebhookRefusal.hour_start == hour, WebhookRefusal.kind == kind)
        .values(refusals=WebhookRefusal.refusals + 1, last_origin=origin, last_at=now)
        .execution_options(synchronize_session=False))
    return bool(getattr(result, "rowcount", 0))
