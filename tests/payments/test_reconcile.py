"""Reconciling payments in doubt: looked up at the gateway, never charged again; the grace
period; racing and killed runs; the command; and resolving by hand what cannot be looked up."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select, update

from ivr.config import override_settings
from ivr.db import db
from ivr.payments import charges
from ivr.payments.reconcile import reconcile
from models import AuditEvent, Payment, utcnow
from tests.app_helpers import call_payments, texts
from tests.concurrency import at_once
from tests.fault_helpers import (
    FIRST,
    LATER,
    TO_READ_BACK,
    WorkerKilled,
    authorise,
    fire_once,
)
from tests.menu_helpers import JORDAN_OTHER_AMOUNT, NOW_BY_BANK
from tests.money_checks import balances, check_money, gateway_charges, history_ids
from tests.twilio_helpers import TwilioCaller


def test_reconcile_looks_charges_up_and_never_replays_a_key(demo_app: Flask,
                                                            monkeypatch: pytest.MonkeyPatch
                                                            ) -> None:
    gateway = demo_app.extensions["ivr_gateway"]
    override_settings(demo_app, IVR_SANDBOX_FAULT="lost-reply")
    TwilioCaller(demo_app, call_sid=FIRST).walk(*TO_READ_BACK, "1")
    override_settings(demo_app, IVR_SANDBOX_FAULT="")
    sent: list[str] = []
    monkeypatch.setattr(gateway, "charge_card", lambda *args, **kwargs: sent.append(args[2]))
    summary = reconcile(db.sessions(demo_app), gateway, now=utcnow() + timedelta(days=2))
    assert summary.approved == 1 and sent == []  # found by looking it up, not by charging


def test_nothing_found_is_failed_only_after_the_grace_period(demo_app: Flask,
                                                             monkeypatch: pytest.MonkeyPatch
                                                             ) -> None:
    start, history = balances(demo_app), history_ids(demo_app)
    caller = TwilioCaller(demo_app, call_sid=FIRST)
    read_back = caller.walk(*TO_READ_BACK)
    fire_once(demo_app.extensions["ivr_gateway"], "charge_card", monkeypatch, before=True)
    assert authorise(caller, read_back) is None
    gateway = demo_app.extensions["ivr_gateway"]

    young = reconcile(db.sessions(demo_app), gateway)  # a gateway's search may not show it yet
    assert young.failed == 0 and young.still_unknown == 0  # not even asked: too young
    summary = reconcile(db.sessions(demo_app), gateway, now=utcnow() + LATER)
    assert summary.failed == 1
    check_money(demo_app, start, [], history=history)
    assert balances(demo_app) == start


def test_a_charge_is_never_sent_again_once_too_old(demo_app: Flask,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    caller = TwilioCaller(demo_app, call_sid=FIRST)
    read_back = caller.walk(*TO_READ_BACK)
    fire_once(demo_app.extensions["ivr_gateway"], "charge_card", monkeypatch, before=True)
    assert authorise(caller, read_back) is None
    late = utcnow() + charges.CHARGE_WINDOW + timedelta(seconds=1)
    status = charges.charge(db.sessions(demo_app), demo_app.extensions["ivr_gateway"],
                            f"{FIRST}-1", late)
    assert status is None and gateway_charges(demo_app) == []


def test_racing_reconciles_record_the_outcome_once(demo_app: Flask) -> None:
    start, history = balances(demo_app), history_ids(demo_app)
    override_settings(demo_app, IVR_SANDBOX_FAULT="lost-reply")
    TwilioCaller(demo_app, call_sid=FIRST).walk(*TO_READ_BACK, "1")
    override_settings(demo_app, IVR_SANDBOX_FAULT="")
    gateway = demo_app.extensions["ivr_gateway"]
    results = at_once(3, lambda: reconcile(db.sessions(demo_app), gateway))
    assert sum(r.approved for r in results) == 1
    check_money(demo_app, start, [f"{FIRST}-1"], history=history)
    assert sum("went through" in body for body in texts(demo_app)) == 1


def test_killed_during_reconcile_the_next_run_finishes_it(
        demo_app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    start, history = balances(demo_app), history_ids(demo_app)
    override_settings(demo_app, IVR_SANDBOX_FAULT="lost-reply")
    TwilioCaller(demo_app, call_sid=FIRST).walk(*TO_READ_BACK, "1")
    override_settings(demo_app, IVR_SANDBOX_FAULT="")
    fire_once(charges, "record", monkeypatch, before=True)
    with pytest.raises(WorkerKilled):
        reconcile(db.sessions(demo_app), demo_app.extensions["ivr_gateway"])
    check_money(demo_app, start, [f"{FIRST}-1"], settled=False, history=history)
    assert reconcile(db.sessions(demo_app), demo_app.extensions["ivr_gateway"]).approved == 1
    check_money(demo_app, start, [f"{FIRST}-1"], history=history)


def test_reconcile_command_reports_and_is_audited(demo_app: Flask) -> None:
    override_settings(demo_app, IVR_SANDBOX_FAULT="lost-reply")
    TwilioCaller(demo_app).walk(*TO_READ_BACK, "1")
    override_settings(demo_app, IVR_SANDBOX_FAULT="")
    result = demo_app.test_cli_runner().invoke(args=["payments", "reconcile"])
    assert result.exit_code == 0
    assert result.output == ("Approved 1, declined 0, pending bank debits 0, not charged 0, "
                             "still unknown 0, needing an operator 0\n")
    with db.transaction(demo_app) as session:
        actions = session.scalars(select(AuditEvent.action)).all()
    assert "command:payments reconcile" in actions


def test_a_reconciled_bank_debit_is_texted_as_submitted(demo_app: Flask) -> None:
    override_settings(demo_app, IVR_SANDBOX_FAULT="lost-reply")
    caller = TwilioCaller(demo_app, call_sid=FIRST, caller="+13125550142")
    caller.walk("30003456", "9753", NOW_BY_BANK, "1", "110000000", "000123456789",
                "000123456789", "1")
    override_settings(demo_app, IVR_SANDBOX_FAULT="")
    assert reconcile(db.sessions(demo_app), demo_app.extensions["ivr_gateway"]).pending == 1
    assert texts(demo_app)[-1].startswith("Update: your bank payment of $42.00 to account "
                                          "ending 3456 from checking account ending 6789 was "
                                          "submitted.")


def test_resolving_by_hand_records_what_the_processor_says(demo_app: Flask) -> None:
    override_settings(demo_app, IVR_CARD_CAPTURE="pay")
    caller = TwilioCaller(demo_app, call_sid=FIRST)
    caller.walk(*JORDAN_OTHER_AMOUNT, "30", "1", "1")  # <Pay> asked for; its result is lost
    key = f"{FIRST}-1"
    runner = demo_app.test_cli_runner()
    young = runner.invoke(args=["payments", "resolve", key, "--charged", "ch_1"])
    assert young.exit_code == 1 and "may still be in flight" in young.output
    summary = reconcile(db.sessions(demo_app), demo_app.extensions["ivr_gateway"],
                        now=utcnow() + LATER)
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
