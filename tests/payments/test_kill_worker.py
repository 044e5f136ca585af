"""`kill -9` a real `ivr serve --workers 2` worker in the middle of a charge, on SQLite and
PostgreSQL, then recover the way production would: Twilio delivers the request again, or
nobody comes back and reconcile runs later. The money invariants hold either way.

``IVR_SANDBOX_FAULT=slow`` makes the sandbox carry a charge out and answer 5 seconds later;
the workers are killed once the sandbox's record shows the charge, before the answer.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, text

from ivr.db import db
from ivr.payments.reconcile import reconcile
from models import utcnow
from tests.app_helpers import make_app
from tests.fault_helpers import LATER
from tests.menu_helpers import JORDAN_NEW_CARD
from tests.money_checks import check_money, demo_history, gateway_charges
from tests.server_helpers import (
    CALL_SID,
    action,
    post,
    redirect,
    serving,
    wait_until_healthy,
)

pytestmark = pytest.mark.slow  # real `ivr serve` processes, killed and restarted

START = {1: 12045}  # account 10001234 (id 1 in the demo data) owes $120.45


def workers_of(master: int) -> list[int]:
    """The gunicorn worker processes the master forked."""
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return [int(pid) for pid in children]


def wait_for_charge(database_url: str) -> None:
    """Until the sandbox has carried the charge out (its answer is still 5 s away)."""
    engine = create_engine(database_url)
    deadline = time.monotonic() + 20
    try:
        while time.monotonic() < deadline:
            with engine.connect() as connection:
                if connection.execute(text("SELECT count(*) FROM sandbox_charges")).scalar():
                    return
            time.sleep(0.05)
    finally:
        engine.dispose()
    pytest.fail("the charge never reached the sandbox")


def authorise(base: str) -> str:
    """Walk a call to the full balance by card and authorise; the charging request's path."""
    answer = post(base, "/voice")
    for keys in (*JORDAN_NEW_CARD, "4242424242424242", "1230", "123", "94105"):
        answer = post(base, action(answer), Digits=keys)
    hold = post(base, action(answer), Digits="1")
    assert b"Please hold." in hold
    return redirect(hold)


@pytest.mark.parametrize("recovery", ["Twilio retries", "only reconcile"])
def test_a_worker_killed_mid_charge_loses_and_doubles_nothing(
        database_url: str, tmp_path: Path, recovery: str) -> None:
    with serving(database_url, tmp_path, 2, IVR_SANDBOX_FAULT="slow") as (base, server):
        charging = authorise(base)
        died: list[BaseException] = []
        request = threading.Thread(target=lambda: _expect_no_answer(base, charging, died))
        request.start()
        wait_for_charge(database_url)
        for pid in workers_of(server.pid):
            os.kill(pid, signal.SIGKILL)
        request.join(30)
        assert died, "the killed worker still answered"
        wait_until_healthy(base)  # gunicorn starts new workers
        if recovery == "Twilio retries":
            assert b"has been approved" in post(base, charging, timeout=30)

    app = make_app(database_url, tmp_path)
    history = demo_history(app)
    if recovery == "only reconcile":
        check_money(app, START, [f"{CALL_SID}-1"], settled=False, history=history)
        reconcile(db.sessions(app), app.extensions["ivr_gateway"], now=utcnow() + LATER)
    check_money(app, START, [f"{CALL_SID}-1"], history=history)
    assert gateway_charges(app) == [(f"{CALL_SID}-1", 12045)]


def _expect_no_answer(base: str, path: str, died: list[BaseException]) -> None:
    try:
        post(base, path, timeout=30)
    except requests.RequestException as error:
        died.append(error)
