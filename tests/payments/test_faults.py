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

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.exc import OperationalError

from ivr.config import override_settings
from ivr.db import db
from ivr.payments import charges, ledger
from ivr.payments.reconcile import reconcile
from ivr.sms import payment_texts as texts_module
from ivr.web import calls
from models import utcnow
from tests.app_helpers import call_payments
from tests.fault_helpers import (
    FIRST,
    LATER,
    NEW_VISA,
    SECOND,
    TO_READ_BACK,
    authorise,
    fire_once,
)
from tests.menu_helpers import NOW_BY_BANK, NOW_BY_CARD
from tests.money_checks import balances, check_money, gateway_charges, history_ids
from tests.twilio_helpers import Answer, TwilioCaller


@dataclass(frozen=True)
class FaultPoint:
    """Where on the payment path the fault strikes."""

    name: str
    arm: Callable[[Flask, pytest.MonkeyPatch], None]

    def __str__(self) -> str:
        return self.name


def _lost_reply(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    gateway = app.extensions["ivr_gateway"]
    original = gateway.charge_card

    def charged_then_lost(*args: Any, **kwargs: Any) -> Any:
        monkeypatch.setattr(gateway, "charge_card", original)  # once
        override_settings(app, IVR_SANDBOX_FAULT="lost-reply")
        try:
            return original(*args, **kwargs)
        finally:
            override_settings(app, IVR_SANDBOX_FAULT="")

    monkeypatch.setattr(gateway, "charge_card", charged_then_lost)


FAULT_POINTS = [
    FaultPoint("killed before the payment is written",
               lambda app, mp: fire_once(ledger, "write_ahead", mp)),
    FaultPoint("killed after it is written, before the gateway is called",
               lambda app, mp: fire_once(app.extensions["ivr_gateway"], "charge_card", mp,
                                         before=True)),
    FaultPoint("the gateway charged and its reply was lost", _lost_reply),
    FaultPoint("killed after the gateway charged, before its reply arrived",
               lambda app, mp: fire_once(app.extensions["ivr_gateway"], "charge_card", mp)),
    FaultPoint("killed after the reply, before the outcome is committed",
               lambda app, mp: fire_once(charges, "record", mp, before=True)),
    FaultPoint("killed after the outcome is committed, before the caller is answered",
               lambda app, mp: fire_once(calls, "_save_turn", mp, before=True)),
]
RECOVERIES = ("Twilio retries", "the caller hangs up", "only reconcile")


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
    answer = second.walk("10001234", "2468")
    if "To pay now by card, press 1." not in answer.said:
        return answer.said, []
    answer = second.walk("10001234", "2468", NOW_BY_CARD, *NEW_VISA, "1")
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
    reconcile(db.sessions(demo_app), demo_app.extensions["ivr_gateway"], now=utcnow() + LATER)

    check_money(demo_app, start, [f"{FIRST}-1", *keys], history=history)
    assert len(gateway_charges(demo_app)) <= 1, "the balance was paid twice"
    if not keys:  # the second caller was not let pay: the first payment held or took it
        assert "still confirming" in heard or "zero dollars" in heard, heard


def test_a_lost_reply_holds_the_amount_until_reconciled(demo_app: Flask) -> None:
    """The attack that charged $750 on a $250 balance: pay again, call again, reconcile."""
    start, history = balances(demo_app), history_ids(demo_app)
    override_settings(demo_app, IVR_SANDBOX_FAULT="lost-reply")
    caller = TwilioCaller(demo_app, call_sid=FIRST, caller="+13125550142")
    full = ("30009012", "8024", NOW_BY_CARD, *NEW_VISA)
    answer = caller.walk(*full, "1")
    assert "we could not confirm your payment of two hundred fifty dollars" in answer.said
    assert "You will not be charged twice." in answer.said

    again = caller.press(caller.press(answer, "2"), "1")  # more options; the balance
    assert "We are still confirming a payment of two hundred fifty dollars." in again.said
    assert "There is nothing more to pay right now." in again.said
    assert "To make a payment" not in again.said
    other = TwilioCaller(demo_app, call_sid=SECOND, caller="+13125550142").walk(*full[:2])
    assert "There is nothing more to pay right now." in other.said

    override_settings(demo_app, IVR_SANDBOX_FAULT="")
    summary = reconcile(db.sessions(demo_app), demo_app.extensions["ivr_gateway"])
    assert (summary.approved, summary.still_unknown) == (1, 0)
    check_money(demo_app, start, [f"{FIRST}-1"], history=history)
    assert gateway_charges(demo_app) == [(f"{FIRST}-1", 25000)]


def test_a_lost_reply_on_a_bank_debit_is_held_too(demo_app: Flask) -> None:
    """The bank path of the same attack ($100 debited on $50 before)."""
    start, history = balances(demo_app), history_ids(demo_app)
    override_settings(demo_app, IVR_SANDBOX_FAULT="lost-reply")
    caller = TwilioCaller(demo_app, call_sid=FIRST, caller="+13125550142")
    by_bank = ("30003456", "9753", NOW_BY_BANK, "1", "110000000", "000123456789",
               "000123456789")
    answer = caller.walk(*by_bank, "1")
    assert "we could not confirm your payment of forty-two dollars" in answer.said
    again = TwilioCaller(demo_app, call_sid=SECOND, caller="+13125550142").walk(*by_bank[:2])
    assert "There is nothing more to pay right now." in again.said
    override_settings(demo_app, IVR_SANDBOX_FAULT="")
    assert reconcile(db.sessions(demo_app), demo_app.extensions["ivr_gateway"]).pending == 1
    check_money(demo_app, start, [f"{FIRST}-1"], history=history)


def test_a_hold_answered_too_late_to_send_says_it_is_being_confirmed(
        demo_app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    start, history = balances(demo_app), history_ids(demo_app)
    caller = TwilioCaller(demo_app, call_sid=FIRST)
    hold = caller.press(caller.walk(*TO_READ_BACK), "1", follow=False)
    monkeypatch.setattr(charges, "CHARGE_WINDOW", timedelta(0))  # Twilio came back too late
    onward = hold.carries_on
    assert onward is not None
    answer = caller.post(onward)
    assert "we could not confirm your payment" in answer.said
    [payment] = call_payments(demo_app)
    assert payment.status == "unknown" and payment.confirmation_number
    assert payment.confirmation_number[:5] in answer.said.replace(" ", "")
    assert gateway_charges(demo_app) == []
    monkeypatch.undo()
    reconcile(db.sessions(demo_app), demo_app.extensions["ivr_gateway"], now=utcnow() + LATER)
    check_money(demo_app, start, [f"{FIRST}-1"], history=history)


@pytest.mark.parametrize("resend", ["Twilio retries", "the caller hangs up"])
def test_a_refused_resend_never_calls_a_charge_already_taken_failed(
        demo_app: Flask, monkeypatch: pytest.MonkeyPatch, resend: str) -> None:
    """Killed after the gateway charged; the resend is refused (a connect timeout, a 429):
    that proves nothing about the first request, so the payment stays held."""
    start, history = balances(demo_app), history_ids(demo_app)
    caller = TwilioCaller(demo_app, call_sid=FIRST)
    read_back = caller.walk(*TO_READ_BACK)
    fire_once(demo_app.extensions["ivr_gateway"], "charge_card", monkeypatch)
    assert authorise(caller, read_back) is None
    monkeypatch.undo()
    override_settings(demo_app, IVR_SANDBOX_FAULT="down")
    answer = recover(caller, resend)
    assert answer is None or "could not confirm" in answer.said
    assert [p.status for p in call_payments(demo_app)] == ["unknown"]
    pay_again(demo_app)  # the second caller is not let pay it again
    override_settings(demo_app, IVR_SANDBOX_FAULT="")
    assert reconcile(db.sessions(demo_app), demo_app.extensions["ivr_gateway"]).approved == 1
    check_money(demo_app, start, [f"{FIRST}-1"], history=history)


def test_a_refusal_on_the_only_attempt_is_a_plain_failure(demo_app: Flask) -> None:
    override_settings(demo_app, IVR_SANDBOX_FAULT="down")
    answer = TwilioCaller(demo_app, call_sid=FIRST).walk(*TO_READ_BACK, "1")
    assert "No payment was taken." in answer.said
    [payment] = call_payments(demo_app)
    assert (payment.status, payment.send_attempts) == ("failed", 1)


def test_a_gateway_that_is_down_takes_nothing(demo_app: Flask) -> None:
    override_settings(demo_app, IVR_SANDBOX_FAULT="down")
    answer = TwilioCaller(demo_app).walk(*TO_READ_BACK, "1")
    assert "there was a problem processing your card" in answer.said
    assert "No payment was taken." in answer.said
    assert gateway_charges(demo_app) == [] and balances(demo_app)[1] == 12045


def test_a_failed_bank_debit_is_not_called_a_card_problem(demo_app: Flask) -> None:
    override_settings(demo_app, IVR_SANDBOX_FAULT="down")
    caller = TwilioCaller(demo_app, call_sid=FIRST, caller="+13125550142")
    answer = caller.walk("30003456", "9753", NOW_BY_BANK, "1", "110000000",
                         "000123456789", "000123456789", "1")
    assert "Sorry, there was a problem submitting the bank debit." in answer.said
    assert "card" not in answer.said.split("No payment was taken.")[0]


def test_database_down_mid_call_is_an_apology_and_writes_nothing(
        demo_app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    override_settings(demo_app, IVR_AGENT_NUMBER="+18005550123")
    caller = TwilioCaller(demo_app)
    read_back = caller.walk(*TO_READ_BACK)

    def database_down(*args: Any, **kwargs: Any) -> str:
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(calls, "_take_turn", database_down)
    answer = caller.press(read_back, "1")
    assert answer.status == 200
    assert "something went wrong on our end" in answer.said
    assert answer.root.findtext("Dial/Number") == "+18005550123"
    monkeypatch.undo()
    assert call_payments(demo_app) == [] and gateway_charges(demo_app) == []
    assert balances(demo_app)[1] == 12045


def test_a_failure_while_recording_holds_the_payment_until_it_is_settled(
        demo_app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    start, history = balances(demo_app), history_ids(demo_app)

    def sms_down(*args: Any, **kwargs: Any) -> None:
        raise OperationalError("INSERT INTO sms_outbox", {}, Exception("disk full"))

    monkeypatch.setattr(texts_module, "queue_text", sms_down)
    answer = TwilioCaller(demo_app, call_sid=FIRST).walk(*TO_READ_BACK, "1")
    assert "something went wrong on our end" in answer.said
    assert [p.status for p in call_payments(demo_app)] == ["processing"]  # held, not lost
    monkeypatch.undo()
    reconcile(db.sessions(demo_app), demo_app.extensions["ivr_gateway"], now=utcnow() + LATER)
    check_money(demo_app, start, [f"{FIRST}-1"], history=history)


def test_two_calls_paying_one_account_at_once_never_take_more_than_owed(
        demo_app: Flask) -> None:
    start, history = balances(demo_app), history_ids(demo_app)
    by_phone = TwilioCaller(demo_app, call_sid=FIRST)
    by_number = TwilioCaller(demo_app, call_sid=SECOND, caller="+16505550123")
    full = (NOW_BY_CARD, *NEW_VISA)
    ready = [(by_phone, by_phone.walk("1", "2468", *full)),
             (by_number, by_number.walk("10001234", "2468", *full))]
    answers: list[str] = []
    start_line = threading.Barrier(2)

    def authorise_now(caller: TwilioCaller, read_back: Answer) -> None:
        start_line.wait(10)
        answers.append(caller.press(read_back, "1").said)

    threads = [threading.Thread(target=authorise_now, args=pair) for pair in ready]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sum("has been approved" in said for said in answers) == 1
    assert sum("another payment to this account was made" in said for said in answers) == 1
    check_money(demo_app, start, [f"{FIRST}-1", f"{SECOND}-1"], history=history)
    assert balances(demo_app)[1] == 0
