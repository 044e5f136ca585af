"""Account import: validation messages, upsert, atomicity and PIN hashing."""

from __future__ import annotations

import io
from datetime import date

import pytest
from flask import Flask
from sqlalchemy import select, text

from ivr.db import db
from ivr.errors import ImportRowError
from ivr.ops.accounts_import import ImportSummary, import_accounts, parse_cents
from ivr.ops.demo import ACCOUNTS_FILE, open_demo
from ivr.security.pins import PinHasher
from models import Account
from tests.import_helpers import (
    HEADER,
    PINS,
    ROW_A,
    ROW_B,
    accounts,
    count_accounts,
    import_error,
    run_import,
)


def test_import_creates_accounts_with_normalised_fields(app: Flask) -> None:
    summary = run_import(app, HEADER, ROW_A, ROW_B)

    assert summary == ImportSummary(created=2, updated=0, unchanged=0)
    rows = accounts(app)
    jordan, sam = rows["10001234"], rows["20005678"]
    assert (jordan.name, jordan.phone_e164, jordan.balance_cents) == (
        "Jordan Rivera", "+14155550100", 120410)
    assert (jordan.due_date, jordan.billing_zip, jordan.failed_pin_attempts) == (
        date(2026, 12, 5), "94105", 0)
    assert (sam.phone_e164, sam.balance_cents, sam.billing_zip) == ("+12125550199", 8910, None)
    assert PINS.verify("1234", jordan.pin_hash)
    assert not PINS.verify("5678", jordan.pin_hash)


def test_raw_pin_appears_in_no_column(app: Flask) -> None:
    run_import(app, HEADER, "10001234,Pat Doe,,8642,1.00,2026-12-05,")

    with db.engine(app).connect() as conn:
        row = conn.execute(text("SELECT * FROM accounts")).mappings().one()
    assert all("8642" not in str(value) for value in row.values())
    assert row["pin_hash"].startswith("hmac-sha256$")


def test_zip_column_is_optional_and_phone_may_be_empty(app: Flask) -> None:
    summary = run_import(app, "account_number,name,phone,pin,balance,due_date",
                         "40007890,Morgan Lee,,7890,0.00,2026-12-20")

    assert summary.created == 1
    morgan = accounts(app)["40007890"]
    assert (morgan.phone_e164, morgan.billing_zip, morgan.balance_cents) == (None, None, 0)


def test_reimport_updates_existing_accounts(app: Flask) -> None:
    run_import(app, HEADER, ROW_A)

    summary = run_import(app, HEADER,
                         "10001234,Jordan R. Rivera,+1 212 555 0123,4321,0.05,2027-01-31,10001",
                         ROW_B)

    assert summary == ImportSummary(created=1, updated=1, unchanged=0)
    jordan = accounts(app)["10001234"]
    assert (jordan.name, jordan.phone_e164, jordan.balance_cents) == (
        "Jordan R. Rivera", "+12125550123", 5)
    assert (jordan.due_date, jordan.billing_zip) == (date(2027, 1, 31), "10001")
    assert PINS.verify("4321", jordan.pin_hash) and not PINS.verify("1234", jordan.pin_hash)
    assert count_accounts(app) == 2


def test_bad_third_row_writes_nothing(app: Flask) -> None:
    message = import_error(app, HEADER, ROW_A, ROW_B,
                           "30009012,Alex Kim,,9012,12.345,2026-12-12,")

    assert message == 'line 4, field "balance": "12.345" is not an amount in dollars and cents'
    assert count_accounts(app) == 0


def test_bad_row_leaves_existing_accounts_unchanged(app: Flask) -> None:
    run_import(app, HEADER, ROW_A)

    import_error(app, HEADER, "10001234,Renamed,,1111,5.00,2026-12-05,", "bad,row,,1,1,1,")

    jordan = accounts(app)["10001234"]
    assert (jordan.name, jordan.balance_cents) == ("Jordan Rivera", 120410)
    assert PINS.verify("1234", jordan.pin_hash)


def test_a_credit_balance_imports_below_zero(app: Flask) -> None:
    run_import(app, HEADER, "10001234,Jordan Rivera,,1234,-12.50,2026-12-05,")
    assert accounts(app)["10001234"].balance_cents == -1250


