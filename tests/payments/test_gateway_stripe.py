"""The Stripe gateway against mocked Stripe answers shaped like Stripe's API reference.

Request bodies are read back field by field (``parse_qsl``) and compared with the shapes in
Stripe's reference: PaymentIntents (with ``payment_method_options[card][moto]`` as the MOTO
guide describes), Customers, PaymentMethod attach and SetupIntents.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import parse_qsl

import pytest
import requests
import requests_mock as rm

from flows.ports import DeclineReason
from ivr.errors import ConfigError, GatewayError, GatewayOutcomeUnknown
from ivr.payments.gateways.stripe import (
    STRIPE_API_VERSION,
    StripeGateway,
    decline_reason,
    parse_token,
)
from ivr.ports.database import make_gateway
from ivr.security.card_store import BankDetails, CardDetails
from tests.app_helpers import settings_with

KEY = "sk_test_51SecretKeyNeverLogged"
API = "https://api.stripe.com"
URL = f"{API}/v1/payment_intents"
CUSTOMERS = f"{API}/v1/customers"
SETUP = f"{API}/v1/setup_intents"
PM = "pm_1QxYzSecretPaymentMethod"
CUS = "cus_QxYzSecretCustomer"
ATTACH = f"{API}/v1/payment_methods/{PM}/attach"
METHOD = f"{API}/v1/payment_methods/{PM}"
SHORT = (2, 4)  # the timeout of a request that moves no money (it may run in a call's turn)
IDEM = "pay-7f3e2d1c-0001"
DESCRIPTION = "Account 100200300 (phone payment)"
NUMBER, CVC, ZIP = "4242424242424242", "987", "94107"
CARD = CardDetails(NUMBER, "1230", CVC, ZIP)
SECRETS = (NUMBER, CVC, "424242", KEY)  # "424242": no run of the number either


@pytest.fixture
def gateway() -> StripeGateway:
    """A gateway with a test key on Stripe's real base URL (requests are mocked)."""
    return StripeGateway.from_settings(settings_with({"IVR_STRIPE_API_KEY": KEY}))


def charge(gateway: StripeGateway, card: CardDetails = CARD, key: str = IDEM) -> Any:
    """Charge $45.50 on a keyed card, the way a call does."""
    return gateway.charge_card(card, 4550, key, DESCRIPTION)


def charge_saved(gateway: StripeGateway, token: str = f"{CUS}:{PM}", key: str = IDEM) -> Any:
    """Charge $45.50 on a card on file, the way scheduled runs do."""
    return gateway.charge_saved("card", token, 4550, key, DESCRIPTION)


def intent(status: str = "succeeded", **extra: Any) -> dict[str, Any]:
    """A PaymentIntent object as Stripe returns it for a keyed card (no Customer)."""
    return {"id": "pi_3MtwBwLkdIwHu7ix28a3tqPa", "object": "payment_intent", "amount": 4550,
            "currency": "usd", "status": status, "customer": None, "payment_method": PM,
            "description": DESCRIPTION, "metadata": {"idempotency_key": IDEM},
            "payment_method_options": {"card": {"moto": True}},
            "setup_future_usage": "off_session", "last_payment_error": None, **extra}


def customer(customer_id: str = CUS) -> dict[str, Any]:
    """A Customer object as POST /v1/customers returns it."""
    return {"id": customer_id, "object": "customer", "created": 1680893993,
            "description": "Card kept on file by the phone payment line", "email": None,
            "invoice_settings": {"default_payment_method": None}, "livemode": False,
            "metadata": {}}


def payment_method(owner: str | None = CUS) -> dict[str, Any]:
    """A card PaymentMethod as POST /v1/payment_methods/{id}/attach returns it."""
    return {"id": PM, "object": "payment_method", "type": "card", "customer": owner,
            "billing_details": {"address": {"postal_code": ZIP}},
            "card": {"brand": "visa", "country": "US", "exp_month": 12, "exp_year": 2030,
                     "funding": "credit", "last4": "4242"},
            "created": 1680893993, "livemode": False, "metadata": {}}


def setup_intent(status: str = "succeeded", **extra: Any) -> dict[str, Any]:
    """A SetupIntent object after confirmation."""
    return {"id": "seti_1Mm8s8LkdIwHu7ix0OXBfTRG", "object": "setup_intent",
            "customer": CUS, "payment_method": PM, "status": status, "usage": "off_session",
            "payment_method_types": ["card"], "last_setup_error": None, "latest_attempt":
            "setatt_1Mm8s8", "payment_method_options": {"card": {"moto": True}}, **extra}


