"""Twilio <Pay> capture mode over the webhooks: the TwiML asked for and every Result handled."""

from __future__ import annotations

import logging

import pytest
from flask import Flask
from sqlalchemy import select

from ivr.config import override_settings
from ivr.db import db
from ivr.sim.pay_twiml import ERROR_TYPES, PAY_ATTRIBUTES, PROMPT_ATTRIBUTES
from models import SmsMessage
from tests.app_helpers import balance, call_payments
from tests.menu_helpers import JORDAN_LATER, JORDAN_OTHER_AMOUNT
from tests.twilio_helpers import Answer, TwilioCaller, pay_result

PIN = "2468"
TO_CAPTURE = (*JORDAN_OTHER_AMOUNT, "30", "1", "1")  # $30 today, with a new card


@pytest.fixture
def caller(demo_app: Flask) -> TwilioCaller:
    """A caller on account 10001234 with <Pay> capture switched on."""
    override_settings(demo_app, IVR_CARD_CAPTURE="pay", IVR_PAY_CONNECTOR="Stripe_Connector")
    return TwilioCaller(demo_app)


def test_pay_verb_charges_the_amount_with_our_prompts(caller: TwilioCaller) -> None:
    answer = capture(caller)
    pay = answer.root.find("Pay")
    assert pay is not None
    assert answer.verbs() == ["Say", "Pay"]
    assert pay.get("chargeAmount") == "30.00" and pay.get("currency") == "usd"
    assert pay.get("paymentConnector") == "Stripe_Connector"
    assert pay.get("action") == f"/voice/turn?t={len(TO_CAPTURE) + 1}"
    assert pay.get("validCardTypes") == "visa mastercard amex discover"
    assert pay.get("tokenType") is None
    fields = {(p.get("for"), p.get("errorType")) for p in pay.iter("Prompt")}
    assert ("payment-card-number", None) in fields
    assert ("payment-card-number", "invalid-card-number") in fields
    assert ("expiration-date", "invalid-date") in fields
    assert "You are paying thirty dollars by card." in answer.said


def test_the_pay_verb_holds_only_what_twilios_schema_has(caller: TwilioCaller) -> None:
    pay = capture(caller).root.find("Pay")
    assert pay is not None
    assert set(pay.attrib) <= PAY_ATTRIBUTES and "method" not in pay.attrib
    assert pay.get("statusCallback") == "/voice/pay-status"
    for prompt in pay.iter("Prompt"):
        assert set(prompt.attrib) <= PROMPT_ATTRIBUTES
        assert set((prompt.get("errorType") or "").split()) <= ERROR_TYPES, prompt.attrib


def test_pay_progress_is_logged_without_digits(caller: TwilioCaller,
                                               caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="ivr.web.voice")
    answer = caller.post("/voice/pay-status", False, For="payment-card-number", Attempt="2",
                         ErrorType="invalid-card-number",
                         PaymentCardNumber="xxxx-xxxx-xxxx-4242")
    assert answer.status == 200 and answer.verbs() == []
    assert "asking for payment-card-number (attempt 2) after invalid-card-number" in caplog.text
    assert "4242" not in caplog.text


def test_pay_progress_needs_a_signature(demo_app: Flask) -> None:
    response = demo_app.test_client().post("/voice/pay-status", data={"CallSid": "CA1"})
    assert response.status_code == 403


def capture(caller: TwilioCaller) -> Answer:
    """Walk to the <Pay> verb."""
    answer = caller.walk(*TO_CAPTURE)
    assert answer.root.find("Pay") is not None
    return answer



def test_success_records_the_payment_without_charging_again(caller: TwilioCaller) -> None:
    answer = pay_result(caller, capture(caller), Result="success",
                        PaymentConfirmationCode="ch_3Mx", PaymentCardType="visa",
                        PaymentCardNumber="xxxx-xxxx-xxxx-4242", ExpirationDate="1230",
                        PaymentCardPostalCode="94105")
    assert "Thank you, your payment has been approved." in answer.said
    [payment] = call_payments(caller.app)
    assert (payment.status, payment.gateway_reference, payment.card_brand, payment.card_last4) \
        == ("approved", "ch_3Mx", "Visa", "4242")
    assert payment.confirmation_number and payment.confirmation_number[:5] in \
        answer.said.replace(" ", "")
    assert balance(caller.app) == 12045 - 3000


