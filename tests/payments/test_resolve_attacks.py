"""Attacks from review 4 on ``ivr payments resolve``: one charge at the processor must never
stand for two payments on the ledger."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask

from ivr.db import db
from ivr.payments.reconcile import resolve_by_hand
from models import utcnow
from tests.app_helpers import balance
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
