"""The caller's account and its methods on file are read once a turn (ivr.db.read_once), and
afresh whenever the turn has changed something or taken a lock since: the flow asks for them at
every guard and prompt, and must still hear a payment it wrote ahead, a language it set, a
method it kept, what a lock found."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import update

from flows.ports import AccountSummary, CardPart, PaymentOrder, PaymentSource
from ivr.db import db, lock
from ivr.ports.database import DatabasePorts, ports_for
from ivr.ports.methods import keep_on_file
from models import Account
from tests.app_helpers import JORDAN_NUMBER, account, postgresql_only
from tests.db_count_helpers import counting

CARD = PaymentSource(kind="card", label="Visa", last4="4242", expiry_mmyy="1230")
KEYED_CARD = ((CardPart.NUMBER, "4242424242424242"), (CardPart.EXPIRY, "1230"),
              (CardPart.SECURITY_CODE, "123"), (CardPart.POSTAL_CODE, "94105"))


def jordan(ports: DatabasePorts) -> AccountSummary:
    """Demo account 10001234 (owes $120.45), as the flow sees it."""
    found = ports.find_account(JORDAN_NUMBER)
    assert found is not None
    return ports.get_account(found.id)


def test_a_second_read_in_a_turn_that_changed_nothing_asks_nothing(demo_app: Flask) -> None:
    with demo_app.app_context(), db.transaction(demo_app) as session:
        ports = ports_for(demo_app, session)
        first = jordan(ports)
        with counting(db.engine(demo_app)) as counts:
            again = ports.get_account(first.id)
    assert again == first and counts.statements == []


def test_a_payment_written_ahead_in_the_turn_is_held_at_the_next_read(demo_app: Flask) -> None:
    with demo_app.app_context(), db.transaction(demo_app) as session:
        ports = ports_for(demo_app, session)
        before = jordan(ports)
        for part, value in KEYED_CARD:
            assert ports.hold_card_part("CA1", part, value)
        opened = ports.open_payment(PaymentOrder(
            account_id=before.id, amount_cents=2000, fee_cents=0, source=CARD,
            idempotency_key="CA1-1", call_sid="CA1", notify_number=None))
        after = ports.get_account(before.id)
    assert opened.processing
    assert after.held_cents == 2000 and after.payable_cents == before.payable_cents - 2000


def test_a_balance_changed_by_a_statement_in_the_turn_is_read_afresh(demo_app: Flask) -> None:
    with demo_app.app_context(), db.transaction(demo_app) as session:
        ports = ports_for(demo_app, session)
        before = jordan(ports)
        session.execute(update(Account).where(Account.id == before.id)
                        .values(balance_cents=Account.balance_cents - 45))
        assert ports.get_account(before.id).balance_cents == before.balance_cents - 45


def test_a_language_set_in_the_turn_is_heard_before_it_is_written(demo_app: Flask) -> None:
    with demo_app.app_context(), db.transaction(demo_app) as session:
        ports = ports_for(demo_app, session)
        before = jordan(ports)
        ports.set_language(before.id, "es-US")
        assert before.language == "en-US" and ports.get_account(before.id).language == "es-US"


@pytest.mark.parametrize("database_url", postgresql_only(), indirect=True)
def test_a_lock_taken_in_the_turn_reads_what_another_call_committed(demo_app: Flask) -> None:
    with demo_app.app_context(), db.transaction(demo_app) as session:
        ports = ports_for(demo_app, session)
        before = jordan(ports)
        with db.transaction(demo_app) as other:  # another call's turn, committed meanwhile
            account(other).due_date = before.due_date.replace(day=1)
        assert ports.get_account(before.id).due_date == before.due_date, "read once"
        lock(session, Account, before.id)
        assert ports.get_account(before.id).due_date == before.due_date.replace(day=1)


def test_a_method_kept_in_the_turn_is_on_file_at_the_next_read(demo_app: Flask) -> None:
    with demo_app.app_context(), db.transaction(demo_app) as session:
        ports = ports_for(demo_app, session)
        alex = ports.find_account("30009012")
        assert alex is not None
        before = ports.saved_methods(alex.id)
        with counting(db.engine(demo_app)) as counts:
            assert ports.saved_methods(alex.id) == before
        keep_on_file(session, alex.id, CARD, "sbx-approve-kept")
        after = ports.saved_methods(alex.id)
    assert counts.statements == [], "read once while nothing changed"
    assert [method.last4 for method in after] == [*(m.last4 for m in before), "4242"]
