"""Account imports in tests: CSV lines, an import in its own transaction, what it left, and
the statements it ran."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, func, select, text

from ivr.db import db
from ivr.errors import ImportRowError
from ivr.ops.accounts_import import BATCH_SIZE, ImportSummary, import_accounts
from ivr.security.pins import PinHasher
from ivr.settings_production import DEV_PIN_PEPPER
from models import Account

PINS = PinHasher(DEV_PIN_PEPPER)  # the test apps' (no IVR_PIN_PEPPER set)
HEADER = "account_number,name,phone,pin,balance,due_date,zip"
ROW_A = "10001234,Jordan Rivera,(415) 555-0100,1234,1204.10,2026-12-05,94105"
ROW_B = "20005678,Sam Patel,212-555-0199,5678,89.1,2026-11-01,"


def run_import(app: Flask, *lines: str, batch_size: int = BATCH_SIZE,
               pins: PinHasher = PINS) -> ImportSummary:
    """Import ``lines`` (a CSV, one string per line) in its own transaction."""
    with db.transaction(app) as session:
        return import_accounts(session, io.StringIO("\n".join(lines) + "\n"), pins,
                               batch_size=batch_size)


def accounts(app: Flask) -> dict[str, Account]:
    """Every account in the database by account number."""
    with db.transaction(app) as session:
        return {a.account_number: a for a in session.scalars(select(Account))}


def count_accounts(app: Flask) -> int:
    """How many account rows exist."""
    with db.transaction(app) as session:
        return session.scalar(select(func.count()).select_from(Account)) or 0


def import_error(app: Flask, *lines: str) -> str:
    """The message of the ImportRowError importing ``lines`` raises."""
    with pytest.raises(ImportRowError) as info:
        run_import(app, *lines)
    return str(info.value)


def generated_rows(count: int, pin: str = "2468", name: str = "Customer") -> list[str]:
    """``count`` CSV rows of accounts 30000000, 30000001, ... (no header)."""
    return [f"{30_000_000 + i},{name} {i},,{pin},{i % 1000}.{i % 100:02},2026-12-05,"
            for i in range(count)]


def row_versions(app: Flask) -> dict[str, Any]:
    """Each account's version of its row: PostgreSQL's ``xmin`` (it changes whenever the row
    is written, even to the same values), SQLite's ``updated_at``."""
    with db.transaction(app) as session:
        column = "xmin::text" if session.get_bind().dialect.name == "postgresql" \
            else "updated_at"
        query = text(f"SELECT account_number, {column} FROM accounts")
        return {str(number): version for number, version in session.execute(query)}


@contextmanager
def statements(app: Flask) -> Iterator[list[str]]:
    """The SQL statements run through the app's engine meanwhile (an executemany is one)."""
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(" ".join(statement.split()))

    engine = db.engine(app)
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)
