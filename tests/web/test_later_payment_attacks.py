"""Attacks, from an adversarial review, on a new card kept for a later payment: the gateway
is asked to keep it (``save_card``) before the payment or plan is written."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError

from ivr.config import override_settings, settings_of
from ivr.db import db
from ivr.ports.database import make_gateway
from ivr.security.card_store import CardDetails
from models import AuditEvent, SavedPaymentMethod
from tests.app_helpers import call_payments, postgresql_only
from tests.card_helpers import card_entries
from tests.concurrency import at_once
from tests.menu_helpers import JORDAN_LATER, SAM_MAIN_MENU
from tests.twilio_helpers import TwilioCaller

DECLINED_AT_SETUP = CardDetails("4000000000000002", "1230", "123", "30301")
VISA = CardDetails("4000056655665556", "1230", "737", "30301")
LATER_NEW_CARD = (*JORDAN_LATER, "1201", "1")  # Jordan, December 1st, a new card
SAM_PLAN_NEW_CARD = (*SAM_MAIN_MENU, "5", "2", "1201", "1215", "1")  # Sam, 2 instalments, new card
STRIPE = "https://api.stripe.com"


def entries(card: CardDetails) -> tuple[str, ...]:
    """What the caller keys for ``card``, in order."""
    return (card.number, card.expiry_mmyy, card.security_code, card.postal_code)


def on_stripe(app: Flask) -> None:
    """The app on the Stripe gateway (requests are mocked by each test)."""
    override_settings(app, IVR_PAYMENT_GATEWAY="stripe", IVR_STRIPE_API_KEY="sk_test_abc")
    app.extensions["ivr_gateway"] = make_gateway(settings_of(app), db.engine(app))


def stripe_declines_setup(requests_mock: Any) -> Any:
    """Stripe answers a Customer, then declines the SetupIntent with a 402 card_error carrying
    the failed SetupIntent (as its API reference shows for a declined card)."""
    requests_mock.post(f"{STRIPE}/v1/customers", json={
        "id": "cus_Q1", "object": "customer", "created": 1680893993, "email": None,
        "description": None, "invoice_settings": {"default_payment_method": None},
        "livemode": False, "metadata": {}})
    return requests_mock.post(f"{STRIPE}/v1/setup_intents", status_code=402, json={"error": {
        "type": "card_error", "code": "card_declined", "decline_code": "generic_decline",
        "message": "Your card was declined.",
        "doc_url": "https://stripe.com/docs/error-codes/card-declined",
        "setup_intent": {"id": "seti_1", "object": "setup_intent", "customer": "cus_Q1",
                         "payment_method": None, "status": "requires_payment_method",
                         "usage": "off_session", "payment_method_types": ["card"],
                         "last_setup_error": None}}})


def test_a_card_declined_when_kept_for_later_is_told_as_a_decline(
        demo_app: Flask, requests_mock: Any) -> None:
    """Stripe declines the SetupIntent: the caller hears the card could not be set up and is
    offered another way, never "something went wrong"."""
    on_stripe(demo_app)
    stripe_declines_setup(requests_mock)
    caller = TwilioCaller(demo_app)
    answer = caller.walk(*LATER_NEW_CARD, *entries(DECLINED_AT_SETUP), "1")
    assert "something went wrong on our end" not in answer.said, answer.said
    assert "that card could not be set up for a payment on a later date" in answer.said
    assert "To try a different card, press 1." in answer.said


def test_cards_declined_when_kept_for_later_count_against_the_decline_limit(
        demo_app: Flask, requests_mock: Any) -> None:
    """Once failed: a card tester scheduling a payment with each card to test had every
    SetupIntent ask the issuer and no decline counted, so the daily limit never stopped it."""
    on_stripe(demo_app)
    setup = stripe_declines_setup(requests_mock)
    for n in range(7):
        caller = TwilioCaller(demo_app, call_sid=f"CA{n:032d}")
        caller.walk(*LATER_NEW_CARD, *entries(DECLINED_AT_SETUP), "1")
        caller.post("/voice/status", CallStatus="completed", CallDuration="60")
    with db.transaction(demo_app) as session:
        limits = list(session.scalars(select(AuditEvent.outcome)
                                      .where(AuditEvent.action == "authorisation_limit")))
    assert setup.call_count <= 5 and limits, \
        f"{setup.call_count} cards checked at the issuer, limits reached: {limits}"


@pytest.mark.parametrize("database_url", postgresql_only(), indirect=True)
def test_an_arrangement_does_not_ask_the_gateway_while_the_account_is_locked(
        demo_app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """Once failed: create_arrangement locked the account, then asked the gateway to keep the
    card (an HTTP request of up to seconds) while every other payment of the account waited.
    The flow now keeps the method first (ports.keep_for_later)."""
    gateway = demo_app.extensions["ivr_gateway"]
    save_card = gateway.save_card
    locked: list[bool] = []

    def probing(card: CardDetails) -> str:
        with db.engine(demo_app).connect() as other:
            try:
                other.execute(text("SELECT id FROM accounts WHERE account_number = '20005678' "
                                   "FOR UPDATE NOWAIT"))
                locked.append(False)
            except OperationalError:
                locked.append(True)
            other.rollback()
        return save_card(card)

    monkeypatch.setattr(gateway, "save_card", probing)
    sam = TwilioCaller(demo_app, caller="+12125550199")
    answer = sam.walk(*SAM_PLAN_NEW_CARD, *entries(VISA), "1")
    assert "Your payment arrangement is set up." in answer.said
    assert locked == [False], "the gateway was asked while the account row was locked"
    assert len(call_payments(demo_app, sam.call_sid)) == 2


def test_concurrent_deliveries_of_a_later_payment_keep_the_card_once(demo_app: Flask) -> None:
    caller = TwilioCaller(demo_app)
    read_back = caller.walk(*LATER_NEW_CARD, *entries(VISA))
    heard = at_once(3, lambda: caller.press(read_back, "1"))
    assert len({answer.raw for answer in heard}) == 1
    assert "is scheduled for December first" in heard[0].said
    with db.transaction(demo_app) as session:
        kept = session.scalars(select(SavedPaymentMethod)
                               .where(SavedPaymentMethod.last4 == "5556")).all()
    assert len(kept) == 1 and len(call_payments(demo_app, caller.call_sid)) == 1
    assert card_entries(demo_app) == 0
