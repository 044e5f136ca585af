"""Late returns: a settled bank debit that the payer's bank sends back weeks later.

NACHA lets a payer's bank return a consumer debit as unauthorised (R05, R07, R10, R11) up to
60 days after settlement. ``settle_pending`` keeps asking about approved bank debits in that
window, each at most once a day, and a return moves the payment approved -> returned
through the ledger, gives the amount back and texts the payer.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import insert, text

from ivr.db import db
from ivr.payments.gateways.base import Settlement
from ivr.payments.gateways.sandbox import LATE_RETURN_AFTER, SANDBOX_LATE_RETURN, SandboxGateway
from ivr.payments.scheduled import run_scheduled
from ivr.payments.settlement import (
    LATE_RETURNS,
    RECHECK,
    SettleSummary,
    settle_pending,
    settled_to_recheck,
)
from models import Arrangement, Payment
from tests.app_helpers import addressed_texts, balance, postgresql_only
from tests.concurrency import at_once
from tests.schedule_helpers import (
    PHONE,
    RUN_DAY,
    arrangement_status,
    get,
    save_bank,
    save_row,
    schedule,
)

START = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)


class Calendar:
    """One clock for the sandbox and the settlement runs, moved by the test (days at a
    time)."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


class AskedGateway(SandboxGateway):
    """The sandbox on a test clock, listing each debit it is asked about."""

    def __init__(self, clock: Calendar) -> None:
        super().__init__(clock=clock)
        self.asked: list[str] = []

    def settlement(self, reference: str) -> Settlement:
        """Note the question, then answer like the sandbox."""
        self.asked.append(reference)
        return super().settlement(reference)


@pytest.fixture
def clock() -> Calendar:
    return Calendar()


@pytest.fixture
def gateway(clock: Calendar) -> AskedGateway:
    return AskedGateway(clock)


def settle(app: Flask, gateway: AskedGateway, clock: Calendar) -> SettleSummary:
    """One settlement run at the clock's time."""
    return settle_pending(db.sessions(app), gateway, now=clock.now)


def late_debit(app: Flask, jordan: int, gateway: AskedGateway, clock: Calendar) -> int:
    """$50.00 debited by a scheduled run from the sandbox's late-returning account, then
    settled a day later; the payment."""
    pid = schedule(app, jordan, save_bank(app, jordan, SANDBOX_LATE_RETURN), 5000,
                   method="saved_bank")
    assert run_scheduled(db.sessions(app), gateway, RUN_DAY).pending == 1
    clock.now += timedelta(days=1)
    assert settle(app, gateway, clock) == SettleSummary(settled=1)
    return pid


def test_a_debit_returned_after_it_settled_gives_the_amount_back_and_texts(
        app: Flask, jordan: int, gateway: AskedGateway, clock: Calendar) -> None:
    pid = late_debit(app, jordan, gateway, clock)
    assert (get(app, pid).status, balance(app, jordan)) == ("approved", 12045 - 5000)
    clock.now += timedelta(days=2)
    assert settle(app, gateway, clock) == SettleSummary(rechecked=1)  # settled, still
    clock.now = START + LATE_RETURN_AFTER
    summary = settle(app, gateway, clock)
    assert summary == SettleSummary(rechecked=1, returned_late=1)
    assert summary.line() == ("Settled 0, returned 0, still pending 0; settled debits asked "
                              "about again 1, returned late 1")
    payment = get(app, pid)
    assert (payment.status, payment.decline_code) == ("returned", "debit_not_authorized")
    assert payment.settled_at == START + timedelta(days=1)  # when it had settled, kept
    assert balance(app, jordan) == 12045
    assert addressed_texts(app)[-1] == (PHONE, (
        "Your bank returned your payment of $50.00 to account ending 1234: the account "
        "holder did not authorize the debit. The amount is back on your balance. Please make "
        "another payment."))
    clock.now += RECHECK
    assert settle(app, gateway, clock) == SettleSummary()  # a returned debit is not asked


def approved_debit(app: Flask, account_id: int, reference: str, settled_ago: timedelta,
                   checked_ago: timedelta | None = None, **fields: Any) -> int:
    """An approved bank debit (as settlement leaves one) settled ``settled_ago``, last asked
    about late returns ``checked_ago`` (never, when None: as migration 0015 leaves a debit
    settled before 0009 kept when it was asked, it is due at once). Other ``fields`` make it
    another payment, or a card's, which settlement never asks about (no ``returns_recheck_at``)."""
    checked = None if checked_ago is None else START - checked_ago
    values: dict[str, Any] = {
        "account_id": account_id, "amount_cents": 1000, "status": "approved",
        "method": "saved_bank", "idempotency_key": f"key-{reference}",
        "gateway_reference": f"sbx-ach-settle-{reference}", "settled_at": START - settled_ago,
        "returns_checked_at": checked} | fields
    watched = (values["status"], values["method"]) == ("approved", "saved_bank")
    values["returns_recheck_at"] = None if not watched else \
        START - settled_ago if checked is None else checked + RECHECK
    return save_row(app, Payment(**values))