def card_error(code: str, decline_code: str | None = None,
               attached: str = "payment_intent") -> dict[str, Any]:
    """A 402 body like Stripe's: the error object with the failed intent inside."""
    error: dict[str, Any] = {
        "type": "card_error", "code": code, "message": "Your card was declined.",
        "doc_url": f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}",
        "request_log_url": "https://dashboard.stripe.com/test/logs/req_abc",
        attached: intent("requires_payment_method") if attached == "payment_intent"
        else setup_intent("requires_payment_method")}
    if decline_code:
        error["decline_code"] = decline_code
    return {"error": error}


def error_body(kind: str, code: str | None = None) -> dict[str, Any]:
    """An error body; Stripe's free text can quote our ids, which must not reach us."""
    return {"error": {"type": kind, "code": code,
                      "message": f"No such PaymentMethod: '{PM}'; key {KEY}; card {NUMBER}"}}


def form_of(request: Any) -> dict[str, str]:
    """The form fields of one request, nested keys as written on the wire."""
    return dict(parse_qsl(request.text or "", strict_parsing=bool(request.text)))


def last(requests_mock: rm.Mocker) -> Any:
    """The last request the gateway sent."""
    assert requests_mock.last_request is not None
    return requests_mock.last_request


def clean(text: str) -> bool:
    """No card digits, security code or API key in ``text``."""
    return not any(secret in text for secret in SECRETS)


# --- keyed cards -------------------------------------------------------------------------


def test_a_keyed_card_is_one_moto_payment_intent(gateway: StripeGateway,
                                                 requests_mock: rm.Mocker) -> None:
    requests_mock.post(URL, json=intent())
    charge(gateway)
    sent = last(requests_mock)
    assert sent.method == "POST" and sent.url == URL
    assert sent.headers["Authorization"] == f"Bearer {KEY}"
    assert sent.headers["Stripe-Version"] == STRIPE_API_VERSION
    assert sent.headers["Idempotency-Key"] == IDEM
    assert sent.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert form_of(sent) == {
        "amount": "4550", "currency": "usd", "confirm": "true",
        "payment_method_types[0]": "card",
        "payment_method_data[type]": "card",
        "payment_method_data[card][number]": NUMBER,
        "payment_method_data[card][exp_month]": "12",
        "payment_method_data[card][exp_year]": "2030",
        "payment_method_data[card][cvc]": CVC,
        "payment_method_data[billing_details][address][postal_code]": ZIP,
        "payment_method_options[card][moto]": "true",
        "setup_future_usage": "off_session",
        "description": DESCRIPTION, "metadata[idempotency_key]": IDEM}


def test_a_single_digit_month_is_sent_as_a_number(gateway: StripeGateway,
                                                  requests_mock: rm.Mocker) -> None:
    requests_mock.post(URL, json=intent())
    charge(gateway, CardDetails(NUMBER, "0731", CVC, ZIP))
    sent = form_of(last(requests_mock))
    assert (sent["payment_method_data[card][exp_month]"],
            sent["payment_method_data[card][exp_year]"]) == ("7", "2031")


def test_an_approved_keyed_charge_can_be_kept(gateway: StripeGateway,
                                              requests_mock: rm.Mocker) -> None:
    requests_mock.post(URL, json=intent())
    result = charge(gateway)
    assert (result.approved, result.pending, result.decline_reason) == (True, False, None)
    assert result.reference == "pi_3MtwBwLkdIwHu7ix28a3tqPa"
    assert result.reusable == PM


def test_a_retry_sends_the_same_key_and_the_same_parameters(gateway: StripeGateway,
                                                            requests_mock: rm.Mocker) -> None:
    # Stripe replays the first answer only if the parameters match; otherwise idempotency_error.
    requests_mock.post(URL, json=intent())
    charge(gateway)
    charge(gateway)
    first, second = requests_mock.request_history
    assert first.text == second.text
    assert first.headers["Idempotency-Key"] == second.headers["Idempotency-Key"] == IDEM


@pytest.mark.parametrize(("code", "decline_code", "reason"), [
    ("card_declined", "generic_decline", DeclineReason.DECLINED),
    ("card_declined", "do_not_honor", DeclineReason.DECLINED),
    ("card_declined", None, DeclineReason.DECLINED),
    ("card_declined", "insufficient_funds", DeclineReason.INSUFFICIENT_FUNDS),
    ("expired_card", None, DeclineReason.EXPIRED_CARD),
    ("card_declined", "expired_card", DeclineReason.EXPIRED_CARD),
    ("incorrect_cvc", None, DeclineReason.INCORRECT_CVC),
    ("incorrect_number", None, DeclineReason.DECLINED),
    ("invalid_number", None, DeclineReason.DECLINED),
    ("incorrect_zip", None, DeclineReason.DECLINED),
    ("processing_error", None, DeclineReason.PROCESSING_ERROR),
    ("authentication_required", "authentication_required", DeclineReason.DECLINED),
])
def test_card_errors_are_declines_with_a_reason(gateway: StripeGateway,
                                                requests_mock: rm.Mocker, code: str,
                                                decline_code: str | None,
                                                reason: DeclineReason) -> None:
    requests_mock.post(URL, status_code=402, json=card_error(code, decline_code))
    result = charge(gateway)
    assert (result.approved, result.decline_reason) == (False, reason)
    assert result.reference == "pi_3MtwBwLkdIwHu7ix28a3tqPa"
    assert result.reusable == ""  # a declined card is never kept


