"""Attacks from review 4 on ``ivr payments resolve``: one charge at the processor must never
stand for two payments on the ledger."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask

from ivr.db import db
from ivr.payments import charges
from ivr.payments.reconcile import resolve_by_hand
from models import utcnow
from tests.app_helpers import balance, postgresql_only
from tests.schedule_helpers import get, schedule


def test_one_processor_charge_is_not_recorded_for_two_payments(app: Flask, jordan: int) -> None:
    """Two payments of $40.00 are in doubt (one charged, one never sent). The operator
    finds ch_1 at the processor and resolves the first with it, then (a paste, a second
    operator) the second with the same reference: both are approved, $80.00 off the
    balance for $40.00 taken. Nothing checks that a reference already stands for a
    payment; for a bank debit, both then settle, and a return gives both back."""
    old = utcnow() - timedelta(hours=1)
    first, second = (schedule(app, jordan, None, 4000, method="card", status="unknown",
                              scheduled_for=None, processing_since=old,
                              idempotency_key=f"CA-resolve-{n}") for n in (1, 2))
    assert resolve_by_hand(db.sessions(app), "CA-resolve-1", "ch_1") == "approved"
    with pytest.raises(LookupError):
        resolve_by_hand(db.sessions(app), "CA-resolve-2", "ch_1")
    assert (get(app, second).status, balance(app, jordan)) == ("unknown", 12045 - 4000)
    assert get(app, first).gateway_reference == "ch_1"


@pytest.mark.parametrize("database_url", postgresql_only(), indirect=True)
def test_resolving_a_payment_reconcile_settles_meanwhile_changes_nothing(
        app: Flask, jordan: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """The operator resolves a payment in doubt as not charged (they looked before the
    charge showed at the processor) while reconcile finds and records it approved.
    ``resolve_by_hand`` reads the payment without a lock, then ``charges.record`` locks it
    with ``SELECT ... FOR UPDATE`` - which hands back the object already loaded, unrefreshed
    - and moves the stale ``unknown`` to ``failed`` over the ``approved`` just committed:
    the balance keeps the $40.00 off, the payment says nothing was taken, the payer is
    texted so."""
    old = utcnow() - timedelta(hours=1)
    pid = schedule(app, jordan, None, 4000, method="card", status="unknown",
                   scheduled_for=None, processing_since=old, idempotency_key="CA-resolve-race")
    original = charges.record

    def reconcile_records_meanwhile(session: Any, payment_id: int, answer: Any,
                                    late: bool = False) -> Any:
        monkeypatch.setattr(charges, "record", original)
        with db.transaction(app) as other:
            assert original(other, payment_id, charges.Answer("approved", "ch_2"),
                            late=True) == "approved"
        return original(session, payment_id, answer, late=late)

    monkeypatch.setattr(charges, "record", reconcile_records_meanwhile)
    resolve_by_hand(db.sessions(app), "CA-resolve-race", None)
    payment = get(app, pid)
    assert (payment.status, balance(app, jordan)) == ("approved", 12045 - 4000), (
        f"payment {payment.status}, balance {balance(app, jordan)}")