def test_settled_debits_are_asked_about_within_the_window_once_a_day(
        app: Flask, jordan: int, gateway: AskedGateway, clock: Calendar) -> None:
    day = timedelta(days=1)
    approved_debit(app, jordan, "new", 2 * day)  # settled, never asked again: due
    approved_debit(app, jordan, "old", 60 * day, checked_ago=day)  # asked a day ago: due
    for n in range(20):  # settled before the window: never asked again
        approved_debit(app, jordan, f"gone{n}", LATE_RETURNS + timedelta(minutes=1))
    approved_debit(app, jordan, "fresh", 3 * day, checked_ago=timedelta(hours=2))
    approved_debit(app, jordan, "card", day, method="saved_card")  # a card: no returns
    approved_debit(app, jordan, "back", day, status="returned")  # already returned
    assert settle(app, gateway, clock) == SettleSummary(rechecked=2)
    assert sorted(gateway.asked) == ["sbx-ach-settle-new", "sbx-ach-settle-old"]
    for _ in range(23):  # the hourly cron, for the rest of the day
        clock.now += timedelta(hours=1)
        settle(app, gateway, clock)
    assert len(gateway.asked) == 3  # "fresh", once its day had passed; nothing twice
    clock.now = START + day
    settle(app, gateway, clock)
    assert sorted(gateway.asked[3:]) == ["sbx-ach-settle-new", "sbx-ach-settle-old"]


@pytest.mark.parametrize("database_url", postgresql_only(), indirect=True)
def test_the_late_return_query_is_bounded_by_the_index_of_debits_due(app: Flask,
                                                                      jordan: int) -> None:
    # Most approved payments are card charges (never asked about) or long settled: the query
    # must find the few due by their index, not read every approved payment (the plan is
    # PostgreSQL's: it runs there alone; tests/models/test_query_plans.py reads it at scale).
    with db.transaction(app) as session:
        session.execute(insert(Payment), [
            {"account_id": jordan, "amount_cents": 100, "status": "approved", "method": "card",
             "idempotency_key": f"card-{n}", "gateway_reference": f"ch_{n}"}
            for n in range(3000)])
    approved_debit(app, jordan, "new", timedelta(days=2))
    query = settled_to_recheck(START).compile(db.engine(app),
                                              compile_kwargs={"literal_binds": True})
    with db.engine(app).connect() as connection:
        connection.execute(text("ANALYZE payments"))
        plan = "\n".join(str(row[0]) for row in connection.execute(text(f"EXPLAIN {query}")))
    assert "ix_payments_returns_recheck_at" in plan, plan


def test_a_gateway_that_cannot_answer_is_asked_again_next_run(
        app: Flask, jordan: int, gateway: AskedGateway, clock: Calendar) -> None:
    approved_debit(app, jordan, "fine", 3 * timedelta(days=1))
    clock.now += timedelta(hours=1)
    # the sandbox's record has no such debit for a late-returning label: it refuses
    payment = approved_debit(app, jordan, "x", timedelta(days=2),
                             gateway_reference="sbx-ach-late_return-nothing-here")
    assert settle(app, gateway, clock) == SettleSummary(rechecked=2)
    assert get(app, payment).returns_checked_at is None  # not marked: asked again next run
    clock.now += timedelta(hours=1)
    assert settle(app, gateway, clock) == SettleSummary(rechecked=1)


def test_a_late_return_of_the_last_instalment_reopens_its_arrangement(
        app: Flask, jordan: int, gateway: AskedGateway, clock: Calendar) -> None:
    method = save_bank(app, jordan, SANDBOX_LATE_RETURN)
    plan = save_row(app, Arrangement(account_id=jordan, instalments=2, total_cents=12045))
    for cents in (6000, 6045):
        schedule(app, jordan, method, cents, method="saved_bank", arrangement_id=plan)
    assert run_scheduled(db.sessions(app), gateway, RUN_DAY).pending == 2
    clock.now += timedelta(days=1)
    assert settle(app, gateway, clock) == SettleSummary(settled=2)
    assert (arrangement_status(app, plan), balance(app, jordan)) == ("completed", 0)
    clock.now = START + LATE_RETURN_AFTER
    assert settle(app, gateway, clock).returned_late == 2
    assert (arrangement_status(app, plan), balance(app, jordan)) == ("active", 12045)


def test_racing_settlements_record_a_late_return_once(
        app: Flask, jordan: int, gateway: AskedGateway, clock: Calendar) -> None:
    pid = late_debit(app, jordan, gateway, clock)
    texts_before = len(addressed_texts(app))
    clock.now = START + LATE_RETURN_AFTER
    results = at_once(3, lambda: settle(app, gateway, clock))
    assert sum(result.returned_late for result in results) == 1
    assert (get(app, pid).status, balance(app, jordan)) == ("returned", 12045)
    assert len(addressed_texts(app)) == texts_before + 1