def test_a_card_error_without_an_intent_is_a_decline_without_reference(
        gateway: StripeGateway, requests_mock: rm.Mocker) -> None:
    body = card_error("incorrect_number")
    del body["error"]["payment_intent"]  # the card failed before an intent was made
    requests_mock.post(URL, status_code=402, json=body)
    result = charge(gateway)
    assert (result.approved, result.reference) == (False, "")


@pytest.mark.parametrize("status", ["requires_action", "requires_payment_method", "canceled"])
def test_an_intent_left_needing_the_payer_is_declined(gateway: StripeGateway,
                                                      requests_mock: rm.Mocker,
                                                      status: str) -> None:
    requests_mock.post(URL, json=intent(status, next_action={"type": "use_stripe_sdk"}))
    result = charge(gateway)
    assert (result.approved, result.decline_reason, result.reusable) == (
        False, DeclineReason.DECLINED, "")


def test_last_payment_error_on_a_200_keeps_its_reason(gateway: StripeGateway,
                                                      requests_mock: rm.Mocker) -> None:
    failure = {"type": "card_error", "code": "card_declined", "decline_code": "insufficient_funds"}
    requests_mock.post(URL, json=intent("requires_payment_method", last_payment_error=failure))
    assert charge(gateway).decline_reason is DeclineReason.INSUFFICIENT_FUNDS


def test_processing_is_not_called_a_decline(gateway: StripeGateway,
                                            requests_mock: rm.Mocker) -> None:
    requests_mock.post(URL, json=intent("processing"))
    with pytest.raises(GatewayOutcomeUnknown, match="status processing"):
        charge(gateway)


@pytest.mark.parametrize(("status", "body", "expected"), [
    (400, error_body("invalid_request_error", "resource_missing"), "HTTP 400"),
    (400, error_body("idempotency_error"), "idempotency key"),
    (401, error_body("invalid_request_error"), "rejected the API key"),
    (403, error_body("invalid_request_error"), "HTTP 403"),
    (404, error_body("invalid_request_error"), "HTTP 404"),
    (404, error_body("invalid_request_error", "resource_missing"), r"no such object \(HTTP 404"),
    (409, error_body("idempotency_error"), "HTTP 409, .*may have gone through"),
    (429, error_body("invalid_request_error", "rate_limit"), "HTTP 429"),
    (500, error_body("api_error"), "may have gone through"),
    (503, error_body("api_error"), "may have gone through"),
    (402, error_body("invalid_request_error"), "HTTP 402"),
    # Only a 402 is a decline: a card_error type on any other status is not trusted as one.
    (400, error_body("card_error", "card_declined"), "HTTP 400"),
])
def test_refusals_raise_without_secrets(gateway: StripeGateway, requests_mock: rm.Mocker,
                                        status: int, body: dict[str, Any], expected: str) -> None:
    requests_mock.post(URL, status_code=status, json=body, headers={"Request-Id": "req_123"})
    with pytest.raises(GatewayError, match=expected) as raised:
        charge(gateway)
    text = str(raised.value)
    assert clean(text) and PM not in text and CUS not in text
    assert "req_123" in text


@pytest.mark.parametrize(("kwargs", "unknown"), [
    ({"status_code": 500, "json": {"error": {"type": "api_error"}}}, True),
    ({"status_code": 502, "text": "<html>Bad gateway</html>"}, True),
    ({"exc": requests.ReadTimeout}, True),
    ({"exc": requests.ConnectionError}, True),
    ({"json": intent("processing")}, True),
    ({"status_code": 409, "json": {"error": {"type": "idempotency_error"}}}, True),
    ({"status_code": 200, "text": "<html>upstream error</html>"}, True),
    ({"status_code": 200, "text": "[1, 2]"}, True),
    ({"status_code": 200, "json": {"object": "charge", "id": "ch_1"}}, True),
    ({"exc": requests.ConnectTimeout}, False),
    ({"status_code": 429, "json": {"error": {"type": "rate_limit_error"}}}, False),
    ({"status_code": 401, "json": {"error": {"type": "invalid_request_error"}}}, False),
    ({"status_code": 402, "json": {"message": "no error object"}}, False),
])
def test_failures_say_whether_the_charge_may_have_happened(
        gateway: StripeGateway, requests_mock: rm.Mocker, kwargs: dict[str, Any],
        unknown: bool) -> None:
    requests_mock.post(URL, **kwargs)
    with pytest.raises(GatewayError) as raised:
        charge(gateway)
    assert isinstance(raised.value, GatewayOutcomeUnknown) is unknown


