"""The ledger against objects read before another transaction committed: a payment moved
twice, a balance worked out from a stale total, a locking read that hands back the old object.

Each test keeps one session open across transactions (the app's sessions keep what they read
after a commit, as a request's or a run's session does), lets another transaction change the
row, and then uses the object the first session read. Counts, not timing: on SQLite and
PostgreSQL alike.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ivr.db import db
from ivr.errors import StatusChanged
from ivr.payments import charges, ledger
from models import Account, AuditEvent, Payment
from models.payment import APPROVED, FAILED, PROCESSING, UNKNOWN
from tests.app_helpers import JORDAN_NUMBER, account, balance

ROOT = Path(__file__).resolve().parents[2]
OWED = 12045  # what Jordan's demo account owes


@pytest.fixture
def stale(demo_app: Flask) -> Iterator[Session]:
    """A session that keeps its objects after each transaction, as the app's do."""
    with db.sessions(demo_app)() as session:
        yield session


def written(app: Flask, cents: int, key: str) -> int:
    """A payment of Jordan's written ahead (processing) and committed; its id."""
    with db.transaction(app) as session:
        row = Payment(account_id=account(session).id, idempotency_key=key, amount_cents=cents,
                      fee_cents=0, method="card", card_brand="Visa", card_last4="4242")
        return ledger.write_ahead(session, row, PROCESSING).id


def read(session: Session, payment_id: int) -> Payment:
    """The payment as ``session`` reads it now (a transaction of its own), kept as read while
    the caller holds it (a session's identity map holds its objects weakly)."""
    with session.begin():
        return session.get_one(Payment, payment_id)


def approved_elsewhere(app: Flask, payment_id: int) -> None:
    """Another request records the gateway's approval, and commits."""
    with db.transaction(app) as other:
        assert charges.record(other, payment_id, charges.Answer(APPROVED, "ch_1")) == APPROVED


def moves_to(app: Flask, payment_id: int, status: str) -> int:
    """How many moves of this payment to ``status`` the audit trail holds."""
    with db.transaction(app) as session:
        return session.scalar(select(func.count(AuditEvent.id)).where(
            AuditEvent.action == "payment",
            AuditEvent.detail.like(f"payment {payment_id} % -> {status}:%"))) or 0


@pytest.mark.parametrize("status", [APPROVED, UNKNOWN, FAILED])
def test_a_payment_read_before_another_moved_it_is_not_moved_again(
        demo_app: Flask, stale: Session, status: str) -> None:
    """The stale ``processing`` object loses: approved stays approved, the $40.00 counts once."""
    pid = written(demo_app, 4000, "k-stale")
    payment = read(stale, pid)
    approved_elsewhere(demo_app, pid)
    with stale.begin():  # the caller's transaction goes on: nothing was written
        with pytest.raises(StatusChanged, match="approved, no longer processing"):
            ledger.move(stale, payment, status)
        assert payment.status == APPROVED  # read afresh: the caller decides on what is now
    assert balance(demo_app) == OWED - 4000
    assert (moves_to(demo_app, pid, APPROVED), moves_to(demo_app, pid, status)) == (
        1, 1 if status == APPROVED else 0)


def test_a_locking_read_sees_what_another_transaction_committed(
        demo_app: Flask, stale: Session) -> None:
    """``charges.record`` locks the row the session already holds: it reads it afresh, finds
    it answered, and records nothing (no error: it was simply not this request's)."""
    pid = written(demo_app, 4000, "k-locked")
    payment = read(stale, pid)  # held: the session hands back this object while it lives
    approved_elsewhere(demo_app, pid)
    with stale.begin():
        lost = charges.Answer(FAILED, decline_code="processing_error", refused=True)
        assert charges.record(stale, pid, lost) is None
        assert payment.status == APPROVED
    assert (balance(demo_app), moves_to(demo_app, pid, FAILED)) == (OWED - 4000, 0)


def test_the_balance_moves_by_a_delta_not_from_a_total_read_earlier(
        demo_app: Flask, stale: Session) -> None:
    """The stale session holds the account at $120.45; another payment of $30.00 lands;
    moving $40.00 leaves $50.45 owed, not the $80.45 a total from the stale object gives."""
    first, second = written(demo_app, 4000, "k-first"), written(demo_app, 3000, "k-second")
    payment = read(stale, first)
    with stale.begin():
        held = stale.scalars(select(Account).where(Account.account_number == JORDAN_NUMBER))\
            .one()
    approved_elsewhere(demo_app, second)
    assert held.balance_cents == OWED  # what the stale session holds
    with stale.begin():
        ledger.move(stale, payment, APPROVED)
        assert held.balance_cents == OWED - 4000 - 3000  # read afresh with the move
    assert balance(demo_app) == OWED - 4000 - 3000


def test_no_code_outside_the_ledger_writes_a_status_or_a_balance_in_sql() -> None:
    """The ledger writes both with SQL UPDATEs, which the ORM guard in conftest does not see."""
    writes = re.compile(r"update\((Payment|Account)\)[^;]*?\.values\([^)]*"
                        r"(status|balance_cents)", re.DOTALL)
    for path in ROOT.glob("ivr/**/*.py"):
        if path != ROOT / "ivr/payments/ledger.py":
            assert not writes.search(path.read_text()), path


@pytest.mark.parametrize("package", ["ivr/payments", "ivr/ports", "ivr/security"])
def test_locking_reads_of_money_refresh_what_they_read(package: str) -> None:
    """A bare FOR UPDATE hands back the object as first read: ``ivr.db.locked``/``lock``
    refresh it (populate_existing)."""
    for path in (ROOT / package).glob("**/*.py"):
        assert "with_for_update" not in path.read_text(), (
            f"{path}: lock payments and accounts with ivr.db.locked or ivr.db.lock")
