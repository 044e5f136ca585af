"""`ivr sms send` on several machines at once: every queued text goes out exactly once."""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session, sessionmaker

from ivr.config import settings_of
from ivr.db import db, make_engine
from ivr.sms.outbox import DrainResult, drain_outbox, queue_text
from models import SmsMessage

NOW = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)
MESSAGES = 30
MACHINES = 5


class CountingBackend:
    """Counts sends per message body (each body names one message); a little slow."""

    name = "counting"

    def __init__(self, counts: Counter[str], lock: threading.Lock) -> None:
        self.counts, self.lock = counts, lock

    def send(self, to: str, body: str) -> str:
        time.sleep(0.003)  # long enough for the other machines to reach the same rows
        with self.lock:
            self.counts[body] += 1
        return f"count-{body}"


def queue_bodies(app: Flask, count: int) -> list[str]:
    """Queue ``count`` due texts with distinct bodies; return the bodies."""
    bodies = [f"message {i}" for i in range(count)]
    with db.transaction(app) as session:
        for body in bodies:
            queue_text(session, "+14155550100", body).next_attempt_at = NOW
    return bodies


def machine_sessions(app: Flask) -> tuple[Engine, Callable[[], Session]]:
    """An engine and session factory of its own, as another machine would have."""
    engine = make_engine(settings_of(app).database_url)
    return engine, sessionmaker(engine, expire_on_commit=False)


def statuses(app: Flask) -> Counter[str]:
    """How many outbox rows are in each status."""
    with db.transaction(app) as session:
        return Counter(session.scalars(select(SmsMessage.status)))


@pytest.mark.slow
def test_concurrent_machines_send_each_message_exactly_once(app: Flask) -> None:
    bodies = queue_bodies(app, MESSAGES)
    counts: Counter[str] = Counter()
    lock, start = threading.Lock(), threading.Barrier(MACHINES)
    results: list[DrainResult] = []

    def machine() -> None:
        engine, sessions = machine_sessions(app)
        start.wait()
        try:
            result = drain_outbox(sessions, CountingBackend(counts, lock), now=NOW)
        finally:
            engine.dispose()
        with lock:
            results.append(result)

    threads = [threading.Thread(target=machine) for _ in range(MACHINES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert counts == Counter(dict.fromkeys(bodies, 1))
    assert sum(r.sent for r in results) == MESSAGES and len(results) == MACHINES
    assert statuses(app) == Counter(sent=MESSAGES)


def _drain_in_process(url: str, log_path: str, start_at: float) -> None:
    """One `ivr sms send` process: drain the outbox, appending each body sent to a file."""

    class FileBackend:
        name = "file"

        def send(self, to: str, body: str) -> str:
            time.sleep(0.003)
            with open(log_path, "a", encoding="utf-8") as log:
                log.write(body + "\n")
            return f"file-{os.getpid()}"

    engine = make_engine(url)
    time.sleep(max(0.0, start_at - time.time()))
    drain_outbox(sessionmaker(engine, expire_on_commit=False), FileBackend(), now=NOW)
    engine.dispose()


@pytest.mark.slow
def test_concurrent_processes_send_each_message_exactly_once(app: Flask, tmp_path: Path) -> None:
    bodies = queue_bodies(app, MESSAGES)
    log_path = tmp_path / "sent.log"
    context = multiprocessing.get_context("spawn")
    start_at = time.time() + 3  # spawned interpreters need a moment to import
    processes = [context.Process(target=_drain_in_process,
                                 args=(settings_of(app).database_url, str(log_path), start_at))
                 for _ in range(4)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(60)

    assert [p.exitcode for p in processes] == [0, 0, 0, 0]
    sent = Counter(log_path.read_text(encoding="utf-8").splitlines())
    assert sent == Counter(dict.fromkeys(bodies, 1))
    assert statuses(app) == Counter(sent=MESSAGES)


def test_postgresql_drain_skips_a_row_another_machine_has_locked(app: Flask) -> None:
    engine = db.engine(app)
    if engine.dialect.name != "postgresql":
        return  # SQLite has no row locks to skip; its transactions take the write lock
    locked, free = queue_bodies(app, 2)
    counts: Counter[str] = Counter()
    results: list[DrainResult] = []
    backend = CountingBackend(counts, threading.Lock())
    drainer = threading.Thread(target=lambda: results.append(
        drain_outbox(db.sessions(app), backend, now=NOW)))

    with engine.connect() as conn, conn.begin():
        # Another machine is in the middle of claiming the first due message.
        conn.execute(select(SmsMessage.id).where(SmsMessage.body == locked).with_for_update())
        drainer.start()
        drainer.join(5)
        waited_on_the_lock = drainer.is_alive()
    drainer.join(30)

    assert not waited_on_the_lock
    assert results == [DrainResult(sent=1)] and counts == Counter({free: 1})
    assert statuses(app) == Counter(queued=1, sent=1)


def test_claim_uses_skip_locked_only_on_postgresql(app: Flask) -> None:
    engine = db.engine(app)
    statements: list[str] = []

    def remember(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(" ".join(statement.split()))

    queue_bodies(app, 1)
    event.listen(engine, "before_cursor_execute", remember)
    try:
        drain_outbox(db.sessions(app), CountingBackend(Counter(), threading.Lock()), now=NOW)
    finally:
        event.remove(engine, "before_cursor_execute", remember)

    due = [s for s in statements if s.startswith("SELECT sms_outbox.id") and "LIMIT" in s]
    assert due, statements
    if engine.dialect.name == "postgresql":
        assert all(s.endswith("FOR UPDATE SKIP LOCKED") for s in due)
    else:
        assert not any("FOR UPDATE" in s for s in statements)
