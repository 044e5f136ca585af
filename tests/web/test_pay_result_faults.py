"""Attacks from review 4 on ``<Pay>`` results: a charge the Pay Connector made must stay on
record whatever fails after Twilio reports it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask

from ivr.config import override_settings
from ivr.db import db
from ivr.payments.reconcile import reconcile
from ivr.web import calls
from models import utcnow
from tests.app_helpers import balance, call_payments
from tests.menu_helpers import JORDAN_OTHER_AMOUNT
from tests.twilio_helpers import TwilioCaller, pay_result

TO_PAY_CAPTURE = (*JORDAN_OTHER_AMOUNT, "30", "1", "1")  # $30 today, a new card, <Pay>
CHARGED = {"Result": "success", "PaymentConfirmationCode": "ch_3Review4",
           "PaymentCardType": "visa", "PaymentCardNumber": "xxxx-xxxx-xxxx-4242",
           "ExpirationDate": "1230", "PaymentCardPostalCode": "94105"}


def test_a_pay_charge_survives_a_failure_later_in_its_turn(
        demo_app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """Twilio's Pay Connector charged the card and said so, with its reference; then the rest
    of the turn failed (here: saving the turn; in production a commit or a prompt). The
    charge is recorded in the turn's own transaction, so the failure rolls it back: the
    payment stays ``processing`` without the reference, the caller hears an apology for a
    payment that was taken, and reconcile cannot look it up (no key of ours): only an
    operator, searching the processor without the reference, can settle it. A keyed charge
    is recorded in a transaction of its own before the turn runs (``take_turn(holding)``)."""
    override_settings(demo_app, IVR_CARD_CAPTURE="pay", IVR_PAY_CONNECTOR="Stripe_Connector")
    caller = TwilioCaller(demo_app)
    answer = caller.walk(*TO_PAY_CAPTURE)
    original = calls._save_turn

    def failing(*args: Any, **kwargs: Any) -> Any:
        monkeypatch.setattr(calls, "_save_turn", original)  # once
        raise RuntimeError("the turn failed after the charge was recorded")

    monkeypatch.setattr(calls, "_save_turn", failing)
    heard = pay_result(caller, answer, **CHARGED)
    caller.post("/voice/status", CallStatus="completed", CallDuration="80")
    reconcile(db.sessions(demo_app), demo_app.extensions["ivr_gateway"],
              now=utcnow() + timedelta(minutes=11))
    [payment] = call_payments(demo_app)
    assert (payment.status, payment.gateway_reference) == ("approved", "ch_3Review4"), (
        f"a charge Twilio reported is {payment.status} without its reference; the caller "
        f"heard: {heard.said!r}")
    assert balance(demo_app) == 12045 - 3000
