"""CSV exports of payments, accounts and the SMS outbox, and the demo data they start from."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest
from flask import Flask
from sqlalchemy import func, insert, select

from ivr.db import db
from ivr.ops.demo import has_accounts, load_demo
from ivr.ops.exports import (
    ACCOUNT_COLUMNS,
    PAYMENT_COLUMNS,
    export_accounts_csv,
    export_payments_csv,
    export_sms_csv,
    format_dollars,
)
from ivr.security.pins import pins_of
from models import Account, AutopayEnrollment, Payment, SavedPaymentMethod, SmsMessage
from tests.export_helpers import export
from tests.schedule_helpers import make_accounts

T0 = datetime(2026, 11, 21, 15, 30, 5, 123456, tzinfo=UTC)


def add_payment(app: Flask, **fields: object) -> None:
    """Add one payment to account 10001234 of the demo data."""
    with db.transaction(app) as session:
        account_id = session.scalar(select(Account.id).where(Account.account_number == "10001234"))
        values = {"account_id": account_id, "status": "approved", "method": "card"}
        session.add(Payment(**(values | fields)))


def test_demo_loads_accounts_and_payment_history(demo_app: Flask) -> None:
    with db.transaction(demo_app) as session:
        assert has_accounts(session)
        payments = session.scalars(select(Payment).order_by(Payment.created_at)).all()
        assert len(payments) == 4
        first = payments[0]
        assert (first.idempotency_key, first.amount_cents, first.method, first.status) == (
            "demo:5120348816", 10100, "bank", "approved")
        assert first.created_at == datetime(2026, 8, 6, 12, 0, tzinfo=UTC)
        assert first.card_brand is None and first.account.account_number == "10001234"


def test_demo_load_is_repeatable(demo_app: Flask) -> None:
    with db.transaction(demo_app) as session:
        load_demo(session, pins_of(demo_app))
    with db.transaction(demo_app) as session:
        assert session.scalar(select(func.count()).select_from(Payment)) == 4
        assert session.scalar(select(func.count()).select_from(Account)) == 6


def test_has_accounts_on_empty_database(app: Flask) -> None:
    with db.transaction(app) as session:
        assert not has_accounts(session)


def test_payments_export_of_demo_history(demo_app: Flask) -> None:
    rows = export(demo_app, export_payments_csv)

    assert [r["confirmation_number"] for r in rows] == [
        "5120348816", "5120348817", "5120348819", "5120348818"]
    assert rows[0] == {
        "account_number": "10001234", "amount": "101.00", "fee": "0.00", "status": "approved",
        "method": "bank", "confirmation_number": "5120348816", "card_brand": "",
        "card_last4": "", "bank_account_type": "", "bank_last4": "", "scheduled_for": "",
        "decline_code": "", "call_sid": "", "created_at": "2026-08-06T12:00:00+00:00",
    }
    assert (rows[1]["amount"], rows[1]["card_brand"], rows[1]["card_last4"]) == (
        "110.20", "Mastercard", "4444")
    assert rows[2]["account_number"] == "20005678"


def test_payments_export_declines_small_amounts_and_order(demo_app: Flask) -> None:
    add_payment(demo_app, idempotency_key="k2", amount_cents=5, created_at=T0,
                status="declined", decline_code="insufficient_funds", call_sid="CA2")
    add_payment(demo_app, idempotency_key="k1", amount_cents=1250, created_at=T0,
                confirmation_number="5120349000", card_brand="Visa", card_last4="4242",
                call_sid="CA1")

    rows = export(demo_app, export_payments_csv)

    # Same created_at: ties are broken by id, i.e. insertion order.
    assert [r["call_sid"] for r in rows[-2:]] == ["CA2", "CA1"]
    declined, approved = rows[-2:]
    assert (declined["amount"], declined["status"], declined["decline_code"]) == (
        "0.05", "declined", "insufficient_funds")
    assert declined["confirmation_number"] == ""
    assert (approved["amount"], approved["card_last4"]) == ("12.50", "4242")
    assert approved["created_at"] == "2026-11-21T15:30:05+00:00"


def test_payments_export_scheduled_bank_payment_with_fee(demo_app: Flask) -> None:
    add_payment(demo_app, idempotency_key="k3", amount_cents=4000, fee_cents=195,
                status="scheduled", method="saved_bank", bank_account_type="checking",
                bank_last4="6789", scheduled_for=date(2026, 12, 1), created_at=T0)

    row = export(demo_app, export_payments_csv)[-1]

    assert (row["amount"], row["fee"], row["status"], row["method"]) == (
        "40.00", "1.95", "scheduled", "saved_bank")
    assert (row["bank_account_type"], row["bank_last4"], row["scheduled_for"]) == (
        "checking", "6789", "2026-12-01")
    assert (row["card_brand"], row["card_last4"], row["confirmation_number"]) == ("", "", "")


def add_method(app: Flask, account_id: int, **fields: object) -> int:
    """A saved method for the account; its id."""
    with db.transaction(app) as session:
        method = SavedPaymentMethod(**({"account_id": account_id, "gateway_token": "tok"}
                                       | fields))
        session.add(method)
        session.flush()
        return method.id


def test_accounts_export(app: Flask) -> None:
    ids = make_accounts(app)  # 10001234, 20005678, 40007890
    jordan, sam, morgan = ids["10001234"], ids["20005678"], ids["40007890"]
    visa = add_method(app, jordan, kind="card", brand="Visa", last4="4242")
    add_method(app, jordan, kind="bank", bank_account_type="checking", last4="6789")
    add_method(app, jordan, kind="card", brand="Amex", last4="0005", removed_at=T0)
    removed = add_method(app, sam, kind="card", brand="Discover", last4="1117", removed_at=T0)
    add_method(app, morgan, kind="bank", bank_account_type="savings", last4="1111")
    with db.transaction(app) as session:
        session.add(AutopayEnrollment(account_id=jordan, payment_method_id=visa))
        session.add(AutopayEnrollment(account_id=sam, payment_method_id=removed))
        session.add(AutopayEnrollment(account_id=morgan, payment_method_id=visa, active=False))
        session.get_one(Account, sam).language = "es-US"

    out = io.StringIO()
    with db.transaction(app) as session:
        assert export_accounts_csv(session, out) == 3
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))

    assert [r["account_number"] for r in rows] == ["10001234", "20005678", "40007890"]
    assert rows[0] == {
        "account_number": "10001234", "name": "Jordan Rivera", "phone": "+14155550100",
        "balance": "120.45", "due_date": "2026-12-05", "autopay": "on",
        "autopay_method": "Visa 4242", "saved_methods": "Visa 4242; checking 6789",
        "language": "en-US"}
    # AutoPay still names its method after the method was removed; the list shows active ones.
    assert (rows[1]["autopay"], rows[1]["autopay_method"], rows[1]["saved_methods"],
            rows[1]["language"]) == ("on", "Discover 1117", "", "es-US")
    assert rows[2] == {
        "account_number": "40007890", "name": "Morgan Lee", "phone": "", "balance": "0.00",
        "due_date": "2026-11-21", "autopay": "off", "autopay_method": "",
        "saved_methods": "savings 1111", "language": "en-US"}
    with db.transaction(app) as session:
        hashes = session.scalars(select(Account.pin_hash)).all()
    assert hashes and not any(h in out.getvalue() for h in hashes)
    assert "pin" not in out.getvalue().splitlines()[0]


def test_accounts_export_streams_more_rows_than_one_batch(app: Flask) -> None:
    with db.transaction(app) as session:
        session.execute(insert(Account), [
            {"account_number": f"{i:08d}", "name": f"n{i}", "pin_hash": "x", "balance_cents": i,
             "due_date": date(2026, 12, 1)} for i in range(1203)])
        first = session.scalar(select(Account.id).where(Account.account_number == "00000000"))
        session.add(SavedPaymentMethod(account_id=first, kind="card", brand="Visa",
                                       gateway_token="t", last4="4242"))

    rows = export(app, export_accounts_csv)

    assert [r["name"] for r in rows] == [f"n{i}" for i in range(1203)]
    assert rows[0]["saved_methods"] == "Visa 4242" and rows[1]["saved_methods"] == ""


def test_accounts_export_empty_has_header(app: Flask) -> None:
    out = io.StringIO()
    with db.transaction(app) as session:
        assert export_accounts_csv(session, out) == 0
    assert out.getvalue().strip() == ",".join(ACCOUNT_COLUMNS)


def test_payments_export_empty_has_header(app: Flask) -> None:
    out = io.StringIO()
    with db.transaction(app) as session:
        assert export_payments_csv(session, out) == 0
    assert out.getvalue().strip() == ",".join(PAYMENT_COLUMNS)


def test_sms_export(app: Flask) -> None:
    with db.transaction(app) as session:
        session.add(SmsMessage(to_number="+14155550100", body='Paid $12.50, "thanks"\nBye',
                               status="sent", attempts=1, created_at=T0, sent_at=T0))
        session.add(SmsMessage(to_number="+12125550199", body="Queued", created_at=T0))

    rows = export(app, export_sms_csv)

    assert rows == [
        {"to": "+14155550100", "body": 'Paid $12.50, "thanks"\nBye', "status": "sent",
         "attempts": "1", "created_at": "2026-11-21T15:30:05+00:00",
         "sent_at": "2026-11-21T15:30:05+00:00", "delivery_status": "", "error_code": "",
         "error": ""},
        {"to": "+12125550199", "body": "Queued", "status": "queued", "attempts": "0",
         "created_at": "2026-11-21T15:30:05+00:00", "sent_at": "", "delivery_status": "",
         "error_code": "", "error": ""},
    ]


def test_sms_export_streams_more_rows_than_one_batch(app: Flask) -> None:
    with db.transaction(app) as session:
        session.execute(insert(SmsMessage), [
            {"to_number": "+14155550100", "body": f"m{i}", "created_at": T0}
            for i in range(1203)])

    rows = export(app, export_sms_csv)

    assert [r["body"] for r in rows] == [f"m{i}" for i in range(1203)]


@pytest.mark.parametrize(("cents", "text"), [
    (0, "0.00"), (5, "0.05"), (50, "0.50"), (1250, "12.50"), (120410, "1204.10"),
    (2**31 - 1, "21474836.47"),
])
def test_format_dollars(cents: int, text: str) -> None:
    assert format_dollars(cents) == text
