"""The simulator's Pay Connectors: the sandbox's, and Stripe's as Twilio documents it.

Stripe's connector tokenises per ``tokenType`` (``payment-method``: a PaymentMethod as
``PaymentToken``, with no ``ProfileId`` since the emulation makes no Customer at Stripe;
``reusable``: a one-time token and a Customer; ``one-time``: the token alone), charges with a
PaymentIntent id as
``PaymentConfirmationCode``, and declines Stripe's test cards as they decline.
"""

from __future__ import annotations

import re

import pytest
import requests_mock as rm
from flask import Flask

from ivr.cli.call import call_command
from ivr.errors import ScriptError
from ivr.payments.gateways.sandbox import SANDBOX_OUTCOMES
from ivr.payments.gateways.stripe import StripeGateway
from ivr.sim.pay_connectors import STRIPE_NO_BANK, STRIPE_TEST_METHODS, connector_for
from ivr.sim.script import load_script, run_script
from ivr.sim.simulator import Action, CallResult, SimulatedCall
from ivr.sim.transport import InProcessTransport
from tests.gateway_standins.stripe import API, StripeStandIn
from tests.sim.sim_helpers import (
    ACCOUNT,
    AMEX,
    VISA,
    Scripted,
    card_keys,
    pay_app,
    posted,
    press,
)

MASTERCARD = "5555555555554444"


def stripe_call(app: Flask, *actions: Action) -> CallResult:
    """A call to ``app`` whose <Pay> emulates Twilio's Stripe connector."""
    return SimulatedCall(InProcessTransport(app), Scripted(*actions),
                         pay_connector="stripe").run()


@pytest.mark.parametrize(("number", "method"), [
    (VISA, "pm_card_visa"), (MASTERCARD, "pm_card_mastercard"), (AMEX, "pm_card_amex"),
    *((number, STRIPE_TEST_METHODS[reason]) for number, reason in SANDBOX_OUTCOMES.items()),
])
def test_payment_method_tokens_are_stripes_test_method_without_a_customer(
        number: str, method: str, requests_mock: rm.Mocker) -> None:
    app = pay_app(token_type="payment-method")
    stripe_call(app, *card_keys(number, "1234" if number == AMEX else "123"))
    params = posted(app)
    assert params["Result"] == "success" and params["PaymentToken"] == method
    assert "ProfileId" not in params  # no Customer Stripe never made
    assert "PaymentConfirmationCode" not in params
    # The line keeps it bare (Stripe has it attached to no Customer), after one read.
    StripeStandIn().install(requests_mock)
    assert StripeGateway("sk_test_x", API).accept_token("card", method) == method
    assert [(r.method, r.path) for r in requests_mock.request_history] == \
        [("GET", f"/v1/payment_methods/{method}".lower())]


@pytest.mark.parametrize(("token_type", "profile"), [("reusable", True), ("one-time", False),
                                                     (None, True)])  # Twilio's default
def test_other_token_types_give_a_one_time_token(token_type: str | None, profile: bool) -> None:
    app = pay_app(token_type=token_type)
    stripe_call(app, *card_keys())
    params = posted(app)
    assert re.fullmatch(r"tok_[0-9a-f]{24}", params["PaymentToken"])
    assert ("ProfileId" in params) is profile


def test_a_charge_is_a_payment_intent() -> None:
    app = pay_app(charge_amount="12.50")
    stripe_call(app, *card_keys())
    params = posted(app)
    assert params["Result"] == "success"
    assert re.fullmatch(r"pi_[0-9a-f]{24}", params["PaymentConfirmationCode"])
    assert not {"PaymentToken", "ProfileId"} & set(params)


@pytest.mark.parametrize(("number", "reason"), sorted(SANDBOX_OUTCOMES.items()))
def test_a_test_card_declines_as_at_stripe(number: str, reason: object) -> None:
    app = pay_app(charge_amount="12.50")
    stripe_call(app, *card_keys(number))
    params = posted(app)
    assert params["Result"] == "payment-connector-error"
    assert params["ConnectorError"] == getattr(reason, "value", None)
    assert "PaymentConfirmationCode" not in params


def test_a_bank_account_is_refused_as_the_stripe_gateway_takes_none() -> None:
    app = pay_app(payment_method="ach-debit")
    stripe_call(app, press("110000000#"), press(ACCOUNT + "#"))
    params = posted(app)
    assert (params["Result"], params["PaymentError"]) == ("payment-connector-error",
                                                          STRIPE_NO_BANK)
    assert "PaymentToken" not in params


def test_what_twilios_types_refuse_the_stripe_connector_refuses_too() -> None:
    app = pay_app(token_type="payment_method")  # not Twilio's spelling
    stripe_call(app)
    params = posted(app)
    assert params["Result"] == "validation-error" and "tokenType" in params["PaymentError"]


CARD_SCRIPT = {"name": "a card at <Pay>",
               "steps": [{"press": f"{VISA}#"}, {"press": "1239"}, {"press": "123"},
                         {"press": "94109#"}, {"expect": "Result success"}]}


def test_a_script_names_its_connector() -> None:
    app = pay_app(token_type="payment-method")
    run_script(app, {**CARD_SCRIPT, "pay_connector": "stripe"}, quiet=True)
    assert posted(app)["PaymentToken"] == "pm_card_visa"
    with pytest.raises(ScriptError, match="pay_connector: 'adyen' is not one of sandbox, stripe"):
        load_script({**CARD_SCRIPT, "pay_connector": "adyen"})


def test_ivr_call_takes_the_connector_as_an_option() -> None:
    app = pay_app(token_type="payment-method")
    result = app.test_cli_runner().invoke(call_command, ["--pay-connector", "stripe"],
                                          input=f"{VISA}#\n1239\n123\n94109#\n")
    assert result.exit_code == 0, result.output
    assert posted(app)["PaymentToken"] == "pm_card_visa"


def test_in_process_the_connector_is_the_lines_own(demo_app: Flask) -> None:
    assert connector_for(InProcessTransport(demo_app)) == "sandbox"
    assert connector_for(InProcessTransport(pay_app())) == "sandbox"  # not one of ours
