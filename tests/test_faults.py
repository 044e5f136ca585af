"""Faults told honestly to the caller: a lost gateway answer, a gateway that is down,
a database that is down. Nothing is charged twice, lost, or half-written."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from flask import Flask
from ivr.payments.reconcile import reconcile
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from ivr import calls, payment_ports
from ivr.db import db
from ivr.gateway_sandbox import SandboxGateway
from ivr.gateways import GatewayCharge
from models import Account, CallSession, Payment, SmsMessage
from tests.twilio_helpers import TwilioCaller

TO_READ_BACK = ("1", "2468", "2", "2", "40", "1", "1", "4242424242424242", "1230", "123",
                "94105")


def balance(app: Flask) -> int:
    """Account 10001234's balance in cents."""
    with db.transaction(app) as session:
        return session.scalars(select(Account.balance_cents)
                               .where(Account.account_number == "10001234")).one()


def payment(app: Flask) -> Payment:
    """The one payment made by a call."""
    with db.transaction(app) as session:
        return session.scalars(select(Payment).where(Payment.call_sid.is_not(None))).one()


def texts(app: Flask) -> list[str]:
    """Every queued text."""
    with db.transaction(app) as session:
        return list(session.scalars(select(SmsMessage.body).order_by(SmsMessage.id)))


def test_a_lost_gateway_answer_is_told_honestly_and_reconciled_once(demo_app: Flask) -> None:
    demo_app.config["IVR_SANDBOX_FAULT"] = "lost-reply"
    caller = TwilioCaller(demo_app)
    answer = caller.press(caller.walk(*TO_READ_BACK), "1")
    assert "we could not confirm your payment of forty dollars" in answer.said
    assert "You will not be charged twice." in answer.said
    assert "Your reference number is" in answer.said
    unknown = payment(demo_app)
    assert unknown.status == "unknown" and unknown.gateway_token
    assert balance(demo_app) == 12045
    assert "could not yet confirm your payment of $40.00" in texts(demo_app)[-1]

    still = reconcile(demo_app, demo_app.extensions["ivr_gateway"])
    assert still.still_unknown == 1 and payment(demo_app).status == "unknown"

    demo_app.config["IVR_SANDBOX_FAULT"] = ""
    summary = reconcile(demo_app, demo_app.extensions["ivr_gateway"])
    assert (summary.approved, summary.still_unknown) == (1, 0)
    settled = payment(demo_app)
    assert settled.status == "approved" and settled.gateway_token is None
    assert settled.confirmation_number == unknown.confirmation_number
    assert balance(demo_app) == 12045 - 4000
    assert "went through" in texts(demo_app)[-1]
    assert reconcile(demo_app, demo_app.extensions["ivr_gateway"]).approved == 0
    assert balance(demo_app) == 12045 - 4000


def test_a_gateway_that_is_down_takes_nothing(demo_app: Flask) -> None:
    demo_app.config["IVR_SANDBOX_FAULT"] = "down"
    caller = TwilioCaller(demo_app)
    answer = caller.press(caller.walk(*TO_READ_BACK), "1")
    assert "there was a problem processing your card" in answer.said
    assert "No payment was taken." in answer.said
    assert payment(demo_app).status == "declined" and balance(demo_app) == 12045


