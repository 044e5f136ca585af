"""Scheduled payments, AutoPay and arrangements charged by ``run_scheduled``, on real rows."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from ivr.db import db
from ivr.payments import ledger, scheduled
from ivr.payments.gateways.sandbox import SandboxGateway
from ivr.payments.reconcile import ReconcileSummary, reconcile
from ivr.payments.scheduled import RunSummary, run_scheduled
from models import AutopayEnrollment, Payment, SavedPaymentMethod
from tests.app_helpers import addressed_texts, balance, texts
from tests.concurrency import at_once
from tests.schedule_helpers import (
    ENROLLED,
    JORDAN,
    MORGAN,
    PHONE,
    RUN_DAY,
    SAM,
    CountingGateway,
    arrangement,
    arrangement_status,
    get,
    make_accounts,
    save_bank,
    save_card,
    save_row,
    schedule,
)


def payment_count(app: Flask) -> int:
    """Rows in payments."""
    with db.transaction(app) as session:
        return session.scalar(select(func.count()).select_from(Payment)) or 0


@pytest.fixture
def ids(app: Flask) -> dict[str, int]:
    """The test accounts: account number -> id."""
    return make_accounts(app)


def test_due_card_payment_is_approved_and_texted(app: Flask, ids: dict[str, int]) -> None:
    gateway = CountingGateway()
    pid = schedule(app, ids[JORDAN], save_card(app, ids[JORDAN]), 5000, on=date(2026, 11, 20),
                   fee_cents=150)

    summary = run_scheduled(db.sessions(app), gateway, RUN_DAY)

    assert summary == RunSummary(approved=1)
    payment = get(app, pid)
    assert payment.status == "approved" and payment.decline_code is None
    assert len(payment.confirmation_number or "") == 10
    assert payment.confirmation_number and payment.confirmation_number[0] != "0"
    assert (payment.card_brand, payment.card_last4) == ("Visa", "4242")
    assert gateway.calls == [("card", payment.idempotency_key, 5150)]  # fee charged too
    assert balance(app, ids[JORDAN]) == 12045 - 5000  # the fee does not pay the bill
    [(to, body)] = addressed_texts(app)
    assert to == PHONE
    assert body == ("Your scheduled payment of $50.00 (with a $1.50 convenience fee, $51.50 in "
                    "all) to account ending 1234 was approved with Visa ending 4242. "
                    f"Confirmation number: {payment.confirmation_number}.")


def test_confirmation_number_given_when_scheduled_is_kept(
        app: Flask, ids: dict[str, int]) -> None:
    pid = schedule(app, ids[JORDAN], save_card(app, ids[JORDAN]), 1000,
                   confirmation_number="5120349999")

    assert run_scheduled(db.sessions(app), CountingGateway(), RUN_DAY) == RunSummary(approved=1)

    assert get(app, pid).confirmation_number == "5120349999"
    assert texts(app)[0].endswith("Confirmation number: 5120349999.")


def test_declined_card(app: Flask, ids: dict[str, int]) -> None:
    gateway = CountingGateway()
    pid = schedule(app, ids[JORDAN], save_card(app, ids[JORDAN], "4000000000000002"), 5000)

    assert run_scheduled(db.sessions(app), gateway, RUN_DAY) == RunSummary(declined=1)

    payment = get(app, pid)
    assert (payment.status, payment.decline_code) == ("declined", "card_declined")
    assert payment.confirmation_number is None
    assert balance(app, ids[JORDAN]) == 12045
    [body] = texts(app)
    assert "did not go through: the card issuer declined it" in body
    assert "Please make another payment" in body


def test_only_due_scheduled_rows_are_charged(app: Flask, ids: dict[str, int]) -> None:
    gateway = CountingGateway()
    card = save_card(app, ids[JORDAN])
    today = schedule(app, ids[JORDAN], card, 1000)
    tomorrow = schedule(app, ids[JORDAN], card, 2000, on=RUN_DAY + timedelta(days=1))
    done = schedule(app, ids[JORDAN], card, 3000, status="approved")
    undated = schedule(app, ids[JORDAN], card, 4000, scheduled_for=None)

    assert run_scheduled(db.sessions(app), gateway, RUN_DAY) == RunSummary(approved=1)
    assert [get(app, p).status for p in (today, tomorrow, done, undated)] == [
        "approved", "scheduled", "approved", "scheduled"]

    assert run_scheduled(db.sessions(app), gateway, RUN_DAY + timedelta(days=1)) == \
        RunSummary(approved=1)
    assert get(app, tomorrow).status == "approved"
    assert [cents for _, _, cents in gateway.calls] == [1000, 2000]


def test_running_twice_charges_once(app: Flask, ids: dict[str, int]) -> None:
    gateway = CountingGateway()
    schedule(app, ids[JORDAN], save_card(app, ids[JORDAN]), 1000)

    first = run_scheduled(db.sessions(app), gateway, RUN_DAY)
    second = run_scheduled(db.sessions(app), gateway, RUN_DAY)

    assert (first, second) == (RunSummary(approved=1), RunSummary())
    assert len(gateway.calls) == 1 and len(texts(app)) == 1


def test_a_run_that_listed_a_payment_another_machine_claimed_skips_it(
        app: Flask, ids: dict[str, int], monkeypatch: pytest.MonkeyPatch) -> None:
    gateway = CountingGateway()
    pid = schedule(app, ids[JORDAN], save_card(app, ids[JORDAN]), 1000)
    assert run_scheduled(db.sessions(app), gateway, RUN_DAY).approved == 1
    # This machine read the due list before the other machine's claim committed.
    monkeypatch.setattr(scheduled, "due_payments", lambda run_date, after=None: select(
        Payment.id, Payment.scheduled_for).where(Payment.id == pid))

    assert run_scheduled(db.sessions(app), gateway, RUN_DAY) == RunSummary(skipped=1)
    assert len(gateway.calls) == 1
    assert balance(app, ids[JORDAN]) == 12045 - 1000


def test_a_charge_in_flight_is_left_to_its_machine(app: Flask, ids: dict[str, int]) -> None:
    gateway = CountingGateway()
    gateway.release = threading.Event()
    pid = schedule(app, ids[JORDAN], save_card(app, ids[JORDAN]), 1000)
    results: list[RunSummary] = []
    first = threading.Thread(
        target=lambda: results.append(run_scheduled(db.sessions(app), gateway, RUN_DAY)))
    first.start()
    assert gateway.entered.wait(10)

    # claimed, not yet stale
    assert run_scheduled(db.sessions(app), gateway, RUN_DAY) == RunSummary()
    gateway.release.set()
    first.join(10)

    assert results == [RunSummary(approved=1)]
    assert len(gateway.calls) == 1 and get(app, pid).status == "approved"


def test_a_run_that_died_mid_charge_is_settled_by_reconcile_not_charged_again(
        app: Flask, ids: dict[str, int]) -> None:
    card = save_card(app, ids[JORDAN])
    now = datetime.now(UTC)
    # Two runs died after claiming: one after the gateway charged, one before it was called.
    charged = schedule(app, ids[JORDAN], card, 1000, status="processing",
                       idempotency_key="k-charged", processing_since=now - timedelta(minutes=11))
    never_sent = schedule(app, ids[JORDAN], card, 2000, status="processing",
                          idempotency_key="k-never", processing_since=now - timedelta(minutes=11))
    gateway = CountingGateway()
    with db.transaction(app) as session:
        token = session.get_one(SavedPaymentMethod, card).gateway_token
    first = gateway.charge_saved("card", token, 1000, "k-charged", "")

    assert run_scheduled(db.sessions(app), gateway, RUN_DAY, now=now) == RunSummary()
    assert len(gateway.calls) == 1  # a later run never sends an abandoned key again

    assert reconcile(db.sessions(app), gateway, now=now) == ReconcileSummary(approved=1, failed=1)
    assert (get(app, charged).status, get(app, charged).gateway_reference) == (
        "approved", first.reference)
    assert (get(app, never_sent).status, get(app, never_sent).decline_code) == (
        "failed", "not_charged")
    assert len(gateway.calls) == 1
    # Balances only ever count what was charged: 12045 - 1000 (the holds are released).
    assert balance(app, ids[JORDAN]) == 12045 - 1000
    assert texts(app)[-1].startswith("Your scheduled payment of $20.00")


def run_on_three_machines(app: Flask, gateway: CountingGateway) -> list[RunSummary]:
    """Three scheduled runs started at the same moment, as cron on three machines would."""
    return at_once(3, lambda: run_scheduled(db.sessions(app), gateway, RUN_DAY))


def test_racing_runs_charge_each_payment_once(app: Flask, ids: dict[str, int]) -> None:
    gateway = CountingGateway(delay=0.05)
    card = save_card(app, ids[JORDAN])
    for cents in (1000, 2000, 3000):
        schedule(app, ids[JORDAN], card, cents)
    results = run_on_three_machines(app, gateway)

    assert sum(r.approved for r in results) == 3
    assert sorted(cents for _, _, cents in gateway.calls) == [1000, 2000, 3000]
    assert balance(app, ids[JORDAN]) == 12045 - 6000
    assert len(texts(app)) == 3


def test_nothing_due_cancels_without_charging(app: Flask, ids: dict[str, int]) -> None:
    gateway = CountingGateway()
    pid = schedule(app, ids[MORGAN], save_card(app, ids[MORGAN]), 1000)

    assert run_scheduled(db.sessions(app), gateway, RUN_DAY) == RunSummary(skipped=1)

    payment = get(app, pid)
    assert (payment.status, payment.decline_code) == ("cancelled", "nothing_due")
    assert gateway.calls == []
    [body] = texts(app)
    assert "cancelled because nothing is due" in body


def test_charges_only_the_balance_when_less_is_owed(app: Flask, ids: dict[str, int]) -> None:
    gateway = CountingGateway()
    pid = schedule(app, ids[JORDAN], save_card(app, ids[JORDAN]), 20000)

    assert run_scheduled(db.sessions(app), gateway, RUN_DAY) == RunSummary(approved=1)

    assert [cents for _, _, cents in gateway.calls] == [12045]
    assert get(app, pid).amount_cents == 12045
    assert balance(app, ids[JORDAN]) == 0


def test_removed_method_fails_without_charging(app: Flask, ids: dict[str, int]) -> None:
    gateway = CountingGateway()
    card = save_card(app, ids[JORDAN])
    with db.transaction(app) as session:
        session.get_one(SavedPaymentMethod, card).removed_at = datetime.now(UTC)
    pid = schedule(app, ids[JORDAN], card, 1000)

    assert run_scheduled(db.sessions(app), gateway, RUN_DAY) == RunSummary(declined=1)

    assert (get(app, pid).status, get(app, pid).decline_code) == ("failed", "method_removed")
    assert gateway.calls == []
    assert "the saved payment method was removed" in texts(app)[0]


def test_bank_debit_is_pending_and_lowers_the_balance(app: Flask, ids: dict[str, int]) -> None:
    gateway = CountingGateway()
    pid = schedule(app, ids[JORDAN], save_bank(app, ids[JORDAN]), 5000, method="saved_bank")

    assert run_scheduled(db.sessions(app), gateway, RUN_DAY) == RunSummary(pending=1)

    payment = get(app, pid)
    assert payment.status == "pending" and payment.gateway_reference
    assert (payment.bank_account_type, payment.bank_last4) == ("checking", "6789")
    assert gateway.calls == [("bank", payment.idempotency_key, 5000)]
    assert balance(app, ids[JORDAN]) == 12045 - 5000
    assert "sent to your bank from checking account ending 6789" in texts(app)[0]


def test_a_gateway_refusal_fails_the_payment_and_tells_the_payer(
        app: Flask, ids: dict[str, int]) -> None:
    gateway = CountingGateway()
    gateway.fail = True
    pid = schedule(app, ids[JORDAN], save_card(app, ids[JORDAN]), 1000)

    assert run_scheduled(db.sessions(app), gateway, RUN_DAY) == RunSummary(declined=1)
    payment = get(app, pid)
    assert (payment.status, payment.decline_code) == ("failed", "processing_error")
    assert balance(app, ids[JORDAN]) == 12045
    assert "did not go through: there was a problem processing it" in texts(app)[0]
    assert run_scheduled(db.sessions(app), gateway, RUN_DAY) == RunSummary()  # never sent again


def test_a_lost_answer_holds_the_amount_until_reconciled(
        app: Flask, ids: dict[str, int]) -> None:
    gateway = SandboxGateway(fault="lost-reply")
    pid = schedule(app, ids[JORDAN], save_card(app, ids[JORDAN]), 1000)

    assert run_scheduled(db.sessions(app), gateway, RUN_DAY) == RunSummary(unknown=1)
    assert get(app, pid).status == "unknown" and balance(app, ids[JORDAN]) == 12045
    assert "We could not yet confirm" in texts(app)[0]

    gateway = SandboxGateway(gateway.record)  # the same gateway, answering again
    assert reconcile(db.sessions(app), gateway) == ReconcileSummary(approved=1)
    assert get(app, pid).status == "approved" and balance(app, ids[JORDAN]) == 12045 - 1000
    assert "was approved with Visa ending 4242" in texts(app)[-1]


def enroll(app: Flask, account_id: int, method_id: int, active: bool = True) -> None:
    """Turn on AutoPay for the account."""
    save_row(app, AutopayEnrollment(account_id=account_id, payment_method_id=method_id,
                                 active=active, enrolled_at=ENROLLED))


def test_autopay_charges_the_balance_once_per_due_date(app: Flask, ids: dict[str, int]) -> None:
    gateway = CountingGateway()
    enroll(app, ids[SAM], save_card(app, ids[SAM], "5555555555554444"))
    enroll(app, ids[JORDAN], save_card(app, ids[JORDAN]))  # due 2026-12-05, not today
    enroll(app, ids[MORGAN], save_card(app, ids[MORGAN]))  # nothing owed

    assert run_scheduled(db.sessions(app), gateway, RUN_DAY) == RunSummary(approved=1)
    assert run_scheduled(db.sessions(app), gateway, RUN_DAY) == RunSummary()

    with db.transaction(app) as session:
        [payment] = session.scalars(select(Payment)).all()
        assert payment.idempotency_key == f"autopay-{ids[SAM]}-2026-11-21"
        assert (payment.amount_cents, payment.method, payment.status) == (
            8910, "saved_card", "approved")
        assert (payment.card_brand, payment.notify_number) == ("Mastercard", "+12125550199")
    assert balance(app, ids[SAM]) == 0
    assert gateway.calls == [("card", f"autopay-{ids[SAM]}-2026-11-21", 8910)]
    assert texts(app)[0].startswith("Your AutoPay payment of $89.10")


def test_an_autopay_debit_carries_the_standing_authorisation_it_is_made_under(
        app: Flask, ids: dict[str, int]) -> None:
    said = "Today, November first, you, Sam Patel, authorize ... turn on AutoPay, press 1."
    save_row(app, AutopayEnrollment(
        account_id=ids[SAM], payment_method_id=save_bank(app, ids[SAM]), enrolled_at=ENROLLED,
        authorization_text=said, authorization_key="1", authorized_at=ENROLLED))

    assert run_scheduled(db.sessions(app), CountingGateway(), RUN_DAY) == RunSummary(pending=1)

    with db.transaction(app) as session:
        [payment] = session.scalars(select(Payment)).all()
        assert (payment.method, payment.status) == ("saved_bank", "pending")
        assert (payment.authorization_text, payment.authorization_key) == (said, "1")
        assert payment.authorized_at == ENROLLED


def test_inactive_autopay_charges_nothing(app: Flask, ids: dict[str, int]) -> None:
    enroll(app, ids[SAM], save_card(app, ids[SAM]), active=False)

    assert run_scheduled(db.sessions(app), CountingGateway(), RUN_DAY) == RunSummary()
    assert payment_count(app) == 0


def test_autopay_charges_what_scheduled_payments_left(app: Flask, ids: dict[str, int]) -> None:
    gateway = CountingGateway()
    card = save_card(app, ids[SAM])
    enroll(app, ids[SAM], card)
    schedule(app, ids[SAM], card, 5000)

    assert run_scheduled(db.sessions(app), gateway, RUN_DAY) == RunSummary(approved=2)
    assert [cents for _, _, cents in gateway.calls] == [5000, 3910]
    assert balance(app, ids[SAM]) == 0


def test_racing_autopay_creates_one_payment(app: Flask, ids: dict[str, int]) -> None:
    gateway = CountingGateway(delay=0.05)
    enroll(app, ids[SAM], save_bank(app, ids[SAM]))
    results = run_on_three_machines(app, gateway)

    assert sum(r.pending for r in results) == 1
    assert payment_count(app) == 1 and len(gateway.calls) == 1
    assert balance(app, ids[SAM]) == 0


def test_arrangement_completes_with_its_last_instalment(app: Flask, ids: dict[str, int]) -> None:
    gateway = CountingGateway()
    december = date(2026, 12, 21)
    plan = arrangement(app, ids[JORDAN], save_card(app, ids[JORDAN]),
                       (6000, RUN_DAY), (6045, december))

    assert run_scheduled(db.sessions(app), gateway, RUN_DAY) == RunSummary(approved=1)
    assert arrangement_status(app, plan) == "active"
    assert run_scheduled(db.sessions(app), gateway, december) == RunSummary(approved=1)
    assert arrangement_status(app, plan) == "completed"
    assert balance(app, ids[JORDAN]) == 0


def test_declined_instalment_keeps_the_arrangement_active(
        app: Flask, ids: dict[str, int]) -> None:
    plan = arrangement(app, ids[JORDAN], save_card(app, ids[JORDAN], "4000000000000002"),
                       (6000, RUN_DAY), (6045, RUN_DAY))

    assert run_scheduled(db.sessions(app), CountingGateway(), RUN_DAY) == RunSummary(declined=2)
    assert arrangement_status(app, plan) == "active"


def test_each_payment_is_claimed_and_sent_on_the_clock_of_its_own_moment(
        app: Flask, ids: dict[str, int], monkeypatch: pytest.MonkeyPatch) -> None:
    """A long run: every charge takes three minutes. Each payment's window starts when it is
    claimed, so none is sent past it, and none is left for reconcile to fail meanwhile."""
    clock = [datetime(2026, 11, 21, 11, tzinfo=UTC)]

    def tick() -> datetime:
        return clock[0]

    class SlowGateway(CountingGateway):
        def _count(self, kind: str, key: str, cents: int) -> None:
            super()._count(kind, key, cents)
            clock[0] += timedelta(minutes=3)

    for module in ("ivr.payments.ledger", "ivr.payments.charges"):
        monkeypatch.setattr(f"{module}.utcnow", tick)
    card = save_card(app, ids[JORDAN])
    paid = [schedule(app, ids[JORDAN], card, 1000) for _ in range(3)]

    assert run_scheduled(db.sessions(app), SlowGateway(), RUN_DAY) == RunSummary(approved=3)
    claimed = [get(app, pid).processing_since for pid in paid]
    assert claimed == [datetime(2026, 11, 21, 11, minute, tzinfo=UTC) for minute in (0, 3, 6)]


def test_a_payment_in_flight_holds_the_scheduled_one_back_not_cancels_it(
        app: Flask, ids: dict[str, int]) -> None:
    card = save_card(app, ids[SAM])
    pid = schedule(app, ids[SAM], card, 8910)
    with db.transaction(app) as session:  # a call is paying the whole balance right now
        held = ledger.write_ahead(session, Payment(
            account_id=ids[SAM], idempotency_key="CA-call-1", amount_cents=8910, fee_cents=0,
            method="card"))
        held_id = held.id
    assert run_scheduled(db.sessions(app), CountingGateway(), RUN_DAY) == RunSummary(skipped=1)
    assert get(app, pid).status == "scheduled" and texts(app) == []

    with db.transaction(app) as session:  # the call's card was declined
        ledger.move(session, session.get_one(Payment, held_id), "declined")
    assert run_scheduled(db.sessions(app), CountingGateway(), RUN_DAY) == RunSummary(approved=1)
    assert balance(app, ids[SAM]) == 0


def test_autopay_catches_up_after_a_payment_in_flight_fails(
        app: Flask, ids: dict[str, int]) -> None:
    enroll(app, ids[SAM], save_card(app, ids[SAM]))
    with db.transaction(app) as session:
        held = ledger.write_ahead(session, Payment(
            account_id=ids[SAM], idempotency_key="CA-call-1", amount_cents=8910, fee_cents=0,
            method="card"))
        held_id = held.id
    assert run_scheduled(db.sessions(app), CountingGateway(), RUN_DAY) == RunSummary()
    with db.transaction(app) as session:
        ledger.move(session, session.get_one(Payment, held_id), "declined")
    next_day = RUN_DAY + timedelta(days=1)
    assert run_scheduled(db.sessions(app), CountingGateway(), next_day) == RunSummary(approved=1)
    assert balance(app, ids[SAM]) == 0


def test_autopay_turned_on_after_a_due_date_starts_with_the_next(
        app: Flask, ids: dict[str, int]) -> None:
    save_row(app, AutopayEnrollment(account_id=ids[SAM], payment_method_id=save_card(app, ids[SAM]),
                                 enrolled_at=datetime(2026, 11, 22, 9, tzinfo=UTC)))
    assert run_scheduled(db.sessions(app), CountingGateway(), RUN_DAY + timedelta(days=1)) == \
        RunSummary()


def test_autopay_with_a_removed_method_fails_and_says_so(app: Flask, ids: dict[str, int]) -> None:
    card = save_card(app, ids[SAM])
    enroll(app, ids[SAM], card)
    with db.transaction(app) as session:
        session.get_one(SavedPaymentMethod, card).removed_at = datetime.now(UTC)
    gateway = CountingGateway()
    assert run_scheduled(db.sessions(app), gateway, RUN_DAY) == RunSummary(declined=1)
    assert gateway.calls == [] and balance(app, ids[SAM]) == 8910
    assert "the saved payment method was removed" in texts(app)[0]


def test_one_bad_payment_does_not_stop_the_run(app: Flask, ids: dict[str, int],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    card = save_card(app, ids[JORDAN])
    with db.transaction(app) as session:
        session.get_one(SavedPaymentMethod, card).removed_at = datetime.now(UTC)
    removed = schedule(app, ids[JORDAN], card, 20000)  # more than is owed, method removed
    broken = schedule(app, ids[JORDAN], save_card(app, ids[JORDAN]), 1000)
    fine = schedule(app, ids[SAM], save_card(app, ids[SAM]), 1000)
    decide = scheduled._decide

    def crash_on_one(session: Any, payment: Payment, *rest: Any) -> Any:
        if payment.id == broken:
            raise RuntimeError("a bug")
        return decide(session, payment, *rest)

    monkeypatch.setattr(scheduled, "_decide", crash_on_one)
    summary = run_scheduled(db.sessions(app), CountingGateway(), RUN_DAY)
    assert summary == RunSummary(approved=1, declined=1, errors=1)
    assert [get(app, p).status for p in (removed, broken, fine)] == [
        "failed", "scheduled", "approved"]


def test_a_clock_fixed_in_the_past_never_sends_a_charge_reconcile_may_settle(
        app: Flask, ids: dict[str, int]) -> None:
    gateway = CountingGateway()
    pid = schedule(app, ids[JORDAN], save_card(app, ids[JORDAN]), 1000)
    stalled = datetime.now(UTC) - timedelta(minutes=11)  # a run that stalled this long
    assert run_scheduled(db.sessions(app), gateway, RUN_DAY, now=stalled) == RunSummary(skipped=1)
    assert gateway.calls == [] and get(app, pid).status == "processing"
    assert reconcile(db.sessions(app), gateway) == ReconcileSummary(failed=1)
    assert gateway.calls == [] and balance(app, ids[JORDAN]) == 12045
