"""Demo data: a few accounts, their earlier payments and methods on file.

The CSV files ship inside the package (``ivr/ops/demo_data/``) and are read with
:mod:`importlib.resources`, so an installed line finds them wherever it runs from.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, time
from importlib.resources import files

from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.ops.accounts_import import import_accounts, parse_cents, parse_iso_date
from ivr.payments import ledger
from ivr.security.pins import PinHasher
from models import Account, Payment, SavedPaymentMethod

ACCOUNTS_FILE = "demo_accounts.csv"
PAYMENTS_FILE = "demo_payments.csv"
METHODS_FILE = "demo_methods.csv"
# The package folder holding the three files (package data, see pyproject.toml).
DEMO_DATA = files("ivr.ops") / "demo_data"
PAYMENT_METHODS = frozenset({"card", "bank", "check"})
# Historical payments have no time of day; noon UTC is the same calendar day in every US zone.
_PAYMENT_TIME = time(12, 0, tzinfo=UTC)


def has_accounts(session: Session) -> bool:
    """True when the database holds at least one account."""
    return session.scalar(select(Account.id).limit(1)) is not None


def open_demo(name: str) -> io.StringIO:
    """One of the demo CSV files (``ACCOUNTS_FILE``, ...) as shipped in the package, to read."""
    # The whole text at once: package data need not be a real file (a zip, say).
    return io.StringIO((DEMO_DATA / name).read_text(encoding="utf-8-sig"), newline="")


def load_demo(session: Session, pins: PinHasher) -> None:
    """Import the demo accounts and add their payment history (skipping payments already there)."""
    with open_demo(ACCOUNTS_FILE) as f:
        import_accounts(session, f, pins)
    with open_demo(PAYMENTS_FILE) as f:
        for row in csv.DictReader(f):
            key = f"demo:{row['confirmation_number']}"
            if session.scalar(select(Payment.id).where(Payment.idempotency_key == key)) is None:
                ledger.add_past_payment(session, _demo_payment(session, row, key))
    with open_demo(METHODS_FILE) as f:
        for row in csv.DictReader(f):
            _add_demo_method(session, row)
    session.flush()


def _add_demo_method(session: Session, row: dict[str, str]) -> None:
    """A card or bank account on file, as a sandbox token (skipped if already there)."""
    account_id = session.scalar(
        select(Account.id).where(Account.account_number == row["account_number"]))
    if account_id is None:
        raise ValueError(f"demo method: unknown account {row['account_number']!r}")
    taken = select(SavedPaymentMethod.id).where(
        SavedPaymentMethod.gateway_token == row["gateway_token"])
    if session.scalar(taken) is not None:
        return
    card = row["kind"] == "card"
    session.add(SavedPaymentMethod(
        account_id=account_id, kind=row["kind"], gateway_token=row["gateway_token"],
        brand=row["label"] if card else None, bank_account_type=None if card else row["label"],
        last4=row["last4"], expiry_mmyy=row["expiry"] or None))


def _demo_payment(session: Session, row: dict[str, str], key: str) -> Payment:
    account_id = session.scalar(
        select(Account.id).where(Account.account_number == row["account_number"]))
    if account_id is None:
        raise ValueError(f"demo payment {key}: unknown account {row['account_number']!r}")
    if row["method"] not in PAYMENT_METHODS:
        raise ValueError(f"demo payment {key}: unknown method {row['method']!r}")
    paid_on = parse_iso_date(row["date"])
    return Payment(
        account_id=account_id,
        idempotency_key=key,
        amount_cents=parse_cents(row["amount"]),
        confirmation_number=row["confirmation_number"],
        method=row["method"],
        card_brand=row["card_brand"] or None,
        card_last4=row["card_last4"] or None,
        created_at=datetime.combine(paid_on, _PAYMENT_TIME),
    )