FAILURES: list[dict[str, Any]] = [
    {"status_code": 402, "json": card_error("card_declined", "insufficient_funds")},
    {"status_code": 400, "json": error_body("invalid_request_error", "parameter_invalid")},
    {"status_code": 409, "json": error_body("idempotency_error")},
    {"status_code": 500, "json": error_body("api_error")},
    {"status_code": 502, "text": f"<html>proxy saw card {NUMBER} cvc {CVC}</html>"},
    {"json": intent("processing")},
    {"exc": requests.ReadTimeout(f"read timed out: card[number]={NUMBER}&cvc={CVC}")},
    {"exc": requests.ConnectTimeout(f"connect timed out: card[number]={NUMBER}")},
    {"exc": requests.ConnectionError(f"reset: payment_method_data[card][cvc]={CVC}")},
]


@pytest.mark.parametrize("kwargs", FAILURES)
def test_no_card_digits_in_any_failure_or_log_record(
        gateway: StripeGateway, requests_mock: rm.Mocker, caplog: pytest.LogCaptureFixture,
        kwargs: dict[str, Any]) -> None:
    requests_mock.post(URL, **kwargs)
    texts: list[str] = []
    with caplog.at_level(logging.DEBUG):
        try:
            result = charge(gateway)
            texts.append(repr(result))
        except GatewayError as error:
            texts += [str(error), repr(error), repr(error.args)]
            # from None: the requests exception (and its request) never shows in a traceback.
            assert error.__cause__ is None
            assert error.__context__ is None or error.__suppress_context__
    texts += [record.getMessage() for record in caplog.records]
    assert all(clean(text) for text in texts), texts


@pytest.mark.parametrize(("card", "field"), [
    (CardDetails(""), "card number"),
    (CardDetails("4242 4242 4242 4242", "1230", CVC, ZIP), "card number"),
    (CardDetails(NUMBER, "1330", CVC, ZIP), "expiry date"),
    (CardDetails(NUMBER, "12/30", CVC, ZIP), "expiry date"),
    (CardDetails(NUMBER, "1230", "", ZIP), "security code"),
    (CardDetails(NUMBER, "1230", "98765", ZIP), "security code"),
    (CardDetails(NUMBER, "1230", CVC, ""), "billing ZIP code"),
])
def test_a_malformed_keyed_card_is_refused_before_sending(
        gateway: StripeGateway, requests_mock: rm.Mocker, card: CardDetails,
        field: str) -> None:
    with pytest.raises(GatewayError, match=f"{field} is missing or malformed") as raised:
        charge(gateway, card)
    assert clean(str(raised.value)) and "98765" not in str(raised.value)
    assert not requests_mock.called


@pytest.mark.parametrize(("amount", "key"), [(0, IDEM), (-5, IDEM), (100, ""), (100, "k" * 256)])
def test_bad_amounts_and_keys_are_refused_before_sending(
        gateway: StripeGateway, requests_mock: rm.Mocker, amount: int, key: str) -> None:
    with pytest.raises(GatewayError):
        gateway.charge_card(CARD, amount, key, DESCRIPTION)
    with pytest.raises(GatewayError):
        gateway.charge_saved("card", PM, amount, key, DESCRIPTION)
    assert not requests_mock.called


def test_a_255_character_key_is_accepted(gateway: StripeGateway,
                                         requests_mock: rm.Mocker) -> None:
    requests_mock.post(URL, json=intent())
    assert charge(gateway, key="k" * 255).approved


# --- cards on file and <Pay> tokens ------------------------------------------------------


SAVED_FORM = {"amount": "4550", "currency": "usd", "confirm": "true", "off_session": "true",
              "payment_method_types[0]": "card", "payment_method": PM,
              "description": DESCRIPTION, "metadata[idempotency_key]": IDEM, "customer": CUS}


def test_a_card_on_file_is_charged_off_session_with_its_customer(
        gateway: StripeGateway, requests_mock: rm.Mocker) -> None:
    requests_mock.post(URL, json=intent(customer=CUS))
    result = charge_saved(gateway, f"{CUS}:{PM}")
    [sent] = requests_mock.request_history  # nothing asked first
    assert form_of(sent) == SAVED_FORM and sent.timeout == (5, 10)
    assert sent.headers["Idempotency-Key"] == IDEM
    assert result.approved and result.reusable == f"{CUS}:{PM}"  # already as it would be kept


def test_a_bare_payment_method_is_charged_with_the_customer_it_has(
        gateway: StripeGateway, requests_mock: rm.Mocker) -> None:
    requests_mock.get(METHOD, json=payment_method(owner=CUS))
    requests_mock.post(URL, json=intent(customer=CUS))
    assert charge_saved(gateway, PM).approved
    read, sent = requests_mock.request_history
    assert (read.method, read.url, read.timeout) == ("GET", METHOD, SHORT)
    assert form_of(sent) == SAVED_FORM  # never attached again


