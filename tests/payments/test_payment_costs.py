"""What a payment costs in requests and transactions, and that no transaction is open while
the gateway is asked to move or look up money (benchmarks/capacity times
its requests: "authorise" and "charge (caller holding)")."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event

from ivr.config import override_settings
from ivr.db import db
from ivr.payments.reconcile import reconcile
from ivr.payments.scheduled import run_scheduled
from ivr.payments.settlement import settle_pending
from models import utcnow
from tests.fault_helpers import LATER, TO_READ_BACK
from tests.menu_helpers import ALEX_OTHER, JORDAN_OTHER_AMOUNT
from tests.twilio_helpers import TwilioCaller

MONEY_CALLS = ("charge_card", "debit_bank", "charge_saved", "find_charge", "settlement")
BY_BANK = (*JORDAN_OTHER_AMOUNT, "10", "1", "2", "1", "110000000", "000123456789",
           "000123456789")


@pytest.fixture
def open_at_gateway(demo_app: Flask,
                    monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, int]]]:
    """For each call to the gateway that moves or looks up money, its name and the
    connections checked out of the app's pool (each an open transaction) at that moment."""
    gateway, pool = demo_app.extensions["ivr_gateway"], db.engine(demo_app).pool
    seen: list[tuple[str, int]] = []

    def watched(method: Any) -> Any:
        @functools.wraps(method)
        def call(*args: Any, **kwargs: Any) -> Any:
            seen.append((method.__name__, pool.checkedout()))  # type: ignore[attr-defined]  # QueuePool's, not Pool's
            return method(*args, **kwargs)
        return call

    for name in MONEY_CALLS:
        monkeypatch.setattr(gateway, name, watched(getattr(gateway, name)))
    yield seen


@pytest.fixture
def transactions(demo_app: Flask) -> Iterator[list[int]]:
    """A counter of transactions begun on the app's engine: ``[count]``."""
    begun = [0]

    def begin(connection: Any) -> None:
        begun[0] += 1

    engine = db.engine(demo_app)
    event.listen(engine, "begin", begin)
    yield begun
    event.remove(engine, "begin", begin)


def test_a_card_payment_is_two_requests_and_five_transactions(
        demo_app: Flask, transactions: list[int]) -> None:
    caller = TwilioCaller(demo_app)
    read_back = caller.walk(*TO_READ_BACK)
    before = transactions[0]
    hold = caller.press(read_back, "1", follow=False)
    assert transactions[0] - before == 1  # the turn writes the payment ahead
    onward = hold.carries_on
    assert onward is not None
    before = transactions[0]
    result = caller.post(onward, follow=False)
    assert "has been approved" in result.said and result.carries_on is None
    # Read it to send, the gateway's own record (the sandbox), the answer (committed on its
    # own, so a turn that fails cannot undo it), then the next turn.
    assert transactions[0] - before == 4


def test_no_transaction_is_open_while_a_call_pays(
        demo_app: Flask, open_at_gateway: list[tuple[str, int]]) -> None:
    TwilioCaller(demo_app, call_sid="CA" + "1" * 32).walk(*TO_READ_BACK, "1")
    TwilioCaller(demo_app, call_sid="CA" + "2" * 32, caller="+13125550142").walk(
        "30003456", "9753", *BY_BANK[2:], "1")
    assert open_at_gateway == [("charge_card", 0), ("debit_bank", 0)]


def test_no_transaction_is_open_while_runs_charge_settle_and_reconcile(
        demo_app: Flask, open_at_gateway: list[tuple[str, int]]) -> None:
    caller = TwilioCaller(demo_app, caller="+13125550142")
    # $10 on December 1st from the checking account on file
    caller.walk("30009012", "8024", ALEX_OTHER, "1", "10", "2", "1201", "2", "1")
    override_settings(demo_app, IVR_SANDBOX_FAULT="lost-reply")
    TwilioCaller(demo_app, call_sid="CA" + "3" * 32).walk(*TO_READ_BACK, "1")
    override_settings(demo_app, IVR_SANDBOX_FAULT="")
    gateway = demo_app.extensions["ivr_gateway"]
    run_scheduled(db.sessions(demo_app), gateway, date(2026, 12, 1))
    settle_pending(db.sessions(demo_app), gateway)
    reconcile(db.sessions(demo_app), gateway, now=utcnow() + LATER)
    assert open_at_gateway == [("charge_card", 0), ("charge_saved", 0), ("settlement", 0),
                               ("find_charge", 0)]


def test_no_transaction_is_open_when_a_hang_up_finishes_a_payment(
        demo_app: Flask, open_at_gateway: list[tuple[str, int]]) -> None:
    caller = TwilioCaller(demo_app)
    caller.press(caller.walk(*TO_READ_BACK), "1", follow=False)
    caller.post("/voice/status", CallStatus="completed", CallDuration="60")
    assert open_at_gateway == [("charge_card", 0)]
