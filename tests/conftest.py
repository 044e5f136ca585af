"""Shared fixtures: an app on a fresh database (SQLite, or PostgreSQL when configured)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
import sqlalchemy
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import event

from ivr.db import db
from ivr.payments import ledger
from ivr.security.pins import pins_of
from models import Account, Payment
from tests.app_helpers import database, database_kinds, make_app


@pytest.fixture(params=database_kinds())
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL to an empty database; PostgreSQL gets a throwaway schema per test."""
    with database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """An app on an empty, migrated database."""
    app = make_app(database_url, tmp_path)
    yield app
    db.engine(app).dispose()


@pytest.fixture
def demo_app(app: Flask) -> Flask:
    """An app whose database holds the demo accounts and payments (ivr/ops/demo_data)."""
    from ivr.ops.demo import load_demo

    with app.app_context(), db.transaction() as session:
        load_demo(session, pins_of(app))
    return app


@pytest.fixture
def client(demo_app: Flask) -> FlaskClient:
    """A test client for the demo app (requests are unsigned unless a test signs them)."""
    return demo_app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    """A CLI runner for the app's commands."""
    return app.test_cli_runner()


_LEDGER = str(Path(ledger.__file__).resolve())
_TESTS = str(Path(__file__).resolve().parent)
# SQLAlchemy's own frames, and the code it generates (a model's __init__) with no file.
_LIBRARIES = (str(Path(sqlalchemy.__file__).resolve().parent), "<sqlalchemy")


def _setter() -> str:
    """The file of the code that set an attribute, past SQLAlchemy's own frames."""
    frame: FrameType | None = sys._getframe(2)
    while frame is not None and frame.f_code.co_filename.startswith(_LIBRARIES):
        frame = frame.f_back
    return frame.f_code.co_filename if frame is not None else "?"


@pytest.fixture(autouse=True)
def money_moves_only_through_the_ledger() -> Iterator[None]:
    """In every test, a payment's status and an account's balance are set only by the ledger
    (``ivr/payments/ledger.py``), or by a test setting up its own rows."""
    wrong: list[str] = []

    def check(target: Any, value: Any, old: Any, initiator: Any) -> None:
        where = _setter()
        if where != _LEDGER and not where.startswith(_TESTS):
            wrong.append(f"{initiator.key} set to {value!r} by {where}")

    attributes = (Payment.status, Account.balance_cents)
    for attribute in attributes:
        event.listen(attribute, "set", check)
    yield
    for attribute in attributes:
        event.remove(attribute, "set", check)
    assert not wrong, "money moved outside the ledger:\n" + "\n".join(sorted(set(wrong)))