def test_the_payment_is_written_ahead_and_held_before_pay_charges(
        caller: TwilioCaller) -> None:
    capture(caller)
    [payment] = call_payments(caller.app)
    assert (payment.status, payment.twilio_pay, payment.amount_cents) == ("processing", True,
                                                                          3000)
    other = TwilioCaller(caller.app, call_sid="CA" + "7" * 32)
    heard = other.walk("1", PIN).said  # the balance, right after the PIN
    assert "We are still confirming a payment of thirty dollars." in heard


@pytest.mark.parametrize(("params", "says", "status"), [
    ({"Result": "payment-connector-error", "ConnectorError": "card_declined"},
     "your card issuer declined the payment", "declined"),

    ({"Result": "too-many-failed-attempts", "PaymentError": "invalid-card-number"},
     "we could not read the card details", "failed"),
    ({"Result": "internal-error"}, "a problem processing your card", "failed"),
])
def test_failures_are_explained_and_another_way_is_offered(
        caller: TwilioCaller, params: dict[str, str], says: str, status: str) -> None:
    answer = pay_result(caller, capture(caller), **params)
    assert says in answer.said and "No payment was taken." in answer.said
    assert "To try a different card or a bank account, press 1." in answer.said
    assert [p.status for p in call_payments(caller.app)] == [status]
    assert balance(caller.app) == 12045


def test_a_connector_error_that_is_no_decline_is_held_as_in_doubt(caller: TwilioCaller) -> None:
    answer = pay_result(caller, capture(caller), Result="payment-connector-error",
                        ConnectorError="gateway_timeout")
    assert "we could not confirm your payment of thirty dollars" in answer.said
    assert "No payment was taken" not in answer.said
    assert [p.status for p in call_payments(caller.app)] == ["unknown"]
    again = TwilioCaller(caller.app, call_sid="CA" + "8" * 32).walk("1", PIN).said
    assert "We are still confirming a payment of thirty dollars." in again


def test_a_pay_result_after_the_hang_up_is_still_recorded_and_texted(
        caller: TwilioCaller) -> None:
    captured = capture(caller)
    caller.post("/voice/status", CallStatus="completed", CallDuration="45")
    answer = pay_result(caller, captured, Result="success", PaymentConfirmationCode="ch_late",
                        PaymentCardType="visa", PaymentCardNumber="xxxx-xxxx-xxxx-4242")
    assert answer.verbs() == ["Say", "Hangup"]
    [payment] = call_payments(caller.app)
    assert (payment.status, payment.gateway_reference) == ("approved", "ch_late")
    assert balance(caller.app) == 12045 - 3000
    with db.transaction(caller.app) as session:
        [text] = session.scalars(select(SmsMessage.body)).all()
    assert "went through with Visa ending 4242" in text


def test_star_during_pay_cancels(caller: TwilioCaller) -> None:
    answer = pay_result(caller, capture(caller), Result="caller-interrupted-with-star")
    assert "The payment was cancelled." in answer.said
    assert "To make a payment, press 2." in answer.said
    assert [p.status for p in call_payments(caller.app)] == ["cancelled"]
    assert balance(caller.app) == 12045


def test_hang_up_during_pay_ends_quietly(caller: TwilioCaller) -> None:
    answer = pay_result(caller, capture(caller), Result="caller-hung-up")
    assert answer.verbs() == ["Hangup"]
    assert [p.status for p in call_payments(caller.app)] == ["cancelled"]


def test_a_redelivered_pay_result_records_one_payment(caller: TwilioCaller) -> None:
    captured = capture(caller)
    params = {"Result": "success", "PaymentConfirmationCode": "ch_9", "PaymentCardType": "amex",
              "PaymentCardNumber": "xxxx-xxxxxx-x0005", "ExpirationDate": "1230"}
    first = pay_result(caller, captured, **params)
    again = pay_result(caller, captured, **params)
    assert first.raw == again.raw
    [payment] = call_payments(caller.app)
    assert (payment.card_brand, payment.card_last4) == ("American Express", "0005")


def test_scheduling_tokenises_instead_of_charging(caller: TwilioCaller) -> None:
    answer = caller.walk(*JORDAN_LATER, "1203", "1")
    pay = answer.root.find("Pay")
    assert pay is not None
    assert pay.get("tokenType") == "reusable" and pay.get("chargeAmount") is None
