"""Rows written as an earlier schema holds them, for tests of the migrations after it."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session


def old_account(session: Session, number: str = "10001234") -> int:
    """An account as every schema since the first holds it (the model may have columns the
    database does not have yet); its id."""
    session.execute(text(
        "INSERT INTO accounts (account_number, name, pin_hash, balance_cents, due_date, "
        "failed_pin_attempts, created_at, updated_at) VALUES (:number, 'Jordan Rivera', 'x', "
        "12045, '2026-12-05', 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"), {"number": number})
    account_id = session.scalar(text("SELECT id FROM accounts WHERE account_number = :number"),
                                {"number": number})
    assert account_id is not None
    return int(account_id)
