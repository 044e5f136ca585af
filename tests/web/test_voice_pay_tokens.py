"""<Pay> tokens over the webhooks: the tokenType each gateway's connector is asked for, what
Stripe's connector returns kept as the gateway charges it, and a token the gateway refuses
refused when <Pay> reports it, before anything is read back, agreed or scheduled."""

from __future__ import annotations

import pytest
import requests_mock as rm
from flask import Flask
from sqlalchemy import select

from ivr.config import override_settings, settings_of
from ivr.db import db
from ivr.ports.database import make_gateway
from ivr.security.card_store import CardDetails
from models import SavedPaymentMethod
from tests.app_helpers import call_payments
from tests.gateway_standins.stripe import StripeStandIn
from tests.menu_helpers import JORDAN_LATER
from tests.twilio_helpers import Answer, TwilioCaller, pay_result

PIN = "2468"
TO_KEEP = (*JORDAN_LATER, "1201", "1")  # the balance on December 1st, a new card
CARD = {"PaymentCardType": "visa", "PaymentCardNumber": "xxxx-xxxx-xxxx-4242",
        "ExpirationDate": "1230"}
VISA = CardDetails("4242424242424242", "1230", "123", "94105")  # what the connector took


@pytest.fixture
def stripe_line(demo_app: Flask) -> Flask:
    """The demo line on Stripe, in pay mode (Stripe's own API URL; every request mocked)."""
    override_settings(demo_app, IVR_PAYMENT_GATEWAY="stripe", IVR_CARD_CAPTURE="pay",
                      IVR_STRIPE_API_KEY="sk_test_abc")
    demo_app.extensions["ivr_gateway"] = make_gateway(settings_of(demo_app), db.engine(demo_app))
    return demo_app


def to_pay(caller: TwilioCaller) -> Answer:
    """Walk to the <Pay> that keeps a card for December 1st."""
    answer = caller.walk(*TO_KEEP)
    assert answer.root.find("Pay") is not None, answer.said
    return answer


def card_kept(caller: TwilioCaller, answer: Answer, **params: str) -> Answer:
    """<Pay>'s action callback for a Visa it tokenised, with the token ``params`` give."""
    return pay_result(caller, answer, Result="success", **CARD, **params)


def saved_tokens(app: Flask) -> list[str]:
    """The gateway tokens of every method on file."""
    with db.transaction(app) as session:
        return list(session.scalars(select(SavedPaymentMethod.gateway_token)))


def test_the_sandbox_keeps_twilios_default_token_type(demo_app: Flask) -> None:
    override_settings(demo_app, IVR_CARD_CAPTURE="pay")
    pay = to_pay(TwilioCaller(demo_app)).root.find("Pay")
    assert pay is not None and pay.get("tokenType") == "reusable"


def test_stripe_asks_for_a_payment_method_and_keeps_it_with_its_customer(
        stripe_line: Flask, requests_mock: rm.Mocker) -> None:
    stripe = StripeStandIn().install(requests_mock)
    customer, method = stripe.mint_card(VISA, customer=True)
    before = saved_tokens(stripe_line)
    caller = TwilioCaller(stripe_line)
    answer = to_pay(caller)
    pay = answer.root.find("Pay")
    assert pay is not None and pay.get("tokenType") == "payment-method"
    assert pay.get("chargeAmount") is None  # tokenising only
    read_back = card_kept(caller, answer, PaymentToken=method, ProfileId=str(customer))
    assert "with the Visa card ending in 4 2 4 2, on December first" in read_back.said
    assert "is scheduled for December first" in caller.press(read_back, "1").said
    assert saved_tokens(stripe_line) == [*before, f"{customer}:{method}"]
    # Only read, one short request a turn: Twilio gives a turn 15 seconds.
    assert {(seen.method, seen.path) for seen in stripe.seen} == \
        {("GET", f"/v1/payment_methods/{method}")}


def test_a_payment_method_that_came_alone_is_kept_bare_and_attached_later(
        stripe_line: Flask, requests_mock: rm.Mocker) -> None:
    stripe = StripeStandIn().install(requests_mock)
    _, method = stripe.mint_card(VISA, customer=False)
    caller = TwilioCaller(stripe_line)
    read_back = card_kept(caller, to_pay(caller), PaymentToken=method)
    assert "on December first" in read_back.said
    caller.press(read_back, "1")
    assert method in saved_tokens(stripe_line)
    assert stripe.customers == {}  # attached at its first charge, not in a call's turn
    assert stripe.payment_methods[method].customer is None


def test_a_profile_id_that_is_not_the_methods_customer_is_refused_when_pay_reports_it(
        stripe_line: Flask, requests_mock: rm.Mocker) -> None:
    stripe = StripeStandIn().install(requests_mock)
    _, method = stripe.mint_card(VISA, customer=True)
    other, _ = stripe.mint_card(VISA, customer=True)
    before = saved_tokens(stripe_line)
    caller = TwilioCaller(stripe_line)
    answer = card_kept(caller, to_pay(caller), PaymentToken=method, ProfileId=str(other))
    assert "Sorry, that card cannot be kept on file for a payment on a later date." \
        in answer.said
    assert call_payments(stripe_line) == [] and saved_tokens(stripe_line) == before


@pytest.mark.parametrize("params", [
    {"ProfileId": "cus_9Xy"},  # a Customer and no PaymentMethod: no charge instruction
    {"ProfileId": "cus_9Xy", "PaymentToken": "tok_1One"},  # tokenType=reusable's answer
    {},  # no token at all
])
def test_a_token_stripe_cannot_charge_later_is_refused_when_pay_reports_it(
        stripe_line: Flask, requests_mock: rm.Mocker, params: dict[str, str]) -> None:
    before = saved_tokens(stripe_line)
    caller = TwilioCaller(stripe_line)
    answer = card_kept(caller, to_pay(caller), **params)
    assert "Sorry, that card cannot be kept on file for a payment on a later date." \
        in answer.said
    assert "Please try a different card, or pay today instead." in answer.said
    assert "To try a different card, press 1." in answer.said
    assert "You are about to" not in answer.said  # never read back to be agreed
    assert call_payments(stripe_line) == [] and saved_tokens(stripe_line) == before
    assert not requests_mock.called
