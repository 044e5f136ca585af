"""A crash or a lost answer at every point of the payment path, then recovery, then the money
invariants (tests/money_checks.py), on SQLite and PostgreSQL.

A crash is :class:`WorkerKilled`, a BaseException: like ``kill -9`` it skips every handler
(the webhook's apology included), and whatever the worker had not committed is gone. Each
crash fires once. Recovery is one of what really happens next: Twilio delivers the request
again, the caller hangs up (the status callback), or nobody comes back and ``ivr payments
reconcile`` runs later. Then a second caller tries to pay the same balance again, reconcile
runs, and every gateway charge must be exactly one approved payment, authorised, within
what was owed, with balances equal to the ledger and nothing left in doubt.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask

from ivr import calls
from ivr.payments import charges, ledger
from ivr.payments.reconcile import reconcile
from models import utcnow
from tests.money_checks import balances, check_money, gateway_charges, history_ids
from tests.twilio_helpers import Answer, TwilioCaller

# Account 10001234's full balance ($120.45) today with a new Visa, up to the read-back.
TO_READ_BACK = ("1", "2468", "2", "1", "1", "1", "4242424242424242", "1230", "123", "94105")
FIRST = "CA" + "1" * 32
SECOND = "CA" + "2" * 32
LATER = timedelta(minutes=11)  # past reconcile's grace period


class WorkerKilled(BaseException):
    """The worker died here: no handler runs, and nothing it had not committed is kept."""


def fire_once(target: Any, name: str, monkeypatch: pytest.MonkeyPatch,
              before: bool = False) -> None:
    """Make ``target.name`` kill the worker once: before it runs, or just after it returns."""
    original = getattr(target, name)
    fired: list[bool] = []

    def dying(*args: Any, **kwargs: Any) -> Any:
        if fired:
            return original(*args, **kwargs)
        fired.append(True)
        if before:
            raise WorkerKilled(name)
        original(*args, **kwargs)
        raise WorkerKilled(name)

    monkeypatch.setattr(target, name, dying)


@dataclass(frozen=True)
class FaultPoint:
    """Where on the payment path the fault strikes."""

    name: str
    arm: Callable[[Flask, pytest.MonkeyPatch], None]

    def __str__(self) -> str:
        return self.name


def _lost_reply(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    gateway = app.extensions["ivr_gateway"]
    original = gateway.charge

    def charged_then_lost(*args: Any, **kwargs: Any) -> Any:
        monkeypatch.setattr(gateway, "charge", original)  # once
        app.config["IVR_SANDBOX_FAULT"] = "lost-reply"
        try:
            return original(*args, **kwargs)
        finally:
            app.config["IVR_SANDBOX_FAULT"] = ""

    monkeypatch.setattr(gateway, "charge", charged_then_lost)


FAULT_POINTS = [
    FaultPoint("killed before the payment is written",
               lambda app, mp: fire_once(ledger, "write_ahead", mp)),
    FaultPoint("killed after it is written, before the gateway is called",
               lambda app, mp: fire_once(app.extensions["ivr_gateway"], "charge", mp,
                                         before=True)),
    FaultPoint("the gateway charged and its reply was lost", _lost_reply),
    FaultPoint("killed after the gateway charged, before its reply arrived",
               lambda app, mp: fire_once(app.extensions["ivr_gateway"], "charge", mp)),
    FaultPoint("killed after the reply, before the outcome is committed",
               lambda app, mp: fire_once(charges, "record", mp, before=True)),
    FaultPoint("killed after the outcome is committed, before the caller is answered",
               lambda app, mp: fire_once(calls, "_save_turn", mp, before=True)),
]
RECOVERIES = ("Twilio retries", "the caller hangs up", "only reconcile")


def authorise(caller: TwilioCaller, read_back: Answer) -> Answer | None:
    """Press 1 to authorise (following the hold); None when the worker died."""
    try:
        return caller.press(read_back, "1")
    except WorkerKilled:
        return None


def recover(caller: TwilioCaller, how: str) -> Answer | None:
    """What happens after the fault: a redelivery, a hang-up, or nothing."""
    if how == "Twilio retries":
        return caller.resend()
    if how == "the caller hangs up":
        caller.post("/voice/status", CallStatus="completed", CallDuration="95")
    return None


def pay_again(app: Flask) -> tuple[str, list[str]]:
    """A second call tries to pay the whole balance again; what it heard, keys authorised."""
    second = TwilioCaller(app, call_sid=SECOND, caller="+16505550123")
    answer = second.walk("10001234", "2468", "2")
    if "To pay the full balance, press 1." not in answer.said:
        return answer.said, []
    answer = second.walk("10001234", "2468", "2", *TO_READ_BACK[3:], "1")
    return answer.said, [f"{SECOND}-1"]


@pytest.mark.parametrize("recovery", RECOVERIES)
@pytest.mark.parametrize("point", FAULT_POINTS, ids=str)
def test_a_fault_anywhere_on_the_path_never_loses_or_doubles_money(
        demo_app: Flask, monkeypatch: pytest.MonkeyPatch, point: FaultPoint,
        recovery: str) -> None:
    start, history = balances(demo_app), history_ids(demo_app)
    caller = TwilioCaller(demo_app, call_sid=FIRST)
    read_back = caller.walk(*TO_READ_BACK)
    point.arm(demo_app, monkeypatch)

    first = authorise(caller, read_back)
    monkeypatch.undo()
    if first is None:  # the worker died: check the row it left says what may have happened
        check_money(demo_app, start, [f"{FIRST}-1"], settled=False, history=history)
    healed = recover(caller, recovery)
    if healed is not None:
        assert "has been approved" in healed.said or "could not confirm" in healed.said

    heard, keys = pay_again(demo_app)
    reconcile(demo_app, demo_app.extensions["ivr_gateway"], now=utcnow() + LATER)

    check_money(demo_app, start, [f"{FIRST}-1", *keys], history=history)
    assert len(gateway_charges(demo_app)) <= 1, "the balance was paid twice"
    if not keys:  # the second caller was not let pay: the first payment held or took it
        assert "still confirming" in heard or "zero dollars" in heard, heard


def test_a_lost_reply_holds_the_amount_until_reconciled(demo_app: Flask) -> None:
    """The attack that charged $750 on a $250 balance: pay again, call again, reconcile."""
    start, history = balances(demo_app), history_ids(demo_app)
    demo_app.config["IVR_SANDBOX_FAULT"] = "lost-reply"
    caller = TwilioCaller(demo_app, call_sid=FIRST, caller="+13125550142")
    full = ("30009012", "8024", "2", "1", "1", "3", "4242424242424242", "1230", "123", "94105")
    answer = caller.walk(*full, "1")
    assert "we could not confirm your payment of two hundred fifty dollars" in answer.said
    assert "You will not be charged twice." in answer.said

    again = caller.press(caller.press(answer, "2"), "2")
    assert "We are still confirming a payment of two hundred fifty dollars." in again.said
    assert "There is nothing more to pay right now." in again.said
    other = TwilioCaller(demo_app, call_sid=SECOND, caller="+13125550142").walk(*full[:3])
    assert "There is nothing more to pay right now." in other.said

    demo_app.config["IVR_SANDBOX_FAULT"] = ""
    summary = reconcile(demo_app, demo_app.extensions["ivr_gateway"])
    assert (summary.approved, summary.still_unknown) == (1, 0)
    check_money(demo_app, start, [f"{FIRST}-1"], history=history)
    assert gateway_charges(demo_app) == [(f"{FIRST}-1", 25000)]