def test_a_bare_payment_method_of_nobody_is_attached_at_its_first_charge(
        gateway: StripeGateway, requests_mock: rm.Mocker) -> None:
    # Stripe charges a PaymentMethod attached to no Customer only once.
    requests_mock.get(METHOD, json=payment_method(owner=None))
    requests_mock.post(CUSTOMERS, json=customer())
    requests_mock.post(ATTACH, json=payment_method())
    requests_mock.post(URL, json=intent(customer=CUS))
    assert charge_saved(gateway, PM).approved
    read, made, attached, sent = requests_mock.request_history
    assert [r.timeout for r in (read, made, attached)] == [SHORT] * 3
    assert made.headers["Idempotency-Key"] == f"attach-customer-{PM}"
    assert (attached.url, form_of(attached)) == (ATTACH, {"customer": CUS})
    assert attached.headers["Idempotency-Key"] == f"attach-{PM}"
    assert form_of(sent) == SAVED_FORM and sent.headers["Idempotency-Key"] == IDEM


def test_a_test_payment_method_is_charged_as_the_copy_stripe_attached(
        gateway: StripeGateway, requests_mock: rm.Mocker) -> None:
    # Attaching pm_card_visa attaches a copy of it with an id of its own.
    requests_mock.get(f"{API}/v1/payment_methods/pm_card_visa",
                      json={**payment_method(owner=None), "id": "pm_card_visa"})
    requests_mock.post(CUSTOMERS, json=customer())
    requests_mock.post(f"{API}/v1/payment_methods/pm_card_visa/attach", json=payment_method())
    requests_mock.post(URL, json=intent(customer=CUS))
    assert charge_saved(gateway, "pm_card_visa").approved
    assert form_of(last(requests_mock))["payment_method"] == PM


def test_a_card_declined_as_it_is_attached_is_a_decline(gateway: StripeGateway,
                                                        requests_mock: rm.Mocker) -> None:
    requests_mock.get(METHOD, json=payment_method(owner=None))
    requests_mock.post(CUSTOMERS, json=customer())
    requests_mock.post(ATTACH, status_code=402,
                       json=card_error("card_declined", "insufficient_funds"))
    charged = requests_mock.post(URL, json=intent())
    result = charge_saved(gateway, PM)
    assert (result.approved, result.decline_reason) == (False, DeclineReason.INSUFFICIENT_FUNDS)
    assert not charged.called


@pytest.mark.parametrize(("read", "customers", "attach"), [
    ({"exc": requests.ReadTimeout}, None, None),
    ({"status_code": 500, "json": error_body("api_error")}, None, None),
    ({"status_code": 404, "json": error_body("invalid_request_error", "resource_missing")},
     None, None),
    ({"json": {**payment_method(owner=None), "type": "us_bank_account"}}, None, None),
    ({"json": payment_method(owner=None)}, {"exc": requests.ReadTimeout}, None),
    ({"json": payment_method(owner=None)}, {"json": customer()},
     {"status_code": 503, "json": {"message": "Service Unavailable"}}),
])
def test_nothing_is_charged_when_the_card_cannot_be_read_or_attached_first(
        gateway: StripeGateway, requests_mock: rm.Mocker, read: dict[str, Any],
        customers: dict[str, Any] | None, attach: dict[str, Any] | None) -> None:
    """Each of these failed before the PaymentIntent was sent: a refusal, never a doubt."""
    requests_mock.get(METHOD, **read)
    requests_mock.post(CUSTOMERS, **(customers or {"json": customer()}))
    requests_mock.post(ATTACH, **(attach or {"json": payment_method()}))
    charged = requests_mock.post(URL, json=intent())
    with pytest.raises(GatewayError) as raised:
        charge_saved(gateway, PM)
    assert type(raised.value) is GatewayError and clean(str(raised.value))
    assert not charged.called


@pytest.mark.parametrize(("kind", "token", "message"), [
    ("card", CUS, "not a charge instruction; set tokenType=payment-method"),
    ("card", "sbx-approve-0011", "not a Stripe card token"),
    ("card", NUMBER, "not a Stripe card token"),
    ("card", f"{PM}:{CUS}", "not a Stripe card token"),
    ("card", "", "not a Stripe card token"),
    ("bank", "ba_123", "not supported with Stripe"),
    ("wire", PM, "unknown payment method kind"),
])
def test_charge_saved_refuses_what_names_no_card(gateway: StripeGateway,
                                                 requests_mock: rm.Mocker, kind: str,
                                                 token: str, message: str) -> None:
    with pytest.raises(GatewayError, match=message) as raised:
        gateway.charge_saved(kind, token, 4550, IDEM, DESCRIPTION)
    assert clean(str(raised.value))
    assert not requests_mock.called