def test_racing_reconciles_record_the_outcome_once(demo_app: Flask) -> None:
    demo_app.config["IVR_SANDBOX_FAULT"] = "lost-reply"
    caller = TwilioCaller(demo_app)
    caller.press(caller.walk(*TO_READ_BACK), "1")
    demo_app.config["IVR_SANDBOX_FAULT"] = ""
    calls_seen: list[str] = []

    class SlowSandbox(SandboxGateway):
        def charge(self, *args: Any, **kwargs: Any) -> GatewayCharge:
            calls_seen.append(args[4])
            threading.Event().wait(0.05)
            return super().charge(*args, **kwargs)

    gateway = SlowSandbox()
    threads = [threading.Thread(target=reconcile, args=(demo_app, gateway))
               for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(set(calls_seen)) == 1  # every replay used the payment's own key
    assert payment(demo_app).status == "approved"
    assert balance(demo_app) == 12045 - 4000
    assert sum("went through" in body for body in texts(demo_app)) == 1


def test_database_down_mid_call_is_an_apology_and_writes_nothing(
        demo_app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    demo_app.config["IVR_AGENT_NUMBER"] = "+18005550123"
    caller = TwilioCaller(demo_app)
    read_back = caller.walk(*TO_READ_BACK)

    def database_down(*args: Any, **kwargs: Any) -> str:
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(calls, "_take_turn", database_down)
    answer = caller.press(read_back, "1")
    assert answer.status == 200
    assert "something went wrong on our end" in answer.said
    assert answer.root.findtext("Dial") == "+18005550123"
    monkeypatch.undo()
    with db.transaction(demo_app) as session:
        assert session.scalars(select(Payment).where(Payment.call_sid.is_not(None))).all() == []
        [call] = session.scalars(select(CallSession)).all()
        assert call.state == "pay_confirm"  # the failed turn left nothing behind
    assert balance(demo_app) == 12045


def test_a_failure_halfway_through_a_payment_rolls_it_all_back(
        demo_app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    caller = TwilioCaller(demo_app)
    read_back = caller.walk(*TO_READ_BACK)

    def sms_down(*args: Any, **kwargs: Any) -> None:
        raise OperationalError("INSERT INTO sms_outbox", {}, Exception("disk full"))

    monkeypatch.setattr(payment_ports, "queue_text", sms_down)
    answer = caller.press(read_back, "1")
    assert "something went wrong on our end" in answer.said
    with db.transaction(demo_app) as session:
        assert session.scalars(select(Payment).where(Payment.call_sid.is_not(None))).all() == []
    assert balance(demo_app) == 12045



def test_two_calls_paying_one_account_at_once_never_take_more_than_owed(
        demo_app: Flask) -> None:
    by_phone = TwilioCaller(demo_app, call_sid="CA" + "1" * 32)
    by_number = TwilioCaller(demo_app, call_sid="CA" + "2" * 32, caller="+16505550123")
    full = ("2", "1", "1", "1", "4242424242424242", "1230", "123", "94105")
    ready = [(by_phone, by_phone.walk("1", "2468", *full)),
             (by_number, by_number.walk("10001234", "2468", *full))]
    answers: list[str] = []
    start = threading.Barrier(2)

    def authorise(caller: TwilioCaller, read_back: Any) -> None:
        start.wait(10)
        answers.append(caller.press(read_back, "1").said)

    threads = [threading.Thread(target=authorise, args=pair) for pair in ready]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sum("has been approved" in said for said in answers) == 1
    assert sum("another payment to this account was made" in said for said in answers) == 1
    assert balance(demo_app) == 0
    with db.transaction(demo_app) as session:
        statuses = sorted(session.scalars(select(Payment.status)
                                          .where(Payment.call_sid.is_not(None))))
    assert statuses == ["approved", "declined"]


def test_reconcile_command_reports_and_is_audited(demo_app: Flask) -> None:
    from models import AuditEvent

    demo_app.config["IVR_SANDBOX_FAULT"] = "lost-reply"
    caller = TwilioCaller(demo_app)
    caller.press(caller.walk(*TO_READ_BACK), "1")
    demo_app.config["IVR_SANDBOX_FAULT"] = ""
    result = demo_app.test_cli_runner().invoke(args=["payments", "reconcile"])
    assert result.exit_code == 0
    assert "Approved 1, declined 0, pending bank debits 0, still unknown 0" in result.output
    with db.transaction(demo_app) as session:
        actions = session.scalars(select(AuditEvent.action)).all()
    assert "command:payments reconcile" in actions and "reconcile" in actions


def test_locked_by_wrong_pins_over_two_calls_then_unlocked_by_the_operator(
        demo_app: Flask) -> None:
    first = TwilioCaller(demo_app, call_sid="CA" + "a" * 32)
    assert "cannot continue" in first.walk("1", "0000", "0001", "0002").said
    second = TwilioCaller(demo_app, call_sid="CA" + "b" * 32)
    answer = second.walk("1", "0003", "0004")
    assert "this account is locked for 30 minutes" in answer.said
    third = TwilioCaller(demo_app, call_sid="CA" + "c" * 32)
    assert "this account is locked" in third.walk("1", "2468").said  # even the right PIN
    result = demo_app.test_cli_runner().invoke(args=["accounts", "unlock", "10001234"])
    assert result.exit_code == 0 and "Unlocked account ending 1234" in result.output
    fourth = TwilioCaller(demo_app, call_sid="CA" + "d" * 32)
    assert "Your PIN is correct." in fourth.walk("1", "2468").said
