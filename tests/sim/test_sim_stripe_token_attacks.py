"""review2: the simulator's Stripe Pay Connector hands out tokens a faithful Stripe cannot
charge. Its ProfileId is ``cus_`` + random hex that no Customer was ever made for, and the
PaymentMethod (``pm_card_visa``) is not attached to it. The pay-mode replays pass only
because tests/stripe_standin.py charges any ``customer`` it is sent; the contract suite's
stand-in (tests/gateway_standins/stripe.py), like Stripe, answers 400 resource_missing."""

from __future__ import annotations

import requests_mock as rm

from ivr.payments.gateways.stripe import StripeGateway
from ivr.security.card_store import CardDetails
from ivr.sim.pay_connectors import process_card
from ivr.sim.pay_twiml import PayAttributes
from tests.gateway_standins.stripe import API, StripeStandIn

VISA = CardDetails("4242424242424242", "1230", "123", "94105")


def test_a_card_the_stripe_connector_tokenised_can_be_charged_at_stripe(
        requests_mock: rm.Mocker) -> None:
    StripeStandIn().install(requests_mock)
    result, params = process_card("stripe", PayAttributes(token_type="payment-method"), VISA)
    assert result == "success"
    gateway = StripeGateway("sk_test_review2", API)
    token = gateway.accept_token("card", f"{params['ProfileId']}:{params['PaymentToken']}")
    charged = gateway.charge_saved("card", token, 4550, "pay-review2-sim", "Account 1")
    assert charged.approved
