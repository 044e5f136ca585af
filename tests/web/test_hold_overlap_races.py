"""Attacks from review 4 on the hold turn that finds its payment too old to send
(``PaymentPorts.payment_result``) while an earlier request for it is still answering."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import update

from ivr.db import db
from ivr.payments import charges, ledger
from ivr.payments.reconcile import reconcile
from ivr.security.card_store import CardDetails
from models import Payment, utcnow
from tests.app_helpers import balance, call_payments, postgresql_only
from tests.fault_helpers import FIRST, TO_READ_BACK
from tests.twilio_helpers import TwilioCaller

VISA = CardDetails("4242424242424242", "1230", "123", "94105")


@pytest.mark.parametrize("database_url", postgresql_only(), indirect=True)
def test_an_answer_recorded_meanwhile_is_not_overwritten_as_unknown(
        demo_app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """A hold request sent the charge just inside its two minutes and is still waiting for
    the gateway; a second delivery of the hold turn, just outside them, sends nothing and
    calls ``payment_result``, which reads the payment without a lock and moves it to
    ``unknown``. The first request records ``approved`` in between (its row lock does not
    help: the second never asks for it). The stale ``processing -> unknown`` then overwrites
    ``approved`` with the balance already lowered, and reconcile, finding the charge,
    lowers it a second time: $120.45 taken, $240.90 credited."""
    caller = TwilioCaller(demo_app, call_sid=FIRST)
    read_back = caller.walk(*TO_READ_BACK)
    hold = caller.press(read_back, "1", follow=False).carries_on
    assert hold is not None
    with db.transaction(demo_app) as session:
        session.execute(update(Payment).where(Payment.call_sid == FIRST)
                        .values(processing_since=utcnow() - timedelta(minutes=2, seconds=5)))
    gateway = demo_app.extensions["ivr_gateway"]
    original = ledger.move
    key = f"{FIRST}-1"

    def first_request_answers_meanwhile(session: Any, payment: Any, status: str,
                                        **kwargs: Any) -> Any:
        if status == "unknown" and not gateway.record.find(key):
            answer = charges.answer_of(gateway.charge_card(VISA, 12045, key, "Account"))
            with db.transaction(demo_app) as other:
                assert charges.record(other, payment.id, answer) == "approved"
        return original(session, payment, status, **kwargs)

    monkeypatch.setattr(ledger, "move", first_request_answers_meanwhile)
    caller.post(hold)
    monkeypatch.undo()
    reconcile(db.sessions(demo_app), gateway, now=utcnow() + timedelta(minutes=11))
    [payment] = call_payments(demo_app)
    assert (payment.status, balance(demo_app)) == ("approved", 0), (
        f"one charge of $120.45: payment {payment.status}, balance {balance(demo_app)}")
