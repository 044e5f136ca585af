"""The call log kept to its retention: pruned in batches, by every worker's housekeeping too.

These run on SQLite and, when ``IVR_TEST_DATABASE_URL`` is set, on PostgreSQL.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from flask import Flask
from sqlalchemy import event

from ivr.config import override_settings
from ivr.db import db
from ivr.ops import server
from ivr.ops.call_log import find_call, prune_call_log
from ivr.ops.housekeeping import Housekeeper
from models import utcnow
from tests.call_log_helpers import age_turns, logged_turns, turn_counts
from tests.menu_helpers import JORDAN_PAY_NOW
from tests.twilio_helpers import TwilioCaller

OLD, NEW, OTHER = "CA" + "a" * 32, "CA" + "b" * 32, "CA" + "c" * 32


def three_turns(app: Flask, call_sid: str) -> str:
    """A call of three logged turns: the start, this account, the PIN."""
    TwilioCaller(app, call_sid=call_sid).walk(*JORDAN_PAY_NOW)
    assert len(logged_turns(app, call_sid)) == 3
    return call_sid


def test_prune_deletes_the_turns_older_than_the_retention_and_keeps_the_rest(
        demo_app: Flask) -> None:
    age_turns(demo_app, three_turns(demo_app, OLD), timedelta(days=90, minutes=1))
    age_turns(demo_app, three_turns(demo_app, NEW), timedelta(days=89, hours=23))
    three_turns(demo_app, OTHER)

    assert prune_call_log(db.sessions(demo_app), 90) == 3
    assert turn_counts(demo_app) == {NEW: 3, OTHER: 3}
    assert prune_call_log(db.sessions(demo_app), 90) == 0
    with db.transaction(demo_app) as session:
        pruned = find_call(session, OLD)
    assert pruned is not None and pruned.turns == [], "the call itself is not the call log"


def test_the_retention_is_counted_from_the_moment_given(demo_app: Flask) -> None:
    three_turns(demo_app, OLD)
    now = utcnow()
    assert prune_call_log(db.sessions(demo_app), 1, now=now + timedelta(hours=23)) == 0
    assert prune_call_log(db.sessions(demo_app), 1, now=now + timedelta(days=1, minutes=1)) == 3


def test_prune_deletes_in_batches_each_its_own_transaction(demo_app: Flask) -> None:
    for call_sid in (OLD, OTHER):
        age_turns(demo_app, three_turns(demo_app, call_sid), timedelta(days=100))
    three_turns(demo_app, NEW)
    engine, deletes, commits = db.engine(demo_app), [], []

    def note_delete(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("DELETE"):
            deletes.append(statement)

    def note_commit(conn: Any) -> None:
        commits.append(len(deletes))

    event.listen(engine, "before_cursor_execute", note_delete)
    event.listen(engine, "commit", note_commit)
    try:
        assert prune_call_log(db.sessions(demo_app), 30, batch=4) == 6
    finally:
        event.remove(engine, "before_cursor_execute", note_delete)
        event.remove(engine, "commit", note_commit)
    # 4 turns, committed; then 2 (fewer than a batch: the last), committed on their own
    assert commits == [1, 2]
    assert turn_counts(demo_app) == {NEW: 3}


def test_housekeeping_prunes_the_call_log_to_its_retention(demo_app: Flask) -> None:
    now = [0.0]
    keeper = Housekeeper(db.sessions(demo_app), every=300, clock=lambda: now[0],
                         call_log_days=30)
    age_turns(demo_app, three_turns(demo_app, OLD), timedelta(days=31))
    age_turns(demo_app, three_turns(demo_app, NEW), timedelta(days=29))

    keeper.maybe_run()
    assert turn_counts(demo_app) == {NEW: 3}
    age_turns(demo_app, NEW, timedelta(days=31))
    now[0] = 299.0
    keeper.maybe_run()
    assert turn_counts(demo_app) == {NEW: 3}, "not yet time for the next run"
    now[0] = 300.0
    keeper.maybe_run()
    assert turn_counts(demo_app) == {}


def test_every_server_worker_prunes_to_the_configured_retention(demo_app: Flask) -> None:
    override_settings(demo_app, IVR_CALL_LOG_DAYS="7")
    age_turns(demo_app, three_turns(demo_app, OLD), timedelta(days=7, minutes=1))
    age_turns(demo_app, three_turns(demo_app, NEW), timedelta(days=6))
    options = server.gunicorn_options(demo_app, "127.0.0.1", 5000, 1)
    worker = type("FakeWorker", (), {})()

    options["post_worker_init"](worker)  # the worker's outbox thread: it housekeeps too
    try:
        deadline = time.monotonic() + 20
        while OLD in turn_counts(demo_app):
            assert time.monotonic() < deadline, "the worker never pruned the call log"
            time.sleep(0.1)
    finally:
        options["worker_exit"](None, worker)
    assert turn_counts(demo_app) == {NEW: 3}


def test_a_housekeeping_run_prunes_a_bounded_number_of_turns_then_gets_back_to_texting(
        demo_app: Flask) -> None:
    """It runs on the SMS outbox's thread: a retention shortened on a huge log must not hold
    the texts back until the whole backlog is gone."""
    now = [0.0]
    keeper = Housekeeper(db.sessions(demo_app), every=300, clock=lambda: now[0],
                         call_log_days=30, prune_most=4)
    for call_sid in (OLD, OTHER):
        age_turns(demo_app, three_turns(demo_app, call_sid), timedelta(days=31))

    keeper.maybe_run()
    assert sum(turn_counts(demo_app).values()) == 2, "the first run deletes 4 of the 6"
    now[0] = 300.0
    keeper.maybe_run()
    assert turn_counts(demo_app) == {}


def test_prune_stops_after_most_turns(demo_app: Flask) -> None:
    for call_sid in (OLD, OTHER):
        age_turns(demo_app, three_turns(demo_app, call_sid), timedelta(days=100))
    assert prune_call_log(db.sessions(demo_app), 30, batch=2, most=5) == 5
    assert prune_call_log(db.sessions(demo_app), 30, batch=2, most=5) == 1
