"""An app for tests, and reading back what it wrote: texts, balances, payments, calls.

Test modules import these instead of writing their own copies (and never import each other:
``tests/test_house.py`` fails if one does).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import create_app
from ivr.db import db
from ivr.ops.migrate import upgrade
from models import Account, CallSession, Payment, SmsMessage

TODAY = "2026-11-21"
JORDAN_NUMBER = "10001234"  # the demo account most tests call about: owes $120.45


def make_app(database_url: str, tmp_path: Path, **overrides: Any) -> Flask:
    """Create a migrated app for tests with a fixed 'today' and the dev auth token."""
    config = {
        "TESTING": True,
        "IVR_DATABASE_URL": database_url,
        "IVR_TODAY": TODAY,
        "IVR_AGENT_NUMBER": "",
        "IVR_SMS_BACKEND": "console",
        "IVR_PAYMENT_GATEWAY": "sandbox",
    }
    config.update(overrides)
    app = create_app(config)
    upgrade(db.engine(app))
    return app


def account(session: Session, number: str = JORDAN_NUMBER) -> Account:
    """An account by its number, in ``session``."""
    return session.scalars(select(Account).where(Account.account_number == number)).one()


def balance(app: Flask, account_ref: int | str = JORDAN_NUMBER) -> int:
    """An account's balance in cents, by id (int) or account number (str)."""
    with db.transaction(app) as session:
        if isinstance(account_ref, int):
            return session.get_one(Account, account_ref).balance_cents
        return account(session, account_ref).balance_cents


def texts(app: Flask) -> list[str]:
    """The body of every queued text, oldest first."""
    with db.transaction(app) as session:
        return list(session.scalars(select(SmsMessage.body).order_by(SmsMessage.id)))


def addressed_texts(app: Flask) -> list[tuple[str, str]]:
    """Every queued text as (to, body), oldest first."""
    with db.transaction(app) as session:
        rows = session.execute(select(SmsMessage.to_number, SmsMessage.body)
                               .order_by(SmsMessage.id)).all()
        return [(row.to_number, row.body) for row in rows]


def call_payments(app: Flask, call_sid: str | None = None) -> list[Payment]:
    """Payments made or scheduled by calls (not the demo history), oldest first; only those
    of ``call_sid`` when given. Detached, to read after the transaction."""
    query = select(Payment).order_by(Payment.id)
    if call_sid is None:
        query = query.where(Payment.call_sid.is_not(None))
    else:
        query = query.where(Payment.call_sid == call_sid)
    with db.transaction(app) as session:
        rows = list(session.scalars(query))
        session.expunge_all()
        return rows


def call_row(app: Flask, call_sid: str) -> CallSession:
    """The call's row, as stored."""
    with db.transaction(app) as session:
        return session.get_one(CallSession, call_sid)
