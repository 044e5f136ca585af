"""One processor charge stands for one payment: ``ivr payments resolve`` refuses a reference
another payment holds, and the database refuses it whoever writes it (a unique index on
``payments.gateway_reference`` where it is set, on SQLite and PostgreSQL alike)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from ivr.db import db
from ivr.payments import reconcile
from ivr.payments.reconcile import resolve_by_hand
from models import Payment, utcnow
from tests.app_helpers import balance
from tests.schedule_helpers import get, schedule

OLD = timedelta(hours=1)


def in_doubt(app: Flask, account: int, key: str, cents: int = 4000) -> int:
    """A card payment in doubt for an hour (its answer lost), with ``key``; its id."""
    return schedule(app, account, None, cents, method="card", status="unknown",
                    scheduled_for=None, processing_since=utcnow() - OLD, idempotency_key=key)


def test_the_command_refuses_a_reference_another_payment_holds_in_one_line(
        app: Flask, jordan: int) -> None:
    first, second = in_doubt(app, jordan, "CA-ref-1"), in_doubt(app, jordan, "CA-ref-2")
    runner = app.test_cli_runner()
    done = runner.invoke(args=["payments", "resolve", "CA-ref-1", "--charged", "ch_shared"])
    assert done.exit_code == 0, done.output
    again = runner.invoke(args=["payments", "resolve", "CA-ref-2", "--charged", "ch_shared"])
    assert again.exit_code == 1
    assert again.output == ("error: that charge reference already stands for payment CA-ref-1; "
                            "payment CA-ref-2 is unchanged (check the reference at the "
                            "processor)\n")
    assert (get(app, first).status, get(app, second).status) == ("approved", "unknown")
    assert balance(app, jordan) == 12045 - 4000  # the second is still held, never counted


def test_the_same_payment_resolved_with_its_own_reference_is_not_refused(
        app: Flask, jordan: int) -> None:
    """A payment whose lost answer left its reference on the row (the gateway named the
    charge, then the answer went astray) may be resolved with that same reference."""
    pid = in_doubt(app, jordan, "CA-ref-own")
    with db.transaction(app) as session:
        session.execute(update(Payment).where(Payment.id == pid)
                        .values(gateway_reference="ch_own"))
    assert resolve_by_hand(db.sessions(app), "CA-ref-own", "ch_own") == "approved"


def test_not_charged_needs_no_reference_and_many_payments_have_none(
        app: Flask, jordan: int) -> None:
    """The index is partial: payments without a reference (scheduled, failed, in doubt) are
    as many as they like."""
    ids = [in_doubt(app, jordan, f"CA-ref-none-{n}", cents=1000) for n in (1, 2, 3)]
    for n in (1, 2):
        assert resolve_by_hand(db.sessions(app), f"CA-ref-none-{n}", None) == "failed"
    assert {get(app, pid).gateway_reference for pid in ids} == {None}


def test_the_database_refuses_one_reference_for_two_payments(app: Flask, jordan: int) -> None:
    first, second = in_doubt(app, jordan, "CA-ref-db-1"), in_doubt(app, jordan, "CA-ref-db-2")
    with db.transaction(app) as session:
        session.execute(update(Payment).where(Payment.id == first)
                        .values(gateway_reference="ch_db"))
    with pytest.raises(IntegrityError), db.transaction(app) as session:
        session.execute(update(Payment).where(Payment.id == second)
                        .values(gateway_reference="ch_db"))
    assert get(app, second).gateway_reference is None


def test_two_operators_at_once_one_is_told_the_other_recorded_it(
        app: Flask, jordan: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Both check before either commits (stood for here by the second's check seeing
    nothing): the index refuses the second, which says so in one line and changes nothing."""
    in_doubt(app, jordan, "CA-ref-race-1")
    second = in_doubt(app, jordan, "CA-ref-race-2")
    assert resolve_by_hand(db.sessions(app), "CA-ref-race-1", "ch_race") == "approved"
    monkeypatch.setattr(reconcile, "_refuse_held", lambda *args: None)
    with pytest.raises(LookupError, match=r"^that charge reference was recorded for another "
                                          r"payment meanwhile; payment CA-ref-race-2 is "
                                          r"unchanged$"):
        resolve_by_hand(db.sessions(app), "CA-ref-race-2", "ch_race")
    assert get(app, second).status == "unknown"
    assert balance(app, jordan) == 12045 - 4000  # counted once
