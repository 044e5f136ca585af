"""review2: every <Pay> the line can emit, checked against Twilio's generated TwiML types
(twilio-node src/twiml/VoiceResponse.ts: PayAttributes, PromptAttributes and their enums)
and Twilio's <Parameter> docs, for each path: a card charged now (with and without a fee),
a card kept for later, a bank account, on each gateway's tokenType."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest

from flows.state import Capture
from ivr.web.pay_form import pay_tokens
from ivr.web.twiml import Voice, pay_verb

# twilio-node VoiceResponse.PayAttributes (name: allowed values, None = free text / number).
PAY = {"action": None, "bankAccountType": {"consumer-checking", "consumer-savings",
                                           "commercial-checking", "commercial-savings"},
       "chargeAmount": None, "currency": None, "description": None, "input": {"dtmf"},
       "language": {"de-DE", "en-AU", "en-CA", "en-GB", "en-IN", "en-IE", "en-NZ", "en-PH",
                    "en-ZA", "en-US", "es-ES", "es-US", "fr-CA", "fr-FR", "it-IT"},
       "maxAttempts": None, "minPostalCodeLength": None, "paymentConnector": None,
       "paymentMethod": {"ach-debit", "credit-card"}, "postalCode": None,
       "securityCode": {"true", "false"}, "statusCallback": None,
       "statusCallbackMethod": {"GET", "POST"}, "timeout": None,
       "tokenType": {"one-time", "reusable", "payment-method"}, "validCardTypes": None}
CARD_TYPES = {"visa", "mastercard", "amex", "maestro", "discover", "optima", "jcb",
              "diners-club", "enroute"}
ERRORS = {"timeout", "invalid-card-number", "invalid-card-type", "invalid-date",
          "invalid-security-code", "internal-error", "input-matching-failed"}
FOR = {"payment-card-number", "expiration-date", "security-code", "postal-code",
       "payment-processing", "bank-account-number", "bank-routing-number"}
CAPTURES = {
    "card now": Capture(3000, "Account 10001234 (phone payment)"),
    "card now with fee": Capture(3150, "Account 10001234 (phone payment)"),
    "card later": Capture(0, "Account 10001234 (card kept)"),
    "checking": Capture(0, "Account 10001234 (bank)", bank_account_type="checking"),
    "savings": Capture(0, "Account 10001234 (bank)", bank_account_type="savings"),
}


def emitted(capture: Capture, gateway: str) -> ET.Element:
    voice = Voice(pay_connector="Default", token_type=pay_tokens(gateway).token_type)
    return ET.fromstring(pay_verb(capture, "/voice/turn?t=9", voice).to_xml())


@pytest.mark.parametrize("gateway", ["sandbox", "stripe", "authorize-net"])
@pytest.mark.parametrize("path", sorted(CAPTURES))
def test_every_pay_holds_only_what_twilios_types_have(path: str, gateway: str) -> None:
    pay = emitted(CAPTURES[path], gateway)
    for name, value in pay.attrib.items():
        assert name in PAY, name
        allowed = PAY[name]
        assert allowed is None or value in allowed, (name, value)
    assert set((pay.get("validCardTypes") or "visa").split()) <= CARD_TYPES
    if pay.get("chargeAmount"):
        assert Decimal(pay.get("chargeAmount", "")) > 0 and pay.get("tokenType") is None
    if pay.get("bankAccountType"):
        assert pay.get("paymentMethod") == "ach-debit"
    for prompt in pay.iter("Prompt"):
        assert set(prompt.attrib) <= {"for", "errorType", "cardType", "attempt",
                                      "requireMatchingInputs"}
        assert prompt.get("for") in FOR
        assert set((prompt.get("errorType") or "").split()) <= ERRORS


@pytest.mark.parametrize("path", ["checking", "savings"])
def test_an_ach_pay_carries_the_parameters_twilio_requires_for_ach(path: str) -> None:
    """twilio.com/docs/voice/twiml/pay/twiml-voice-parameter: 'This noun, <Parameter>, is
    required when accepting ACH payments in order to capture certain ACH information not
    included as part of the <Pay> verb' (its example: <Parameter name="AVSName" .../>). The
    account holder's name, which the line knows (the name on the bill, Authorize.Net's
    required nameOnAccount), is never passed to the connector."""
    pay = emitted(CAPTURES[path], "authorize-net")
    assert pay.find("Parameter") is not None


@pytest.mark.parametrize(("path", "words"), [
    ("card now", "Please wait while we process your payment."),
    ("card later", "Please wait while we check those details."),
    ("checking", "Please wait while we check those details."),
])
def test_what_the_caller_hears_while_the_connector_works_says_what_it_does(
        path: str, words: str) -> None:
    # Twilio's own default says "process your payment", which a card only kept is not.
    pay = emitted(CAPTURES[path], "sandbox")
    [processing] = [p for p in pay.iter("Prompt") if p.get("for") == "payment-processing"]
    assert processing.findtext("Say") == words
