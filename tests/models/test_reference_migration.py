"""Migration 0010: one processor reference per payment. A database where two payments already
share one is not indexed blindly: the upgrade names the reference and stops, and succeeds
once an operator has corrected it."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ivr.ops.migrate import upgrade
from models import Payment
from tests.migration_helpers import old_account, old_payment


def test_an_upgrade_over_shared_references_names_them_then_indexes(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        upgrade(engine, "0009_late_returns")
        with Session(engine) as session, session.begin():
            account_id = old_account(session)
            for n in (1, 2):
                old_payment(session, account_id, f"CA-old-{n}", "ch_twice")
        with pytest.raises(RuntimeError, match=r"ch_twice \(2 payments\)"):
            upgrade(engine)
        with Session(engine) as session, session.begin():
            session.execute(update(Payment).where(Payment.idempotency_key == "CA-old-2")
                            .values(gateway_reference=None))
        upgrade(engine)
        with pytest.raises(IntegrityError), Session(engine) as session, session.begin():
            session.execute(update(Payment).where(Payment.idempotency_key == "CA-old-2")
                            .values(gateway_reference="ch_twice"))
    finally:
        engine.dispose()
