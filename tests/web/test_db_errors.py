"""Database errors name the SQL but never its parameter values (they end up in logs)."""

from __future__ import annotations

from datetime import date

import pytest
from flask import Flask
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError

from ivr.db import db
from models import Account

SECRET = "Secret Name 4242424242424242"


def test_an_integrity_error_shows_no_parameter_values(demo_app: Flask) -> None:
    with pytest.raises(IntegrityError) as caught, db.transaction(demo_app) as session:
        # A second account 10001234: the name is a value, never part of the key's message.
        session.add(Account(account_number="10001234", name=SECRET, pin_hash="scrypt$x",
                            balance_cents=1, due_date=date(2026, 12, 1),
                            failed_pin_attempts=0))
        session.flush()

    message = str(caught.value)
    assert "INSERT INTO accounts" in message
    assert SECRET not in message and "scrypt$x" not in message
    assert "parameters hidden" in message


def test_an_operational_error_shows_no_parameter_values(app: Flask) -> None:
    engine = db.engine(app)
    if engine.dialect.name == "postgresql":
        # A cancelled statement is an OperationalError on PostgreSQL.
        statements = ["SET statement_timeout = 1", "SELECT pg_sleep(1), :value"]
    else:
        statements = ["SELECT * FROM no_such_table WHERE name = :value"]

    with pytest.raises(OperationalError) as caught, engine.connect() as connection:
        for statement in statements:
            connection.execute(text(statement), {"value": SECRET})

    assert SECRET not in str(caught.value)
    assert "parameters hidden" in str(caught.value)
