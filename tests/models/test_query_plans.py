"""Every query a turn or a batch job makes reads a few hundred rows at most, at the size of a
large line: a million accounts and ten million payments (:mod:`tests.scale_data`).

The real code runs against that line (:mod:`tests.scale_scenarios`), and each statement it
sends is explained with ``EXPLAIN (ANALYZE, FORMAT JSON)`` (:mod:`tests.query_plans`): as
planned for its values, and as planned once for any values (the generic plan PostgreSQL may
keep for a statement psycopg has prepared, after five runs on a connection). A plan node that
looks at more than :data:`ROWS_BOUND` rows, kept or filtered out, fails the test, named with
the scenario and the statement: a query without the index it needs reads the table, or an
index's every entry for a value, and grows with the line. PostgreSQL only: the line's
production database, and the only one whose plans are read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import create_engine, text

from models import utcnow
from tests.app_helpers import PG_URL, postgresql_only
from tests.query_plans import Explained, PlanRecorder, overreaching, summary
from tests.scale_data import HEAVY_ACCOUNT
from tests.scale_database import Build, ensure
from tests.scale_scenarios import Scenarios

# Rows a plan node may look at: a few hundred, and a batch job's batch (ivr.payments.batches,
# the call log's prune) at most.
ROWS_BOUND = 500
# What some scenarios must have sent, so that a scenario that sent nothing cannot pass.
MUST_EXPLAIN = {
    "balance and history of a caller with none": "ORDER BY payments.created_at DESC",
    "account number keyed, caller ID withheld": "count(audit_events.id)",
    "scheduled run: payments due today": "payments.scheduled_for <=",
    "scheduled run: AutoPay due": "JOIN autopay_enrollments",
    "reconcile": "payments.processing_since <",
    "settlement": "payments.returns_recheck_at <=",
    "SMS outbox drained": "sms_outbox.next_attempt_at <=",
    "housekeeping: abandoned calls": "call_sessions.ended_at IS NULL",
    "housekeeping: call log pruned": "DELETE FROM call_turns",
}


@pytest.fixture(scope="module", params=postgresql_only())
def scale(request: pytest.FixtureRequest) -> Build:
    """The scale database, built (or reused) once for the module."""
    return ensure(PG_URL)


@pytest.fixture(scope="module")
def explained(scale: Build) -> Iterator[list[Explained]]:
    """Every statement of every scenario, explained, in a transaction rolled back after."""
    engine = create_engine(scale.url)
    try:
        with engine.connect() as connection, connection.begin() as outer:
            recorder = PlanRecorder(connection, generic=True)
            Scenarios(connection, recorder, utcnow(), scale.built_at).all()
            recorder.close()
            outer.rollback()
        yield recorder.explained
    finally:
        engine.dispose()


def test_every_query_of_a_turn_or_a_batch_job_reads_a_few_hundred_rows_at_most(
        scale: Build, explained: list[Explained],
        record_property: Callable[[str, object], None]) -> None:
    record_property("scale_database", "reused" if scale.reused else
                    f"built in {scale.seconds:.0f} s: " + ", ".join(
                        f"{step} {seconds:.1f} s" for step, seconds in scale.steps.items()))
    over = []
    for number, statement in enumerate(explained):
        record_property(f"plan_{number:03d}", f"{statement.name}: {statement.first_line}\n"
                                              f"{summary(statement)}")
        nodes = overreaching(statement, ROWS_BOUND)
        if nodes:
            over.append(f"{statement.name}: {statement.first_line}\n  " + "\n  ".join(nodes))
    assert not over, f"plan nodes reading over {ROWS_BOUND} rows:\n" + "\n".join(over)


def test_each_scenario_sent_its_queries(explained: list[Explained]) -> None:
    for name, fragment in MUST_EXPLAIN.items():
        sent = [statement.sql for statement in explained if statement.name == name]
        assert any(fragment in sql for sql in sent), f"{name}: no statement with {fragment!r}"


def test_without_its_index_the_history_reads_the_payments_of_others(scale: Build) -> None:
    # The bound bites: the history query, planned without the index of an account's payments
    # by date (dropped inside the transaction, which puts it back when it rolls back). For
    # the caller with 2,000 payments it reads others' payments by date until it finds three;
    # for a caller with none it would read all ten million (15 seconds: not done here).
    engine = create_engine(scale.url)
    try:
        with engine.connect() as connection, connection.begin() as outer:
            connection.execute(text("DROP INDEX ix_payments_account_id_created_at"))
            recorder = PlanRecorder(connection)
            scenarios = Scenarios(connection, recorder, utcnow(), scale.built_at)
            with scenarios.ports("history") as ports:
                ports.recent_payments(HEAVY_ACCOUNT, 3)
            recorder.close()
            outer.rollback()
    finally:
        engine.dispose()
    [history] = recorder.explained
    assert overreaching(history, ROWS_BOUND), summary(history)
