"""A pooled connection PostgreSQL has closed (a restart, an idle timeout, a cut network; here
``pg_terminate_backend``) costs a turn nothing: no ping checks it out of the pool, its first
statement finds it closed, and the transaction runs again on a new connection. A connection
lost later in a turn is not run again: the caller hears the apology and nothing is half-written.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Engine, create_engine, event, text

from ivr.config import normalise_database_url
from ivr.db import db
from ivr.payments import charges
from models.payment import APPROVED
from tests.app_helpers import PG_URL, balance, call_payments, call_row, postgresql_only
from tests.menu_helpers import JORDAN_MAIN_MENU, JORDAN_NEW_CARD
from tests.twilio_helpers import TwilioCaller

pytestmark = pytest.mark.parametrize("database_url", postgresql_only(), indirect=True)

OWED = "You owe one hundred twenty dollars and forty-five cents"
TO_READ_BACK = (*JORDAN_NEW_CARD, "4242424242424242", "1230", "123", "94105")


@contextmanager
def backends(engine: Engine) -> Iterator[set[int]]:
    """The server processes of every connection ``engine``'s pool hands out meanwhile."""
    pids: set[int] = set()

    def note(dbapi_connection: Any, *_: Any) -> None:
        pids.add(dbapi_connection.info.backend_pid)

    event.listen(engine, "checkout", note)
    try:
        yield pids
    finally:
        event.remove(engine, "checkout", note)


def terminate(pids: set[int]) -> None:
    """Close these server processes' connections, as a restart would, and wait till they go."""
    admin = create_engine(normalise_database_url(PG_URL), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            for pid in pids:
                connection.execute(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid})
    finally:
        admin.dispose()


def test_a_turn_after_the_pooled_connection_was_closed_answers(
        demo_app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    caller = TwilioCaller(demo_app)
    with backends(db.engine(demo_app)) as pids:
        menu = caller.walk(*JORDAN_MAIN_MENU)
    turn = call_row(demo_app, caller.call_sid).turn
    terminate(pids)
    with caplog.at_level(logging.WARNING, "ivr.db"):
        answer = caller.press(menu, "1")
    assert OWED in answer.said, answer.said
    assert "had been closed" in caplog.text, "the closed connection was found, and passed by"
    assert call_row(demo_app, caller.call_sid).turn == turn + 1


def test_the_gateways_answer_is_recorded_when_the_pooled_connection_was_closed_meanwhile(
        demo_app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    caller = TwilioCaller(demo_app)
    with backends(db.engine(demo_app)) as pids:
        read_back = caller.walk(*TO_READ_BACK)
        send = charges.send

        def send_then_lose_the_pool(*args: Any) -> charges.Answer:
            answer = send(*args)
            terminate(pids)  # while the gateway answered, PostgreSQL restarted
            return answer

        monkeypatch.setattr(charges, "send", send_then_lose_the_pool)
        answer = caller.press(read_back, "1")
    assert "has been approved" in answer.said, answer.said
    assert [p.status for p in call_payments(demo_app, caller.call_sid)] == [APPROVED]
    assert balance(demo_app) == 0


def test_a_connection_lost_after_the_turns_first_statement_is_not_run_again(
        demo_app: Flask) -> None:
    caller = TwilioCaller(demo_app)
    menu = caller.walk(*JORDAN_MAIN_MENU)
    turn = call_row(demo_app, caller.call_sid).turn
    engine, locks = db.engine(demo_app), list[str]()

    def cut_after_the_lock(connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if "FOR UPDATE" in statement and not locks:
            locks.append(statement)
            terminate({connection.connection.dbapi_connection.info.backend_pid})
        elif "FOR UPDATE" in statement:
            locks.append(statement)

    event.listen(engine, "after_cursor_execute", cut_after_the_lock)
    try:
        answer = caller.press(menu, "1")
    finally:
        event.remove(engine, "after_cursor_execute", cut_after_the_lock)
    assert "something went wrong" in answer.said and OWED not in answer.said, answer.said
    assert len(locks) == 1, "the turn was not run again once its call was locked"
    assert call_row(demo_app, caller.call_sid).turn == turn, "nothing of the turn was kept"
    assert OWED in caller.resend().said, "Twilio's retry of the request is answered"
