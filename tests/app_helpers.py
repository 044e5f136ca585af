"""Databases and an app for tests, and reading back what it wrote: texts, balances, payments, calls.

Test modules import these instead of writing their own copies (and never import each other:
``tests/test_house.py`` fails if one does).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from app import create_app
from ivr.config import Settings, normalise_database_url
from ivr.db import db
from ivr.ops.migrate import upgrade
from models import Account, CallSession, Dispute, Payment, SmsMessage

PG_URL = os.environ.get("IVR_TEST_DATABASE_URL", "")
TODAY = "2026-11-21"
JORDAN_NUMBER = "10001234"  # the demo account most tests call about: owes $120.45


def database_kinds() -> list[Any]:
    """The databases tests run on: SQLite, and PostgreSQL (marked) when one is configured."""
    kinds: list[Any] = ["sqlite"]
    if PG_URL:
        kinds.append(pytest.param("postgresql", marks=pytest.mark.postgresql))
    return kinds


def postgresql_only() -> list[Any]:
    """For a test that means something only on PostgreSQL (row locks): that database alone,
    when one is configured (CI always configures one)."""
    return [kind for kind in database_kinds() if kind != "sqlite"]


@contextmanager
def database(kind: str, tmp_path: Path) -> Iterator[str]:
    """A URL to an empty database of ``kind``; PostgreSQL gets a throwaway schema."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.sqlite3'}"
        return
    url = normalise_database_url(PG_URL)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in url else "?"
    try:
        yield f"{url}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def settings_with(env: Mapping[str, str]) -> Settings:
    """Settings read from ``env`` alone (not the process environment), defaults elsewhere."""
    return Settings.from_env(Path("/nonexistent"), env)


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


def dispute_cases(app: Flask) -> list[Dispute]:
    """Every dispute case, oldest first, detached to read after the transaction."""
    with db.transaction(app) as session:
        rows = list(session.scalars(select(Dispute).order_by(Dispute.id)))
        session.expunge_all()
        return rows
