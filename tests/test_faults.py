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
from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError

from ivr import calls
from ivr.db import db
from ivr.payments import charges, ledger
from ivr.payments import texts as texts_module
from ivr.payments.reconcile import reconcile
from models import AuditEvent, Payment, SmsMessage, utcnow
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


def test_a_lost_reply_on_a_bank_debit_is_held_too(demo_app: Flask) -> None:
    """The bank path of the same attack ($100 debited on $50 before)."""
    start, history = balances(demo_app), history_ids(demo_app)
    demo_app.config["IVR_SANDBOX_FAULT"] = "lost-reply"
    caller = TwilioCaller(demo_app, call_sid=FIRST, caller="+13125550142")
    by_bank = ("30003456", "9753", "2", "1", "1", "2", "1", "110000000", "000123456789",
               "000123456789")
    answer = caller.walk(*by_bank, "1")
    assert "we could not confirm your payment of forty-two dollars" in answer.said
    again = TwilioCaller(demo_app, call_sid=SECOND, caller="+13125550142").walk(*by_bank[:3])
    assert "There is nothing more to pay right now." in again.said
    demo_app.config["IVR_SANDBOX_FAULT"] = ""
    assert reconcile(demo_app, demo_app.extensions["ivr_gateway"]).pending == 1
    check_money(demo_app, start, [f"{FIRST}-1"], history=history)


def test_reconcile_looks_charges_up_and_never_replays_a_key(demo_app: Flask,
                                                            monkeypatch: pytest.MonkeyPatch
                                                            ) -> None:
    gateway = demo_app.extensions["ivr_gateway"]
    demo_app.config["IVR_SANDBOX_FAULT"] = "lost-reply"
    TwilioCaller(demo_app, call_sid=FIRST).walk(*TO_READ_BACK, "1")
    demo_app.config["IVR_SANDBOX_FAULT"] = ""
    sent: list[str] = []
    monkeypatch.setattr(gateway, "charge", lambda *args, **kwargs: sent.append(args[4]))
    summary = reconcile(demo_app, gateway, now=utcnow() + timedelta(days=2))
    assert summary.approved == 1 and sent == []  # found by looking it up, not by charging


def test_nothing_found_is_failed_only_after_the_grace_period(demo_app: Flask,
                                                             monkeypatch: pytest.MonkeyPatch
                                                             ) -> None:
    start, history = balances(demo_app), history_ids(demo_app)
    caller = TwilioCaller(demo_app, call_sid=FIRST)
    read_back = caller.walk(*TO_READ_BACK)
    fire_once(demo_app.extensions["ivr_gateway"], "charge", monkeypatch, before=True)
    assert authorise(caller, read_back) is None
    gateway = demo_app.extensions["ivr_gateway"]

    young = reconcile(demo_app, gateway)  # a gateway's search may not show it yet
    assert young.failed == 0 and young.still_unknown == 0  # not even asked: too young
    summary = reconcile(demo_app, gateway, now=utcnow() + LATER)
    assert summary.failed == 1
    check_money(demo_app, start, [], history=history)
    assert balances(demo_app) == start


