"""Refused webhooks are counted per hour and kind; only the first of each is audited."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from flask import Flask
from sqlalchemy import func, select

from ivr.db import db
from ivr.security.refusals import count_refusal
from models import AuditEvent, WebhookRefusal
from tests.twilio_helpers import TwilioCaller

T0 = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)


def counters(app: Flask) -> dict[tuple[datetime, str], int]:
    """(hour, kind) -> refusals counted."""
    with db.transaction(app) as session:
        rows = session.execute(select(WebhookRefusal.hour_start, WebhookRefusal.kind,
                                      WebhookRefusal.refusals)).all()
    return {(hour, kind): count for hour, kind, count in rows}


def audit_count(app: Flask) -> int:
    """How many audit events there are."""
    with db.transaction(app) as session:
        return session.scalar(select(func.count(AuditEvent.id))) or 0


def test_fifty_forged_requests_add_one_audit_row_and_count_fifty(app: Flask) -> None:
    caller = TwilioCaller(app)
    params = caller.params()
    for n in range(50):
        response = caller.client.post("/voice", data=params,
                                      headers={"X-Twilio-Signature": f"forged{n}"})
        assert response.status_code == 403
    for _ in range(3):
        assert caller.client.post("/voice/turn?t=1", data=params).status_code == 403

    assert audit_count(app) <= 2
    assert {kind: count for (_, kind), count in counters(app).items()} == {
        "forged": 50, "unsigned": 3}
    with db.transaction(app) as session:
        outcomes = session.scalars(select(AuditEvent.outcome).order_by(AuditEvent.id)).all()
        last_origin = session.scalars(select(WebhookRefusal.last_origin)).first()
    assert outcomes == ["refused_forged", "refused_unsigned"]
    assert last_origin == "127.0.0.1"


def test_each_hour_has_its_own_count_and_first_refusal(app: Flask) -> None:
    firsts = []
    with db.transaction(app) as session:
        for minutes in (0, 10, 59, 60, 61):
            firsts.append(count_refusal(session, "forged", "198.51.100.7",
                                        T0 + timedelta(minutes=minutes)))

    assert firsts == [True, False, False, True, False]
    assert counters(app) == {(T0, "forged"): 3, (T0 + timedelta(hours=1), "forged"): 2}


def test_concurrent_first_refusals_count_every_one_and_one_is_first(app: Flask) -> None:
    workers, each = 6, 5
    start = threading.Barrier(workers)
    firsts: list[bool] = []
    errors: list[BaseException] = []

    def refuse() -> None:
        try:
            start.wait()
            for _ in range(each):
                with db.transaction(app) as session:
                    firsts.append(count_refusal(session, "unsigned", "203.0.113.9", T0))
        except BaseException as error:  # reported below, not lost in the thread
            errors.append(error)

    threads = [threading.Thread(target=refuse) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert firsts.count(True) == 1 and len(firsts) == workers * each
    assert counters(app) == {(T0, "unsigned"): workers * each}
