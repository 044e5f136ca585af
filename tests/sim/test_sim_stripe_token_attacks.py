"""review2: the simulator's Stripe Pay Connector hands out tokens a faithful Stripe cannot
charge. Its ProfileId is ``cus_`` + random hex that no Customer was ever made for, and the
PaymentMethod (``pm_card_visa``) is not attached to it. The pay-mode replays pass only
because tests/stripe_standin.py charges any ``customer`` it is sent; the contract suite's
stand-in (tests/gateway_standins/stripe.py), like Stripe, answers 400 resource_missing.

(Changed from the review's version, which joined ``params['ProfileId']`` and
``params['PaymentToken']`` itself: the emulation now returns no ProfileId with
``tokenType=payment-method`` (Twilio documents only that "Twilio's action callback will send
the PaymentMethod Object ID in the PaymentToken parameter", changelog 2024-04-09, and the
emulation can make no Customer at Stripe), so the token is read as the line reads <Pay>'s
answer, with :func:`ivr.web.pay_form.capture_report`; any ProfileId still goes with it.)"""

from __future__ import annotations

import requests_mock as rm

from ivr.payments.gateways.stripe import StripeGateway
from ivr.security.card_store import CardDetails
from ivr.sim.pay_connectors import process_card
from ivr.sim.pay_twiml import PayAttributes
from ivr.web.pay_form import capture_report, pay_tokens
from tests.gateway_standins.stripe import API, StripeStandIn

VISA = CardDetails("4242424242424242", "1230", "123", "94105")


def test_a_card_the_stripe_connector_tokenised_can_be_charged_at_stripe(
        requests_mock: rm.Mocker) -> None:
    StripeStandIn().install(requests_mock)
    result, params = process_card("stripe", PayAttributes(token_type="payment-method"), VISA)
    assert result == "success"
    gateway = StripeGateway("sk_test_review2", API)
    kept = capture_report({"Result": result, **params}, pay_tokens("stripe")).token
    token = gateway.accept_token("card", kept)
    charged = gateway.charge_saved("card", token, 4550, "pay-review2-sim", "Account 1")
    assert charged.approved
