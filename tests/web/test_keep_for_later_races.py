"""Attacks from review 4 on keeping a new card for a later date (``ports.keep_for_later``):
callers in parallel, and the declined attempt it writes."""

from __future__ import annotations

import time
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from ivr.config import override_settings, settings_of
from ivr.db import db
from ivr.errors import GatewayError
from ivr.ports.database import make_gateway
from ivr.ports.payments import PaymentPorts
from models import Payment
from tests.app_helpers import call_payments, postgresql_only
from tests.concurrency import at_once
from tests.fault_helpers import WorkerKilled, fire_once
from tests.menu_helpers import JORDAN_LATER
from tests.twilio_helpers import Answer, TwilioCaller

STRIPE = "https://api.stripe.com"
# Jordan, December 1st, a new card that Stripe declines when it is set up.
TO_LATER_READ_BACK = (*JORDAN_LATER, "1201", "1",
                      "4000000000000002", "1230", "123", "30301")
CALLERS = 8


def stripe_declines_slowly(requests_mock: Any) -> Any:
    """Stripe makes a Customer, then declines the SetupIntent (402 card_error, as its API
    reference shows), taking a moment to ask the issuer."""
    requests_mock.post(f"{STRIPE}/v1/customers", json={
        "id": "cus_R4", "object": "customer", "created": 1680893993, "email": None,
        "description": None, "invoice_settings": {"default_payment_method": None},
        "livemode": False, "metadata": {}})

    def declined(request: Any, context: Any) -> dict[str, Any]:
        time.sleep(0.5)
        context.status_code = 402
        return {"error": {
            "type": "card_error", "code": "card_declined", "decline_code": "generic_decline",
            "message": "Your card was declined.",
            "setup_intent": {"id": "seti_R4", "object": "setup_intent", "customer": "cus_R4",
                             "payment_method": None, "status": "requires_payment_method",
                             "usage": "off_session", "payment_method_types": ["card"],
                             "last_setup_error": None}}}

    return requests_mock.post(f"{STRIPE}/v1/setup_intents", json=declined)


@pytest.mark.parametrize("database_url", postgresql_only(), indirect=True)
def test_parallel_callers_cannot_test_more_cards_than_the_daily_limit(
        demo_app: Flask, requests_mock: Any) -> None:
    """A card tester calls in parallel, each call scheduling a payment with a card to test.
    ``open_payment`` locks the account before it counts the declines, so parallel charges
    are counted one after another; ``keep_for_later`` counts them with no lock and asks the
    gateway (a SetupIntent: the issuer checks the card) before the declined attempt is
    committed, so every parallel call passes the count and every card reaches the issuer."""
    override_settings(demo_app, IVR_PAYMENT_GATEWAY="stripe", IVR_STRIPE_API_KEY="sk_test_r4")
    demo_app.extensions["ivr_gateway"] = make_gateway(settings_of(demo_app), db.engine(demo_app))
    setup = stripe_declines_slowly(requests_mock)
    limit = settings_of(demo_app).max_declines_per_account_day
    ready: list[tuple[TwilioCaller, Answer]] = []
    for n in range(CALLERS):
        caller = TwilioCaller(demo_app, call_sid=f"CA{n:032d}")
        ready.append((caller, caller.walk(*TO_LATER_READ_BACK)))
    turns = iter(ready)
    at_once(CALLERS, lambda: (lambda pair: pair[0].press(pair[1], "1"))(next(turns)))
    with db.transaction(demo_app) as session:
        declined = session.scalar(select(func.count(Payment.id))
                                  .where(Payment.status == "declined"))
    assert setup.call_count <= limit, (
        f"{setup.call_count} cards checked at the issuer in parallel (limit {limit}); "
        f"{declined} declined attempts counted")



@pytest.mark.parametrize("after", [False, True], ids=["before", "after"])
def test_a_worker_killed_around_the_declined_attempt_counts_it_once(
        demo_app: Flask, monkeypatch: pytest.MonkeyPatch, after: bool) -> None:
    """The gateway refuses to keep the card; the worker dies as the declined attempt is
    written (before it, or after it, before the commit); Twilio delivers the "1" again."""
    gateway = demo_app.extensions["ivr_gateway"]

    def refused(card: Any) -> str:
        raise GatewayError("the gateway refused to keep the card")

    monkeypatch.setattr(gateway, "save_card", refused)
    fire_once(PaymentPorts, "_declined_attempt", monkeypatch, before=not after)
    caller = TwilioCaller(demo_app)
    read_back = caller.walk(*TO_LATER_READ_BACK[:-4], "4242424242424242", "1230", "123",
                            "30301")
    with pytest.raises(WorkerKilled):
        caller.press(read_back, "1")
    heard = caller.resend()
    assert "No payment was taken" in heard.said, heard.said
    assert [(p.status, p.decline_code) for p in call_payments(demo_app)] == [
        ("declined", "not_kept")]