@pytest.mark.parametrize(("token", "owner", "kept"), [
    (f"{CUS}:{PM}", CUS, f"{CUS}:{PM}"),  # PaymentToken with its ProfileId
    (PM, CUS, f"{CUS}:{PM}"),  # without ProfileId: its own Customer
    (PM, None, PM),  # attached to nobody: kept bare, attached at its first charge
])
def test_accept_token_reads_the_payment_method_once_and_keeps_its_own_customer(
        gateway: StripeGateway, requests_mock: rm.Mocker, token: str, owner: str | None,
        kept: str) -> None:
    requests_mock.get(METHOD, json=payment_method(owner=owner))
    assert gateway.accept_token("card", token) == kept
    [read] = requests_mock.request_history  # one short request: it runs in a call's turn
    assert (read.method, read.url, read.timeout) == ("GET", METHOD, SHORT)


@pytest.mark.parametrize(("token", "owner", "message"), [
    (f"cus_Other:{PM}", CUS, "not attached to Customer cus_Other"),
    (f"{CUS}:{PM}", None, f"not attached to Customer {CUS}"),
])
def test_accept_token_refuses_a_profile_id_that_is_not_the_methods_customer(
        gateway: StripeGateway, requests_mock: rm.Mocker, token: str, owner: str | None,
        message: str) -> None:
    requests_mock.get(METHOD, json=payment_method(owner=owner))
    with pytest.raises(GatewayError, match=message):
        gateway.accept_token("card", token)
    assert len(requests_mock.request_history) == 1  # nothing attached


@pytest.mark.parametrize("answer", [
    {"status_code": 404, "json": error_body("invalid_request_error", "resource_missing")},
    {"exc": requests.ReadTimeout},
    {"json": {**payment_method(owner=None), "type": "us_bank_account"}},
])
def test_accept_token_refuses_a_method_stripe_cannot_charge_as_a_card(
        gateway: StripeGateway, requests_mock: rm.Mocker, answer: dict[str, Any]) -> None:
    requests_mock.get(METHOD, **answer)
    with pytest.raises(GatewayError) as raised:
        gateway.accept_token("card", PM)
    assert clean(str(raised.value))


@pytest.mark.parametrize(("token", "message"), [
    (CUS, "a Stripe Customer without a PaymentMethod is not a charge instruction; "
          "set tokenType=payment-method"),
    ("sbx-approve-1", "not a Stripe card token"),
    ("tok_visa", "not a Stripe card token"),
    (NUMBER, "not a Stripe card token"),
    ("pm_x y", "not a Stripe card token"),
])
def test_accept_token_refuses_what_is_no_charge_instruction(gateway: StripeGateway,
                                                            token: str, message: str) -> None:
    with pytest.raises(GatewayError, match=message) as raised:
        gateway.accept_token("card", token)
    assert clean(str(raised.value))


def test_parse_token_and_decline_reason_are_importable_from_the_gateway() -> None:
    assert parse_token(PM) == (None, PM)
    assert parse_token(CUS) == (CUS, None)
    assert parse_token(f"{CUS}:{PM}") == (CUS, PM)
    assert decline_reason({"code": "card_declined", "decline_code": "insufficient_funds"}) \
        is DeclineReason.INSUFFICIENT_FUNDS


# --- keeping a card on file --------------------------------------------------------------


def test_keep_makes_a_customer_and_attaches_the_card(gateway: StripeGateway,
                                                     requests_mock: rm.Mocker) -> None:
    requests_mock.post(CUSTOMERS, json=customer())
    requests_mock.post(ATTACH, json=payment_method())
    assert gateway.keep("card", PM) == f"{CUS}:{PM}"
    made, attached = requests_mock.request_history
    assert (made.method, made.url) == ("POST", CUSTOMERS)
    assert form_of(made) == {"description": "Card kept on file by the phone payment line"}
    assert made.headers["Idempotency-Key"] == f"attach-customer-{PM}"
    assert (attached.method, attached.url) == ("POST", ATTACH)
    assert form_of(attached) == {"customer": CUS}
    assert attached.headers["Idempotency-Key"] == f"attach-{PM}"
    # It runs in the turn where the caller asks to keep the card: 12 s at worst, under 15.
    assert made.timeout == attached.timeout == SHORT
    assert attached.headers["Authorization"] == f"Bearer {KEY}"


def test_keeping_the_same_card_twice_sends_the_same_requests(gateway: StripeGateway,
                                                             requests_mock: rm.Mocker) -> None:
    # Within Stripe's 24 hours the keys replay the first Customer instead of making another.
    requests_mock.post(CUSTOMERS, json=customer())
    requests_mock.post(ATTACH, json=payment_method())
    gateway.keep("card", PM)
    gateway.keep("card", PM)
    first, second = requests_mock.request_history[::2], requests_mock.request_history[1::2]
    assert [r.headers["Idempotency-Key"] for r in first] == [f"attach-customer-{PM}"] * 2
    assert [r.headers["Idempotency-Key"] for r in second] == [f"attach-{PM}"] * 2


