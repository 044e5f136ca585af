"""Scheduled runs keep the terms the payer was given: a bank debit authorised by telephone is
made for the amount authorised or not at all, and AutoPay starts on the due date its notice
named, in the biller's time zone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import Flask
from sqlalchemy import select

from ivr.config import override_settings
from ivr.db import db
from ivr.errors import NotPayable
from ivr.payments import ledger
from ivr.payments.scheduled import RunSummary, run_scheduled
from models import Account, AutopayEnrollment, Payment
from tests.app_helpers import addressed_texts, balance
from tests.schedule_helpers import (
    PHONE,
    RUN_DAY,
    SAM,
    CountingGateway,
    get,
    make_accounts,
    save_bank,
    save_card,
    save_row,
    schedule,
)

SAID = "Today, ... a one-time electronic debit of eighty dollars ... press 1."


def tel_debit(app: Flask, account_id: int, cents: int = 8000) -> int:
    """A bank debit scheduled for RUN_DAY under a telephone authorisation; the payment."""
    return schedule(app, account_id, save_bank(app, account_id), cents, method="saved_bank",
                    authorization_text=SAID, authorization_key="1",
                    authorized_at=datetime(2026, 11, 1, 15, tzinfo=UTC))


def bill(app: Flask, account_id: int, cents: int) -> None:
    """A statement import: the account now owes ``cents``."""
    with db.transaction(app) as session:
        ledger.bill(session.get_one(Account, account_id), cents)


def test_less_owed_than_authorised_cancels_the_debit_and_texts_why(app: Flask) -> None:
    sam = make_accounts(app)[SAM]
    pid = tel_debit(app, sam)
    bill(app, sam, 3000)
    gateway = CountingGateway()
    assert run_scheduled(db.sessions(app), gateway, RUN_DAY) == RunSummary(skipped=1)
    payment = get(app, pid)
    assert (payment.status, payment.decline_code, payment.amount_cents) == (
        "cancelled", "amount_changed", 8000)  # the terms authorised, kept on record
    assert gateway.calls == [] and balance(app, sam) == 3000
    assert addressed_texts(app) == [(PHONE, (
        "Your scheduled payment of $80.00 to account ending 5678 was cancelled because less "
        "is now due than the amount you authorized. You were not charged. Please make "
        "another payment."))]


def test_more_owed_than_authorised_debits_the_amount_authorised(app: Flask) -> None:
    sam = make_accounts(app)[SAM]
    pid = tel_debit(app, sam)
    bill(app, sam, 12000)
    gateway = CountingGateway()
    assert run_scheduled(db.sessions(app), gateway, RUN_DAY) == RunSummary(pending=1)
    assert [cents for _, _, cents in gateway.calls] == [8000]
    assert (get(app, pid).amount_cents, balance(app, sam)) == (8000, 4000)


def test_a_payment_in_flight_makes_it_wait_rather_than_cancel(app: Flask) -> None:
    sam = make_accounts(app)[SAM]  # owes 89.10
    pid = tel_debit(app, sam)
    save_row(app, Payment(account_id=sam, idempotency_key="in-flight", amount_cents=5000,
                          status="unknown", method="card"))  # may yet be declined
    gateway = CountingGateway()
    assert run_scheduled(db.sessions(app), gateway, RUN_DAY) == RunSummary(skipped=1)
    assert (get(app, pid).status, gateway.calls) == ("scheduled", [])


def test_the_ledger_never_cuts_an_authorised_amount(app: Flask) -> None:
    sam = make_accounts(app)[SAM]
    pid = tel_debit(app, sam)
    card = schedule(app, sam, save_card(app, sam), 8000)
    bill(app, sam, 3000)
    with pytest.raises(NotPayable, match="authorised"), db.transaction(app) as session:
        ledger.claim(session, session.get_one(Payment, pid))
    with db.transaction(app) as session:  # a card payment is cut to what is owed, as before
        ledger.claim(session, session.get_one(Payment, card))
    assert get(app, card).amount_cents == 3000 and get(app, pid).status == "scheduled"


def enrol(app: Flask, account_id: int, at: datetime) -> None:
    """AutoPay by bank turned on at ``at``."""
    method = save_bank(app, account_id)
    save_row(app, AutopayEnrollment(account_id=account_id, payment_method_id=method,
                                    enrolled_at=at, authorization_text="Today, ...",
                                    authorization_key="1", authorized_at=at))


def autopay_keys(app: Flask) -> list[str]:
    """The idempotency keys of the payments made."""
    with db.transaction(app) as session:
        return list(session.scalars(select(Payment.idempotency_key)))


def test_autopay_turned_on_after_midnight_locally_waits_for_the_next_due_date(
        app: Flask) -> None:
    sam = make_accounts(app)[SAM]  # due 2026-11-21
    enrol(app, sam, datetime(2026, 11, 22, 5, 30, tzinfo=UTC))  # 00:30 on the 22nd in New York
    run_scheduled(db.sessions(app), CountingGateway(), RUN_DAY.replace(day=22))
    assert autopay_keys(app) == []


def test_the_run_command_compares_in_the_biller_zone(app: Flask) -> None:
    sam = make_accounts(app)[SAM]  # due 2026-11-21
    # 19:00 on the 21st in Honolulu, 00:00 on the 22nd in New York
    enrol(app, sam, datetime(2026, 11, 22, 5, 0, tzinfo=UTC))
    override_settings(app, IVR_TIMEZONE="Pacific/Honolulu", IVR_TODAY="2026-11-22")
    result = app.test_cli_runner().invoke(args=["payments", "run-scheduled", "--date",
                                                "2026-11-22"])
    assert result.exit_code == 0, result.output
    assert autopay_keys(app) == [f"autopay-{sam}-2026-11-21"]
