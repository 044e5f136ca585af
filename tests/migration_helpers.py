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


def old_payment(session: Session, account_id: int, key: str, reference: str | None) -> None:
    """An approved card payment as the schemas from 0009 on hold one (the model may have
    columns the database does not have yet)."""
    session.execute(text(
        "INSERT INTO payments (account_id, idempotency_key, amount_cents, fee_cents, status, "
        "method, gateway_reference, send_attempts, twilio_pay, created_at, updated_at) VALUES "
        "(:account_id, :key, 1000, 0, 'approved', 'card', :reference, 0, false, "
        "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"),
        {"account_id": account_id, "key": key, "reference": reference})