def test_a_card_already_on_file_is_kept_as_it_is(gateway: StripeGateway,
                                                 requests_mock: rm.Mocker) -> None:
    assert gateway.keep("card", f"{CUS}:{PM}") == f"{CUS}:{PM}"
    assert not requests_mock.called


@pytest.mark.parametrize(("customers", "attach", "error", "message"), [
    ({"status_code": 500, "json": error_body("api_error")}, None, GatewayOutcomeUnknown,
     "may have been kept"),
    ({"exc": requests.ReadTimeout}, None, GatewayOutcomeUnknown, "may have been kept"),
    ({"exc": requests.ConnectTimeout}, None, GatewayError, "nothing was sent"),
    ({"status_code": 401, "json": error_body("invalid_request_error")}, None, GatewayError,
     "rejected the API key"),
    ({"json": customer()}, {"status_code": 400, "json": error_body(
        "invalid_request_error", "resource_missing")}, GatewayError, "HTTP 400"),
    ({"json": customer()}, {"status_code": 402, "json": card_error("card_declined")},
     GatewayError, "declined the card"),
    ({"json": customer()}, {"status_code": 503, "json": error_body("api_error")},
     GatewayOutcomeUnknown, "may have been kept"),
    ({"json": customer()}, {"text": "<html>proxy</html>"}, GatewayOutcomeUnknown,
     "not a JSON object"),
    ({"json": customer()}, {"json": payment_method(owner="cus_Other")}, GatewayError,
     "did not attach"),
])
def test_keep_maps_failures_like_a_charge(gateway: StripeGateway, requests_mock: rm.Mocker,
                                          customers: dict[str, Any],
                                          attach: dict[str, Any] | None,
                                          error: type[GatewayError], message: str) -> None:
    requests_mock.post(CUSTOMERS, **customers)
    attached = requests_mock.post(ATTACH, **(attach or {"json": payment_method()}))
    with pytest.raises(error, match=message) as raised:
        gateway.keep("card", PM)
    assert type(raised.value) is error and clean(str(raised.value))
    assert attached.called is (attach is not None)  # no attach without a Customer


@pytest.mark.parametrize(("kind", "reusable", "message"), [
    ("card", CUS, "not a charge instruction"),
    ("card", "", "not a Stripe card token"),
    ("card", "pm_1/../../customers", "not a Stripe card token"),  # never into the URL path
    ("bank", "ba_123", "not supported with Stripe"),
])
def test_keep_refuses_what_it_cannot_keep(gateway: StripeGateway, requests_mock: rm.Mocker,
                                          kind: str, reusable: str, message: str) -> None:
    with pytest.raises(GatewayError, match=message):
        gateway.keep(kind, reusable)
    assert not requests_mock.called


def test_save_card_sets_the_card_up_for_a_new_customer_as_moto(
        gateway: StripeGateway, requests_mock: rm.Mocker) -> None:
    requests_mock.post(CUSTOMERS, json=customer())
    requests_mock.post(SETUP, json=setup_intent())
    assert gateway.save_card(CARD) == f"{CUS}:{PM}"
    made, setup = requests_mock.request_history
    assert (made.url, setup.url) == (CUSTOMERS, SETUP)
    assert form_of(setup) == {
        "confirm": "true", "customer": CUS, "usage": "off_session",
        "payment_method_types[0]": "card",
        "payment_method_data[type]": "card",
        "payment_method_data[card][number]": NUMBER,
        "payment_method_data[card][exp_month]": "12",
        "payment_method_data[card][exp_year]": "2030",
        "payment_method_data[card][cvc]": CVC,
        "payment_method_data[billing_details][address][postal_code]": ZIP,
        "payment_method_options[card][moto]": "true"}
    assert made.headers["Idempotency-Key"].startswith("save-customer-")
    assert setup.headers["Idempotency-Key"].startswith("save-setup-")
    assert made.timeout == setup.timeout == SHORT  # in a call's turn: 12 s at worst


def test_each_save_draws_fresh_keys(gateway: StripeGateway, requests_mock: rm.Mocker) -> None:
    requests_mock.post(CUSTOMERS, json=customer())
    requests_mock.post(SETUP, json=setup_intent())
    gateway.save_card(CARD)
    gateway.save_card(CARD)
    keys = [request.headers["Idempotency-Key"] for request in requests_mock.request_history]
    assert len(set(keys)) == 4