def test_a_charge_is_never_sent_again_once_too_old(demo_app: Flask,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    caller = TwilioCaller(demo_app, call_sid=FIRST)
    read_back = caller.walk(*TO_READ_BACK)
    fire_once(demo_app.extensions["ivr_gateway"], "charge", monkeypatch, before=True)
    assert authorise(caller, read_back) is None
    late = utcnow() + charges.CHARGE_WINDOW + timedelta(seconds=1)
    status = charges.charge(demo_app, demo_app.extensions["ivr_gateway"], f"{FIRST}-1", late)
    assert status is None and gateway_charges(demo_app) == []


def test_hanging_up_while_holding_completes_the_payment(demo_app: Flask) -> None:
    start, history = balances(demo_app), history_ids(demo_app)
    caller = TwilioCaller(demo_app, call_sid=FIRST)
    hold = caller.press(caller.walk(*TO_READ_BACK), "1", follow=False)
    assert "Please hold while we process your payment." in hold.said
    caller.post("/voice/status", CallStatus="completed", CallDuration="80")
    check_money(demo_app, start, [f"{FIRST}-1"], history=history)
    assert gateway_charges(demo_app) == [(f"{FIRST}-1", 12045)]
    assert "has been approved" not in caller.resend().said  # a late request: a plain goodbye


def test_a_gateway_that_is_down_takes_nothing(demo_app: Flask) -> None:
    demo_app.config["IVR_SANDBOX_FAULT"] = "down"
    answer = TwilioCaller(demo_app).walk(*TO_READ_BACK, "1")
    assert "there was a problem processing your card" in answer.said
    assert "No payment was taken." in answer.said
    assert gateway_charges(demo_app) == [] and balances(demo_app)[1] == 12045


def test_racing_reconciles_record_the_outcome_once(demo_app: Flask) -> None:
    start, history = balances(demo_app), history_ids(demo_app)
    demo_app.config["IVR_SANDBOX_FAULT"] = "lost-reply"
    TwilioCaller(demo_app, call_sid=FIRST).walk(*TO_READ_BACK, "1")
    demo_app.config["IVR_SANDBOX_FAULT"] = ""
    gateway = demo_app.extensions["ivr_gateway"]
    start_line = threading.Barrier(3)
    results: list[Any] = []

    def machine() -> None:
        start_line.wait(10)
        results.append(reconcile(demo_app, gateway))

    threads = [threading.Thread(target=machine) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sum(r.approved for r in results) == 1
    check_money(demo_app, start, [f"{FIRST}-1"], history=history)
    assert sum("went through" in body for body in texts(demo_app)) == 1


def test_killed_during_reconcile_the_next_run_finishes_it(
        demo_app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    start, history = balances(demo_app), history_ids(demo_app)
    demo_app.config["IVR_SANDBOX_FAULT"] = "lost-reply"
    TwilioCaller(demo_app, call_sid=FIRST).walk(*TO_READ_BACK, "1")
    demo_app.config["IVR_SANDBOX_FAULT"] = ""
    fire_once(charges, "record", monkeypatch, before=True)
    with pytest.raises(WorkerKilled):
        reconcile(demo_app, demo_app.extensions["ivr_gateway"])
    check_money(demo_app, start, [f"{FIRST}-1"], settled=False, history=history)
    assert reconcile(demo_app, demo_app.extensions["ivr_gateway"]).approved == 1
    check_money(demo_app, start, [f"{FIRST}-1"], history=history)


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
    reconcile(demo_app, demo_app.extensions["ivr_gateway"], now=utcnow() + LATER)
    check_money(demo_app, start, [f"{FIRST}-1"], history=history)


def test_two_calls_paying_one_account_at_once_never_take_more_than_owed(
        demo_app: Flask) -> None:
    start, history = balances(demo_app), history_ids(demo_app)
    by_phone = TwilioCaller(demo_app, call_sid=FIRST)
    by_number = TwilioCaller(demo_app, call_sid=SECOND, caller="+16505550123")
    full = TO_READ_BACK[2:]
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


def test_reconcile_command_reports_and_is_audited(demo_app: Flask) -> None:
    demo_app.config["IVR_SANDBOX_FAULT"] = "lost-reply"
    TwilioCaller(demo_app).walk(*TO_READ_BACK, "1")
    demo_app.config["IVR_SANDBOX_FAULT"] = ""
    result = demo_app.test_cli_runner().invoke(args=["payments", "reconcile"])
    assert result.exit_code == 0
    assert result.output == ("Approved 1, declined 0, pending bank debits 0, not charged 0, "
                             "still unknown 0, needing an operator 0\n")
    with db.transaction(demo_app) as session:
        actions = session.scalars(select(AuditEvent.action)).all()
    assert "command:payments reconcile" in actions


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


def call_payments(app: Flask) -> list[Payment]:
    """Payments taken by calls (not the demo history)."""
    with db.transaction(app) as session:
        rows = list(session.scalars(select(Payment).where(Payment.call_sid.is_not(None))))
        session.expunge_all()
        return rows


def texts(app: Flask) -> list[str]:
    """Every queued text."""
    with db.transaction(app) as session:
        return list(session.scalars(select(SmsMessage.body).order_by(SmsMessage.id)))


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
    reconcile(demo_app, demo_app.extensions["ivr_gateway"], now=utcnow() + LATER)
    check_money(demo_app, start, [f"{FIRST}-1"], history=history)


@pytest.mark.parametrize("resend", ["Twilio retries", "the caller hangs up"])
def test_a_refused_resend_never_calls_a_charge_already_taken_failed(
        demo_app: Flask, monkeypatch: pytest.MonkeyPatch, resend: str) -> None:
    """Killed after the gateway charged; the resend is refused (a connect timeout, a 429):
    that proves nothing about the first request, so the payment stays held."""
    start, history = balances(demo_app), history_ids(demo_app)
    caller = TwilioCaller(demo_app, call_sid=FIRST)
    read_back = caller.walk(*TO_READ_BACK)
    fire_once(demo_app.extensions["ivr_gateway"], "charge", monkeypatch)
    assert authorise(caller, read_back) is None
    monkeypatch.undo()
    demo_app.config["IVR_SANDBOX_FAULT"] = "down"
    answer = recover(caller, resend)
    assert answer is None or "could not confirm" in answer.said
    assert [p.status for p in call_payments(demo_app)] == ["unknown"]
    pay_again(demo_app)  # the second caller is not let pay it again
    demo_app.config["IVR_SANDBOX_FAULT"] = ""
    assert reconcile(demo_app, demo_app.extensions["ivr_gateway"]).approved == 1
    check_money(demo_app, start, [f"{FIRST}-1"], history=history)


def test_a_refusal_on_the_only_attempt_is_a_plain_failure(demo_app: Flask) -> None:
    demo_app.config["IVR_SANDBOX_FAULT"] = "down"
    answer = TwilioCaller(demo_app, call_sid=FIRST).walk(*TO_READ_BACK, "1")
    assert "No payment was taken." in answer.said
    [payment] = call_payments(demo_app)
    assert (payment.status, payment.send_attempts) == ("failed", 1)


def test_a_hang_up_while_holding_texts_a_decline(demo_app: Flask) -> None:
    caller = TwilioCaller(demo_app, call_sid=FIRST)
    declined = ("1", "2468", "2", "1", "1", "1", "4000000000000002", "1230", "123", "94105")
    caller.press(caller.walk(*declined), "1", follow=False)
    caller.post("/voice/status", CallStatus="completed", CallDuration="50")
    assert [p.status for p in call_payments(demo_app)] == ["declined"]
    assert "did not go through (the card issuer declined it). You were not charged." in \
        texts(demo_app)[-1]


def test_a_hang_up_before_the_authorisation_is_answered_writes_nothing(demo_app: Flask) -> None:
    caller = TwilioCaller(demo_app, call_sid=FIRST)
    read_back = caller.walk(*TO_READ_BACK)
    caller.post("/voice/status", CallStatus="completed", CallDuration="50")
    assert caller.press(read_back, "1").verbs() == ["Say", "Hangup"]  # a plain goodbye
    assert call_payments(demo_app) == [] and gateway_charges(demo_app) == []


def test_a_reconciled_bank_debit_is_texted_as_submitted(demo_app: Flask) -> None:
    demo_app.config["IVR_SANDBOX_FAULT"] = "lost-reply"
    caller = TwilioCaller(demo_app, call_sid=FIRST, caller="+13125550142")
    caller.walk("30003456", "9753", "2", "1", "1", "2", "1", "110000000", "000123456789",
                "000123456789", "1")
    demo_app.config["IVR_SANDBOX_FAULT"] = ""
    assert reconcile(demo_app, demo_app.extensions["ivr_gateway"]).pending == 1
    assert texts(demo_app)[-1].startswith("Update: your bank payment of $42.00 to account "
                                          "ending 3456 from checking account ending 6789 was "
                                          "submitted.")


def test_resolving_by_hand_records_what_the_processor_says(demo_app: Flask) -> None:
    demo_app.config["IVR_CARD_CAPTURE"] = "pay"
    caller = TwilioCaller(demo_app, call_sid=FIRST)
    caller.walk("1", "2468", "2", "2", "30", "1", "1")  # <Pay> asked for; its result is lost
    key = f"{FIRST}-1"
    runner = demo_app.test_cli_runner()
    young = runner.invoke(args=["payments", "resolve", key, "--charged", "ch_1"])
    assert young.exit_code == 1 and "may still be in flight" in young.output
    summary = reconcile(demo_app, demo_app.extensions["ivr_gateway"], now=utcnow() + LATER)
    assert summary.needs_review == 1
    with db.transaction(demo_app) as session:
        session.execute(update(Payment).where(Payment.idempotency_key == key)
                        .values(processing_since=utcnow() - LATER))
    both = runner.invoke(args=["payments", "resolve", key, "--charged", "ch_1", "--not-charged"])
    assert both.exit_code == 1 and "either --charged REFERENCE or --not-charged" in both.output
    done = runner.invoke(args=["payments", "resolve", key, "--charged", "ch_1"])
    assert done.exit_code == 0 and done.output == f"Payment {key} is now approved\n"
    [payment] = call_payments(demo_app)
    assert (payment.status, payment.gateway_reference) == ("approved", "ch_1")
    assert balances(demo_app)[1] == 12045 - 3000
    again = runner.invoke(args=["payments", "resolve", key, "--not-charged"])
    assert again.exit_code == 1 and "no payment in doubt" in again.output


def test_a_hang_up_racing_the_authorisation_still_pays(demo_app: Flask,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """The caller presses 1 and hangs up at once; the "1" is answered while the status
    callback runs. The payment it wrote is charged, not left to fail at reconcile."""
    start, history = balances(demo_app), history_ids(demo_app)
    caller = TwilioCaller(demo_app, call_sid=FIRST)
    read_back = caller.walk(*TO_READ_BACK)
    close = calls.close_call

    def authorised_meanwhile(app: Flask, form: Any) -> None:
        caller.press(read_back, "1", follow=False)  # commits while the callback is running
        close(app, form)

    monkeypatch.setattr("ivr.voice.close_call", authorised_meanwhile)
    caller.post("/voice/status", CallStatus="completed", CallDuration="50")
    assert [p.status for p in call_payments(demo_app)] == ["approved"]
    check_money(demo_app, start, [f"{FIRST}-1"], history=history)


def test_a_failed_bank_debit_is_not_called_a_card_problem(demo_app: Flask) -> None:
    demo_app.config["IVR_SANDBOX_FAULT"] = "down"
    caller = TwilioCaller(demo_app, call_sid=FIRST, caller="+13125550142")
    answer = caller.walk("30003456", "9753", "2", "1", "1", "2", "1", "110000000",
                         "000123456789", "000123456789", "1")
    assert "Sorry, there was a problem submitting the bank debit." in answer.said
    assert "card" not in answer.said.split("No payment was taken.")[0]
