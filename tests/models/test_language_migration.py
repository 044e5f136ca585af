"""Migration 0013: every account gets a language. Lines so far spoke only US English, so the
accounts already there are English ones; a new account without one is too."""

from __future__ import annotations

from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from ivr.ops.migrate import upgrade
from models import Account
from tests.migration_helpers import old_account


def test_accounts_from_before_languages_are_english(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        upgrade(engine, "0012_callback_requests")
        with Session(engine) as session, session.begin():
            old_account(session)
        upgrade(engine)
        with Session(engine) as session:
            assert session.scalars(select(Account.language)).all() == ["en-US"]
    finally:
        engine.dispose()