@pytest.mark.parametrize(("setup", "error", "message"), [
    ({"status_code": 402, "json": card_error("card_declined", "insufficient_funds",
                                             attached="setup_intent")},
     GatewayError, "declined the card \\(insufficient_funds"),
    ({"json": setup_intent("requires_payment_method", payment_method=None, last_setup_error={
        "type": "card_error", "code": "expired_card"})}, GatewayError, "expired_card"),
    ({"json": setup_intent("requires_action")}, GatewayError, "status requires_action"),
    ({"status_code": 500, "json": error_body("api_error")}, GatewayOutcomeUnknown,
     "may have been kept"),
    ({"exc": requests.ConnectionError(f"reset while sending {NUMBER}")},
     GatewayOutcomeUnknown, "could not reach Stripe"),
])
def test_save_card_failures_say_why_without_digits(
        gateway: StripeGateway, requests_mock: rm.Mocker, caplog: pytest.LogCaptureFixture,
        setup: dict[str, Any], error: type[GatewayError], message: str) -> None:
    requests_mock.post(CUSTOMERS, json=customer())
    requests_mock.post(SETUP, **setup)
    with caplog.at_level(logging.DEBUG), pytest.raises(error, match=message) as raised:
        gateway.save_card(CARD)
    assert type(raised.value) is error
    texts = [str(raised.value), repr(raised.value)] + [r.getMessage() for r in caplog.records]
    assert all(clean(text) for text in texts), texts


def test_save_card_refuses_a_malformed_card_before_any_request(
        gateway: StripeGateway, requests_mock: rm.Mocker) -> None:
    with pytest.raises(GatewayError, match="security code is missing or malformed"):
        gateway.save_card(CardDetails(NUMBER, "1230", "", ZIP))
    assert not requests_mock.called  # not even an empty Customer


# --- bank accounts -----------------------------------------------------------------------


def test_bank_methods_are_refused_without_a_request(gateway: StripeGateway,
                                                    requests_mock: rm.Mocker) -> None:
    bank = BankDetails("110000000", "000123456789", "checking")
    calls = [lambda: gateway.debit_bank(bank, 4550, IDEM, DESCRIPTION),
             lambda: gateway.save_bank(bank),
             lambda: gateway.settlement("py_123"),
             lambda: gateway.charge_saved("bank", "ba_123", 4550, IDEM, DESCRIPTION),
             lambda: gateway.keep("bank", "ba_123")]
    for call in calls:
        with pytest.raises(GatewayError, match="not supported with Stripe") as raised:
            call()
        assert "000123456789" not in str(raised.value)
    assert not requests_mock.called


# --- configuration -----------------------------------------------------------------------


@pytest.mark.parametrize(("config", "message"), [
    ({}, "IVR_STRIPE_API_KEY must be set"),
    ({"IVR_STRIPE_API_KEY": "  "}, "IVR_STRIPE_API_KEY must be set"),
    ({"IVR_STRIPE_API_KEY": "pk_test_abc"}, "is a publishable key, not a secret one"),
    ({"IVR_STRIPE_API_KEY": KEY, "IVR_STRIPE_API_BASE": "api.stripe.com"}, "http\\(s\\) URL"),
])
def test_from_config_errors(config: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        StripeGateway.from_settings(settings_with(config))


def test_from_config_defaults_and_repr_hide_the_key() -> None:
    gateway = StripeGateway.from_settings(settings_with({"IVR_STRIPE_API_KEY": KEY}))
    assert gateway.api_base == API
    assert KEY not in repr(gateway)
    assert gateway.name == "stripe"
    assert gateway.supports_bank is False and gateway.supports_keypad_cards is True


def test_custom_api_base_for_stripe_mock(requests_mock: rm.Mocker) -> None:
    gateway = StripeGateway.from_settings(settings_with({
        "IVR_STRIPE_API_KEY": "sk_test_123", "IVR_STRIPE_API_BASE": "http://localhost:12111/"}))
    requests_mock.post("http://localhost:12111/v1/payment_intents", json=intent())
    assert charge(gateway).approved
    assert last(requests_mock).url == "http://localhost:12111/v1/payment_intents"


@pytest.mark.parametrize("capture", ["gather", "pay"])
def test_make_gateway_builds_it_for_either_capture(capture: str) -> None:
    gateway = make_gateway(settings_with({"IVR_PAYMENT_GATEWAY": "stripe",
                                          "IVR_STRIPE_API_KEY": KEY,
                                          "IVR_CARD_CAPTURE": capture}))
    assert isinstance(gateway, StripeGateway)


def test_make_gateway_still_refuses_keypad_capture_to_a_gateway_without_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(StripeGateway, "supports_keypad_cards", False)
    settings = {"IVR_PAYMENT_GATEWAY": "stripe", "IVR_STRIPE_API_KEY": KEY}
    with pytest.raises(ConfigError, match=r"takes no keyed cards.*IVR_CARD_CAPTURE=pay"):
        make_gateway(settings_with({**settings, "IVR_CARD_CAPTURE": "gather"}))
    assert make_gateway(settings_with({**settings, "IVR_CARD_CAPTURE": "pay"})).name == "stripe"
