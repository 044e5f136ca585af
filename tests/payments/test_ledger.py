"""The ledger: its transition table, the balance change each status carries, holds, credits.

That nothing else moves money is checked in every test by conftest's
``money_moves_only_through_the_ledger``.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.db import db
from ivr.errors import LedgerError, NotPayable
from ivr.payments import ledger
from ivr.payments.ledger import NEW, TRANSITIONS
from models import AuditEvent, Payment
from models.payment import (
    APPROVED,
    CANCELLED,
    DECLINED,
    FAILED,
    PENDING,
    PROCESSING,
    RETURNED,
    SCHEDULED,
    STATUSES,
    UNKNOWN,
)
from tests.app_helpers import account
from tests.twilio_helpers import TwilioCaller

ROOT = Path(__file__).resolve().parents[2]


def payment(session: Session, cents: int, key: str, status: str = PROCESSING) -> Payment:
    """A payment of account 10001234 written ahead as ``status``."""
    row = Payment(account_id=account(session).id, idempotency_key=key, amount_cents=cents,
                  fee_cents=0, method="card", card_brand="Visa", card_last4="4242")
    return ledger.write_ahead(session, row, status)


def test_every_status_is_in_the_table_and_every_target_is_a_status() -> None:
    assert set(TRANSITIONS) == {NEW, *STATUSES}
    assert set().union(*TRANSITIONS.values()) <= set(STATUSES)


@pytest.mark.parametrize(("before", "after"),
                         list(itertools.product([NEW, *STATUSES], STATUSES)))
def test_only_the_declared_transitions_are_allowed(before: str, after: str) -> None:
    if after in TRANSITIONS[before]:
        ledger.check_transition(before, after)
    else:
        with pytest.raises(LedgerError):
            ledger.check_transition(before, after)


@pytest.mark.parametrize(("path", "owed"), [
    ([APPROVED], 12045 - 4000),  # charged
    ([PENDING], 12045 - 4000),  # a debit submitted counts at once
    ([PENDING, APPROVED], 12045 - 4000),  # and settling changes nothing more
    ([PENDING, RETURNED], 12045),  # a return gives it back
    ([UNKNOWN, APPROVED], 12045 - 4000),
    ([UNKNOWN, FAILED], 12045),
    ([DECLINED], 12045), ([FAILED], 12045), ([CANCELLED], 12045), ([UNKNOWN], 12045),
])
def test_each_status_carries_its_balance_change(demo_app: Flask, path: list[str],
                                                owed: int) -> None:
    with db.transaction(demo_app) as session:
        row = payment(session, 4000, "k1")
        for status in path:
            ledger.move(session, row, status)
        assert account(session).balance_cents == owed


def test_a_settled_bank_debit_that_comes_back_late_gives_the_amount_back(
        demo_app: Flask) -> None:
    with db.transaction(demo_app) as session:
        row = payment(session, 4000, "k1")
        row.method = "saved_bank"
        for status in (PENDING, APPROVED):
            ledger.move(session, row, status)
        assert account(session).balance_cents == 12045 - 4000
        assert ledger.move(session, row, RETURNED, decline_code="debit_not_authorized") \
            == APPROVED
        assert account(session).balance_cents == 12045
        events = session.scalars(select(AuditEvent.detail)
                                 .where(AuditEvent.action == "payment")
                                 .order_by(AuditEvent.id)).all()
        assert events[-1] == f"payment {row.id} approved -> returned: $40.00 by saved_bank"


def test_an_approved_card_charge_never_comes_back_as_a_bank_debit(demo_app: Flask) -> None:
    with pytest.raises(LedgerError, match="card"), db.transaction(demo_app) as session:
        row = payment(session, 4000, "k1")
        ledger.move(session, row, APPROVED)
        ledger.move(session, row, RETURNED)
    with db.transaction(demo_app) as session:
        assert account(session).balance_cents == 12045  # nothing of it was written


def test_a_move_the_table_forbids_changes_nothing(demo_app: Flask) -> None:
    with pytest.raises(LedgerError), db.transaction(demo_app) as session:
        row = payment(session, 4000, "k1")
        ledger.move(session, row, APPROVED)
        ledger.move(session, row, DECLINED)
    with db.transaction(demo_app) as session:
        assert session.scalars(select(Payment).where(Payment.idempotency_key == "k1")).all() \
            == []
        assert account(session).balance_cents == 12045


def test_held_amounts_are_not_payable_again(demo_app: Flask) -> None:
    with db.transaction(demo_app) as session:
        payment(session, 10000, "k1")  # in flight: held
        assert ledger.payable_cents(session, account(session)) == 2045
        with pytest.raises(NotPayable):
            payment(session, 2046, "k2")
        scheduled = payment(session, 2045, "k3", SCHEDULED)  # holds nothing until claimed
        payment(session, 2045, "k4")  # in flight too: now nothing is payable
        with pytest.raises(NotPayable):  # so a run cannot claim the scheduled one
            ledger.move(session, scheduled, PROCESSING)
        assert ledger.held_cents(session, account(session).id) == 12045


def test_nothing_is_payable_or_schedulable_when_nothing_is_owed(demo_app: Flask) -> None:
    with db.transaction(demo_app) as session:
        ledger.bill(account(session), 0)
        for status in (PROCESSING, SCHEDULED):
            with pytest.raises(NotPayable):
                payment(session, 100, f"k-{status}", status)


def test_an_overpayment_is_a_credit_and_audited(demo_app: Flask) -> None:
    with db.transaction(demo_app) as session:
        row = payment(session, 12045, "k1")
        ledger.move(session, row, UNKNOWN)
        ledger.bill(account(session), 4000)  # the biller's new statement: paid elsewhere
        ledger.move(session, row, APPROVED)  # the charge in doubt did go through
        assert account(session).balance_cents == 4000 - 12045
        [credit] = session.scalars(select(AuditEvent).where(AuditEvent.action == "credit"))
        assert credit.detail == f"payment {row.id} left a credit of $80.45"
    heard = TwilioCaller(demo_app).walk("1", "2468").said  # right after the PIN
    assert "Your account has a credit of eighty dollars and forty-five cents." in heard
    assert "To make a payment" not in heard and "To pay" not in heard


def test_leaving_a_held_status_drops_the_token(demo_app: Flask) -> None:
    with db.transaction(demo_app) as session:
        row = payment(session, 100, "k1")
        row.gateway_token = "sbx-approve-1"
        ledger.move(session, row, UNKNOWN)
        assert row.gateway_token == "sbx-approve-1"
        ledger.move(session, row, APPROVED)
        assert row.gateway_token is None and row.confirmation_number


def test_no_code_clamps_a_balance() -> None:
    for path in [*ROOT.glob("ivr/**/*.py"), *ROOT.glob("flows/**/*.py")]:
        assert not re.search(r"max\(\s*0\s*,", path.read_text()), path