def test_error_raised_while_writing_rolls_back(app: Flask,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Validation passes, then hashing blows up half-way: the transaction undoes row 1."""
    calls = []

    def flaky_hash(hasher: PinHasher, pin: str) -> str:
        calls.append(pin)
        if len(calls) == 2:
            raise RuntimeError("disk on fire")
        return "hmac-sha256$stub"

    monkeypatch.setattr(PinHasher, "hash", flaky_hash)
    with pytest.raises(RuntimeError):
        run_import(app, HEADER, ROW_A, ROW_B)
    assert count_accounts(app) == 0


@pytest.mark.parametrize(("row", "expected"), [
    ("AB123,N,,1234,1.00,2026-12-05,",
     'field "account_number": "AB123" is not an account number (4 to 20 digits)'),
    ("123,N,,1234,1.00,2026-12-05,", 'field "account_number": "123" is not'),
    ("1" * 21 + ",N,,1234,1.00,2026-12-05,", 'field "account_number"'),
    ("10001234,,,1234,1.00,2026-12-05,", 'field "name": must be 1 to 200 characters'),
    ("10001234,N,555-CALL-NOW-PLEASE,1234,1.00,2026-12-05,",
     'field "phone": "555-CALL-NOW-PLEASE" is not a valid phone number'),
    ("10001234,N,12345,1234,1.00,2026-12-05,", 'field "phone": "12345" is not a valid'),
    ("10001234,N,,-5.00,1.00,2026-12-05,", 'field "pin": must be exactly 4 digits'),
    ("10001234,N,,1234,--1.00,2026-12-05,", 'field "balance": "--1.00" must not be negative'),
    ("10001234,N,,1234,abc,2026-12-05,", 'field "balance": "abc" is not an amount'),
    ("10001234,N,,1234,,2026-12-05,", 'field "balance": "" is not an amount'),
    ("10001234,N,,1234,1e3,2026-12-05,", 'field "balance": "1e3" is not an amount'),
    ("10001234,N,,1234,1.00,12/05/2026,", 'field "due_date": "12/05/2026" is not a date'),
    ("10001234,N,,1234,1.00,2026-02-30,", 'field "due_date": "2026-02-30" is not a real'),
    ("10001234,N,,1234,1.00,2026-12-05,9410", 'field "zip": "9410" is not a 5-digit ZIP code'),
    ("10001234,N,,1234,1.00,2026-12-05", "line 2: expected 7 fields, found 6"),
])
def test_invalid_fields_name_line_and_field(app: Flask, row: str, expected: str) -> None:
    message = import_error(app, HEADER, row)

    assert message.startswith("line 2")
    assert expected in message
    assert count_accounts(app) == 0


@pytest.mark.parametrize("pin", ["12345", "123", "12a4", "١٢٣٤", ""])
def test_bad_pin_is_never_echoed(app: Flask, pin: str) -> None:
    message = import_error(app, HEADER, f"10001234,N,,{pin},1.00,2026-12-05,")

    assert message == 'line 2, field "pin": must be exactly 4 digits'


def test_duplicate_account_number_in_file(app: Flask) -> None:
    message = import_error(app, HEADER, ROW_A, ROW_B, ROW_A.replace("Jordan", "Jo"))

    assert message == 'line 4, field "account_number": "10001234" already appears on line 2'
    assert count_accounts(app) == 0


def test_line_numbers_count_blank_lines(app: Flask) -> None:
    message = import_error(app, HEADER, ROW_A, "", "30009012,Alex Kim,,9012,x,2026-12-12,")

    assert message.startswith('line 4, field "balance"')


@pytest.mark.parametrize(("header", "expected"), [
    ("account_number,name,phone,pin,balance", "line 1: missing column(s) due_date"),
    (HEADER + ",notes", "line 1: unknown column(s) 'notes'"),
    ("account_number,name,phone,pin,pin,balance,due_date", "line 1: repeated column(s) pin"),
])
def test_bad_header(app: Flask, header: str, expected: str) -> None:
    assert import_error(app, header, ROW_A).startswith(expected)


def test_empty_file(app: Flask) -> None:
    with db.transaction(app) as session, pytest.raises(ImportRowError, match=r"line 1: .*empty"):
        import_accounts(session, io.StringIO(""), PINS)


def test_header_only_imports_nothing(app: Flask) -> None:
    assert run_import(app, HEADER) == ImportSummary(created=0, updated=0, unchanged=0)


def test_header_with_bom_and_spaces(app: Flask) -> None:
    summary = run_import(app, "\ufeffaccount_number, name ,phone,pin,balance,due_date,ZIP", ROW_A)

    assert summary.created == 1


def test_demo_fixture_imports(app: Flask) -> None:
    with db.transaction(app) as session, open_demo(ACCOUNTS_FILE) as f:
        summary = import_accounts(session, f, PINS)

    assert summary == ImportSummary(created=6, updated=0, unchanged=0)
    assert accounts(app)["30003456"].phone_e164 == "+13125550142"
    assert accounts(app)["50002468"].language == "es-US"


def test_the_language_column_is_optional_and_checked(app: Flask) -> None:
    run_import(app, HEADER + ",language", ROW_A + ",es-US", ROW_B + ",")
    rows = accounts(app)
    assert (rows["10001234"].language, rows["20005678"].language) == ("es-US", "en-US")
    assert import_error(app, HEADER + ",language", ROW_A + ",fr-FR") == (
        'line 2, field "language": "fr-FR" is not a language with a prompt catalog '
        '(en-US, es-US)')


def test_a_new_account_without_a_language_takes_the_lines(app: Flask) -> None:
    with db.transaction(app) as session:
        import_accounts(session, io.StringIO(f"{HEADER}\n{ROW_A}\n"), PINS, "es-US")
    assert accounts(app)["10001234"].language == "es-US"


def test_reimporting_without_a_language_keeps_the_callers_choice(app: Flask) -> None:
    run_import(app, HEADER, ROW_A)
    with db.transaction(app) as session:
        session.scalars(select(Account)).one().language = "es-US"  # chosen on a call
    run_import(app, HEADER + ",language", ROW_A + ",")
    run_import(app, HEADER, ROW_A)
    assert accounts(app)["10001234"].language == "es-US"
    run_import(app, HEADER + ",language", ROW_A + ",en-US")
    assert accounts(app)["10001234"].language == "en-US"


@pytest.mark.parametrize(("raw", "cents"), [
    ("1204.10", 120410), ("89.1", 8910), ("0.05", 5), ("5", 500), ("$3.05", 305),
    ("0", 0), (" 7.00 ", 700), ("21474836.47", 2**31 - 1),
])
def test_parse_cents(raw: str, cents: int) -> None:
    assert parse_cents(raw) == cents


@pytest.mark.parametrize("raw", ["12.345", "-1", "1,000.00", "NaN", "Infinity", "1e2", "",
                                 ".50", "1.", "21474836.48", "١٢"])
def test_parse_cents_rejects(raw: str) -> None:
    with pytest.raises(ValueError):
        parse_cents(raw)
