"""What a caller sets up by phone, carried out by the operator's commands."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

from flask import Flask
from sqlalchemy import select

from ivr.config import override_settings, settings_of
from ivr.db import db
from ivr.security.card_store import CardDetails
from models import Account, Arrangement
from tests.app_helpers import call_payments, texts
from tests.gateway_standins.stripe import StripeStandIn
from tests.menu_helpers import ALEX_MAIN_MENU, JORDAN_LATER, JORDAN_OTHER_AMOUNT, SAM_MAIN_MENU
from tests.twilio_helpers import TwilioCaller

VISA = "4242424242424242"


def account(app: Flask, number: str) -> Account:
    """An account as it is now."""
    with db.transaction(app) as session:
        return session.scalars(select(Account).where(Account.account_number == number)).one()


def ivr(app: Flask, *args: str) -> str:
    """Run an ``ivr`` command; it must succeed. With ``--date``, it runs on that day (a run
    never charges ahead of today)."""
    if "--date" in args:
        override_settings(app, IVR_TODAY=args[args.index("--date") + 1])
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_a_payment_scheduled_by_phone_is_charged_on_its_date(demo_app: Flask) -> None:
    caller = TwilioCaller(demo_app)
    answer = caller.walk(*JORDAN_LATER, "1201", "1", VISA, "1230", "123", "94105",
                         "1")
    assert "is scheduled for December first" in answer.said
    [scheduled] = call_payments(demo_app)
    assert (scheduled.status, scheduled.scheduled_for) == ("scheduled", date(2026, 12, 1))

    assert "Approved 0" in ivr(demo_app, "payments", "run-scheduled", "--date", "2026-11-30")
    assert "Approved 1" in ivr(demo_app, "payments", "run-scheduled", "--date", "2026-12-01")
    assert "Approved 0" in ivr(demo_app, "payments", "run-scheduled", "--date", "2026-12-01")
    [paid] = call_payments(demo_app)
    assert paid.status == "approved"
    assert paid.confirmation_number == scheduled.confirmation_number
    assert account(demo_app, "10001234").balance_cents == 0
    number = scheduled.confirmation_number
    assert number and any(number in body and "approved" in body for body in texts(demo_app)[1:])
    rows = list(csv.DictReader(io.StringIO(ivr(demo_app, "payments", "export",
                                               "--format", "csv"))))
    [exported] = [r for r in rows if r["confirmation_number"] == paid.confirmation_number]
    assert (exported["status"], exported["scheduled_for"], exported["method"]) \
        == ("approved", "2026-12-01", "saved_card")


def test_a_bank_debit_returned_by_the_bank_restores_the_balance(demo_app: Flask) -> None:
    caller = TwilioCaller(demo_app)
    returned_account = "000222222227"  # Stripe's test account: insufficient funds
    answer = caller.walk(*JORDAN_OTHER_AMOUNT, "100", "1", "2", "1", "110000000",
                         returned_account, returned_account, "1")
    assert "has been submitted" in answer.said
    [pending] = call_payments(demo_app)
    assert pending.status == "pending" and pending.authorization_text
    assert "one-time electronic debit of one hundred dollars" in pending.authorization_text
    assert pending.authorized_at is not None
    assert account(demo_app, "10001234").balance_cents == 2045

    assert "returned 1" in ivr(demo_app, "payments", "settle")
    [returned] = call_payments(demo_app)
    assert (returned.status, returned.decline_code) == ("returned", "insufficient_funds")
    assert account(demo_app, "10001234").balance_cents == 12045
    assert "returned your payment of $100.00" in texts(demo_app)[-1]
    assert "not enough funds" in texts(demo_app)[-1]


def test_an_arrangement_is_paid_instalment_by_instalment(demo_app: Flask) -> None:
    sam = TwilioCaller(demo_app, caller="+12125550199")
    answer = sam.walk(*SAM_MAIN_MENU, "5", "2", "1201", "1215", "1", VISA, "1230", "123", "10001",
                      "1")
    assert "Your payment arrangement is set up." in answer.said
    ivr(demo_app, "payments", "run-scheduled", "--date", "2026-12-01")
    assert account(demo_app, "20005678").balance_cents == 8910 - 4455
    ivr(demo_app, "payments", "run-scheduled", "--date", "2026-12-15")
    assert account(demo_app, "20005678").balance_cents == 0
    assert [p.status for p in call_payments(demo_app)] == ["approved", "approved"]
    with db.transaction(demo_app) as session:
        assert session.scalars(select(Arrangement.status)).one() == "completed"


def test_autopay_set_up_by_phone_pays_the_balance_on_the_due_date(demo_app: Flask) -> None:
    alex = TwilioCaller(demo_app, caller="+13125550142")
    answer = alex.walk(*ALEX_MAIN_MENU, "4", "2", "2", "1")
    assert "AutoPay is now on." in answer.said
    ivr(demo_app, "payments", "run-scheduled", "--date", "2026-12-11")
    assert account(demo_app, "30009012").balance_cents == 25000
    assert "pending bank debits 1" in ivr(demo_app, "payments", "run-scheduled",
                                          "--date", "2026-12-12")
    assert account(demo_app, "30009012").balance_cents == 0
    rows = list(csv.DictReader(io.StringIO(ivr(demo_app, "accounts", "export",
                                               "--format", "csv"))))
    [alex_row] = [r for r in rows if r["account_number"] == "30009012"]
    assert alex_row["autopay"] == "on" and "6789" in alex_row["autopay_method"]


def test_with_stripe_a_card_kept_by_pay_is_charged_by_the_scheduled_run(
        demo_app: Flask, requests_mock: Any) -> None:
    from ivr.ports.database import make_gateway

    override_settings(demo_app, IVR_PAYMENT_GATEWAY="stripe", IVR_CARD_CAPTURE="pay",
                           IVR_STRIPE_API_KEY="sk_test_abc")
    demo_app.extensions["ivr_gateway"] = make_gateway(settings_of(demo_app), db.engine(demo_app))
    stripe = StripeStandIn().install(requests_mock)
    customer, method = stripe.mint_card(CardDetails("4242424242424242", "1230", "123", "94105"))
    caller = TwilioCaller(demo_app)
    answer = caller.walk(*JORDAN_LATER, "1201")
    assert "bank account" not in answer.said  # Stripe here takes cards only
    pay = caller.press(answer, "1").root.find("Pay")
    assert pay is not None and pay.get("tokenType") == "payment-method"
    answer = caller.post(pay.get("action", ""), Result="success", PaymentToken=method,
                         ProfileId=str(customer), PaymentCardType="visa",
                         PaymentCardNumber="xxxx-xxxx-xxxx-4242", ExpirationDate="1230")
    assert "with the Visa card ending in 4 2 4 2, on December first" in answer.said
    assert "is scheduled for December first" in caller.press(answer, "1").said

    assert "Approved 1" in ivr(demo_app, "payments", "run-scheduled", "--date", "2026-12-01")
    [sent] = stripe.intent_forms()
    assert (sent["payment_method"], sent["amount"]) == (method, "12045")
    assert sent["customer"] == customer  # a PaymentMethod on a Customer is charged with it
    key = call_payments(demo_app)[0].idempotency_key
    [posted] = [r for r in requests_mock.request_history
                if (r.method, r.path) == ("POST", "/v1/payment_intents")]
    assert posted.headers["Idempotency-Key"] == sent["metadata[idempotency_key]"] == key
    assert account(demo_app, "10001234").balance_cents == 0
