"""The Stripe gateway against mocked Stripe answers shaped like Stripe's API reference."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import pytest
import requests
import requests_mock as rm

from flows.ports import BankToken, CardToken, DeclineReason
from ivr.errors import ConfigError, GatewayError
from ivr.payments.gateways.stripe import STRIPE_API_VERSION, StripeGateway, parse_token
from ivr.ports.database import make_gateway
from tests.app_helpers import settings_with

KEY = "sk_test_51SecretKeyNeverLogged"
URL = "https://api.stripe.com/v1/payment_intents"
PM = "pm_1QxYzSecretPaymentMethod"
CUS = "cus_QxYzSecretCustomer"
IDEM = "pay-7f3e2d1c-0001"
DESCRIPTION = "Account 100200300 (phone payment)"


@pytest.fixture
def gateway() -> StripeGateway:
    """A gateway with a test key on Stripe's real base URL (requests are mocked)."""
    return StripeGateway.from_settings(settings_with({"IVR_STRIPE_API_KEY": KEY}))


def card(token: str = f"{CUS}:{PM}") -> CardToken:
    """A saved card as the database holds it."""
    return CardToken(token=token, brand="Visa", last4="4242")


def charge(gateway: StripeGateway, token: str = f"{CUS}:{PM}", key: str = IDEM) -> Any:
    """Charge $45.50 the way payment_ports and scheduled runs do."""
    return gateway.charge(card(token), "1228", "", 4550, key, DESCRIPTION)


def intent(status: str = "succeeded", **extra: Any) -> dict[str, Any]:
    """A PaymentIntent object as Stripe returns it (the fields we read, and a few more)."""
    return {"id": "pi_3MtwBwLkdIwHu7ix28a3tqPa", "object": "payment_intent", "amount": 4550,
            "currency": "usd", "status": status, "customer": CUS, "payment_method": PM,
            "description": DESCRIPTION, "metadata": {"idempotency_key": IDEM},
            "last_payment_error": None, **extra}


def card_error(code: str, decline_code: str | None = None) -> dict[str, Any]:
    """A 402 body like Stripe's: the error object with the failed PaymentIntent inside."""
    error = {"type": "card_error", "code": code, "message": "Your card was declined.",
             "doc_url": f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}",
             "charge": "ch_3MtwBwLkdIwHu7ix0snN0B15",
             "payment_intent": intent("requires_payment_method"),
             "request_log_url": "https://dashboard.stripe.com/test/logs/req_abc"}
    if decline_code:
        error["decline_code"] = decline_code
    return {"error": error}


def last(requests_mock: rm.Mocker) -> Any:
    """The last request the gateway sent."""
    assert requests_mock.last_request is not None
    return requests_mock.last_request


def sent_form(requests_mock: rm.Mocker) -> dict[str, str]:
    """The form fields of the last request, nested keys as written on the wire."""
    return dict(parse_qsl(last(requests_mock).text, strict_parsing=True))


def test_charge_sends_the_documented_request(gateway: StripeGateway,
                                             requests_mock: rm.Mocker) -> None:
    requests_mock.post(URL, json=intent())
    charge(gateway)
    sent = last(requests_mock)
    assert sent.method == "POST" and sent.url == URL
    assert sent.headers["Authorization"] == f"Bearer {KEY}"
    assert sent.headers["Stripe-Version"] == STRIPE_API_VERSION
    assert sent.headers["Idempotency-Key"] == IDEM
    assert sent.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert sent_form(requests_mock) == {
        "amount": "4550", "currency": "usd", "confirm": "true", "off_session": "true",
        "payment_method_types[0]": "card", "payment_method": PM, "customer": CUS,
        "description": DESCRIPTION, "metadata[idempotency_key]": IDEM}


def test_payment_method_alone_and_customer_alone(gateway: StripeGateway,
                                                 requests_mock: rm.Mocker) -> None:
    requests_mock.post(URL, json=intent())
    charge(gateway, token=PM)
    assert sent_form(requests_mock)["payment_method"] == PM
    assert "customer" not in sent_form(requests_mock)
    charge(gateway, token=CUS)
    assert sent_form(requests_mock)["customer"] == CUS
    assert "payment_method" not in sent_form(requests_mock)


def test_a_retry_sends_the_same_key_and_the_same_parameters(gateway: StripeGateway,
                                                            requests_mock: rm.Mocker) -> None:
    # Stripe replays the first answer only if the parameters match; otherwise idempotency_error.
    requests_mock.post(URL, json=intent())
    charge(gateway)
    charge(gateway)
    first, second = requests_mock.request_history
    assert first.text == second.text
    assert first.headers["Idempotency-Key"] == second.headers["Idempotency-Key"] == IDEM


def test_succeeded_is_approved_with_the_payment_intent_as_reference(
        gateway: StripeGateway, requests_mock: rm.Mocker) -> None:
    requests_mock.post(URL, json=intent())
    result = charge(gateway)
    assert result.approved and not result.pending
    assert result.reference == "pi_3MtwBwLkdIwHu7ix28a3tqPa"
    assert result.decline_reason is None


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
    ("processing_error", None, DeclineReason.PROCESSING_ERROR),
    ("authentication_required", "authentication_required", DeclineReason.DECLINED),
])
def test_card_errors_are_declines_with_a_reason(gateway: StripeGateway,
                                                requests_mock: rm.Mocker, code: str,
                                                decline_code: str | None,
                                                reason: DeclineReason) -> None:
    requests_mock.post(URL, status_code=402, json=card_error(code, decline_code))
    result = charge(gateway)
    assert not result.approved
    assert result.decline_reason is reason
    assert result.reference == "pi_3MtwBwLkdIwHu7ix28a3tqPa"


@pytest.mark.parametrize("status", ["requires_action", "requires_payment_method"])
def test_an_intent_left_needing_the_payer_is_declined(gateway: StripeGateway,
                                                      requests_mock: rm.Mocker,
                                                      status: str) -> None:
    requests_mock.post(URL, json=intent(status, next_action={"type": "use_stripe_sdk"}))
    result = charge(gateway)
    assert not result.approved
    assert result.decline_reason is DeclineReason.DECLINED


def test_last_payment_error_on_a_200_keeps_its_reason(gateway: StripeGateway,
                                                      requests_mock: rm.Mocker) -> None:
    failure = {"type": "card_error", "code": "card_declined", "decline_code": "insufficient_funds"}
    requests_mock.post(URL, json=intent("requires_payment_method", last_payment_error=failure))
    assert charge(gateway).decline_reason is DeclineReason.INSUFFICIENT_FUNDS


def test_processing_is_not_called_a_decline(gateway: StripeGateway,
                                            requests_mock: rm.Mocker) -> None:
    requests_mock.post(URL, json=intent("processing"))
    with pytest.raises(GatewayError, match="status processing"):
        charge(gateway)


def _error_body(kind: str, code: str | None = None) -> dict[str, Any]:
    # Stripe's free-text messages can quote our ids; they must not reach our messages.
    return {"error": {"type": kind, "code": code,
                      "message": f"No such PaymentMethod: '{PM}'; key {KEY}"}}


@pytest.mark.parametrize(("status", "body", "expected"), [
    (400, _error_body("invalid_request_error", "resource_missing"), "HTTP 400"),
    (400, _error_body("idempotency_error"), "idempotency key"),
    (401, _error_body("invalid_request_error"), "rejected the API key"),
    (403, _error_body("invalid_request_error"), "HTTP 403"),
    (404, _error_body("invalid_request_error"), "HTTP 404"),
    (409, _error_body("idempotency_error"), "HTTP 409, .*may have gone through"),
    (429, _error_body("invalid_request_error", "rate_limit"), "HTTP 429"),
    (500, _error_body("api_error"), "may have gone through"),
    (503, _error_body("api_error"), "may have gone through"),
    (402, _error_body("invalid_request_error"), "HTTP 402"),
    # Only a 402 is a decline: a card_error type on any other status is not trusted as one.
    (400, _error_body("card_error", "card_declined"), "HTTP 400"),
])
def test_refusals_raise_without_secrets(gateway: StripeGateway, requests_mock: rm.Mocker,
                                        status: int, body: dict[str, Any], expected: str) -> None:
    requests_mock.post(URL, status_code=status, json=body, headers={"Request-Id": "req_123"})
    with pytest.raises(GatewayError, match=expected) as raised:
        charge(gateway)
    text = str(raised.value)
    assert KEY not in text and "SecretKey" not in text
    assert PM not in text and CUS not in text
    assert "req_123" in text


@pytest.mark.parametrize(("exc", "expected"), [
    (requests.exceptions.ConnectTimeout, "nothing was sent"),
    (requests.exceptions.ReadTimeout, "may have gone through"),
    (requests.exceptions.ConnectionError, "may have gone through"),
])
def test_network_failures_raise(gateway: StripeGateway, requests_mock: rm.Mocker,
                                exc: type[Exception], expected: str) -> None:
    requests_mock.post(URL, exc=exc(f"boom {URL} Bearer {KEY}"))
    with pytest.raises(GatewayError, match=expected) as raised:
        charge(gateway)
    assert KEY not in str(raised.value)
    assert raised.value.__cause__ is None and raised.value.__suppress_context__


@pytest.mark.parametrize(("status", "text"), [
    (200, "<html>upstream error</html>"), (502, "Bad Gateway"), (200, "[1, 2]"),
    (200, '{"object": "charge", "id": "ch_1"}'), (402, '{"message": "no error object"}'),
])
def test_malformed_answers_raise(gateway: StripeGateway, requests_mock: rm.Mocker,
                                 status: int, text: str) -> None:
    requests_mock.post(URL, status_code=status, text=text)
    with pytest.raises(GatewayError):
        charge(gateway)


@pytest.mark.parametrize("token", ["sbx-approve-0011", "4242424242424242", "pm_", "tok_visa",
                                   f"{PM}:{CUS}", f"{CUS}:", ""])
def test_charge_refuses_a_token_that_is_not_stripes(gateway: StripeGateway,
                                                    requests_mock: rm.Mocker,
                                                    token: str) -> None:
    with pytest.raises(GatewayError, match="not a Stripe card token") as raised:
        charge(gateway, token=token)
    assert "4242424242424242" not in str(raised.value)
    assert not requests_mock.called


@pytest.mark.parametrize(("amount", "key"), [(0, IDEM), (-5, IDEM), (100, ""), (100, "k" * 256)])
def test_charge_refuses_bad_amounts_and_keys_before_sending(
        gateway: StripeGateway, requests_mock: rm.Mocker, amount: int, key: str) -> None:
    with pytest.raises(GatewayError):
        gateway.charge(card(), "1228", "", amount, key, DESCRIPTION)
    assert not requests_mock.called


def test_a_255_character_key_is_accepted(gateway: StripeGateway,
                                         requests_mock: rm.Mocker) -> None:
    requests_mock.post(URL, json=intent())
    assert charge(gateway, key="k" * 255).approved


def test_custom_api_base_for_stripe_mock(requests_mock: rm.Mocker) -> None:
    gateway = StripeGateway.from_settings(settings_with({
        "IVR_STRIPE_API_KEY": "sk_test_123", "IVR_STRIPE_API_BASE": "http://localhost:12111/"}))
    requests_mock.post("http://localhost:12111/v1/payment_intents", json=intent())
    assert charge(gateway).approved
    assert last(requests_mock).url == "http://localhost:12111/v1/payment_intents"


@pytest.mark.parametrize(("config", "message"), [
    ({}, "IVR_STRIPE_API_KEY must be set"),
    ({"IVR_STRIPE_API_KEY": "  "}, "IVR_STRIPE_API_KEY must be set"),
    ({"IVR_STRIPE_API_KEY": "pk_test_abc"}, "not a publishable key"),
    ({"IVR_STRIPE_API_KEY": KEY, "IVR_STRIPE_API_BASE": "api.stripe.com"}, "http\\(s\\) URL"),
])
def test_from_config_errors(config: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        StripeGateway.from_settings(settings_with(config))


def test_from_config_defaults_and_repr_hide_the_key() -> None:
    gateway = StripeGateway.from_settings(settings_with({"IVR_STRIPE_API_KEY": KEY}))
    assert gateway.api_base == "https://api.stripe.com"
    assert KEY not in repr(gateway)
    assert gateway.name == "stripe"
    assert gateway.supports_bank is False and gateway.supports_keypad_cards is False


def test_make_gateway_builds_it_for_pay_capture() -> None:
    gateway = make_gateway(settings_with({"IVR_PAYMENT_GATEWAY": "stripe",
                                          "IVR_STRIPE_API_KEY": KEY, "IVR_CARD_CAPTURE": "pay"}))
    assert isinstance(gateway, StripeGateway)


def test_keypad_vaulting_never_sends_card_digits(gateway: StripeGateway,
                                                 requests_mock: rm.Mocker) -> None:
    # An unregistered URL would raise inside requests; call_count proves nothing was tried.
    with pytest.raises(GatewayError, match="IVR_CARD_CAPTURE=pay") as raised:
        gateway.vault_card("4242424242424242")
    assert "4242424242424242" not in str(raised.value)
    with pytest.raises(GatewayError, match="IVR_CARD_CAPTURE=pay") as raised:
        gateway.vault_security_code(card("sbx-approve-1"), "123")
    assert "123" not in str(raised.value)
    assert requests_mock.call_count == 0


def test_bank_methods_are_refused_without_a_request(gateway: StripeGateway,
                                                    requests_mock: rm.Mocker) -> None:
    bank = BankToken("ba_123", "checking", "6789")
    calls = [lambda: gateway.vault_bank_account("110000000", "000123456789", "checking"),
             lambda: gateway.debit_bank(bank, 4550, IDEM, DESCRIPTION),
             lambda: gateway.settlement("py_123")]
    for call in calls:
        with pytest.raises(GatewayError, match="not supported with Stripe"):
            call()
    assert requests_mock.call_count == 0


@pytest.mark.parametrize("token", [PM, CUS, f"{CUS}:{PM}", "pm_card_visa"])
def test_save_card_keeps_a_pay_token_unchanged(gateway: StripeGateway,
                                               requests_mock: rm.Mocker, token: str) -> None:
    saved = gateway.save_card(card(token), "1228")
    assert saved == card(token)
    assert requests_mock.call_count == 0


@pytest.mark.parametrize("token", ["sbx-approve-1", "tok_visa", "4242424242424242", "pm_x y"])
def test_save_card_refuses_other_tokens(gateway: StripeGateway, token: str) -> None:
    with pytest.raises(GatewayError, match="not a Stripe card token"):
        gateway.save_card(card(token), "1228")


def test_parse_token() -> None:
    assert parse_token(PM) == (None, PM)
    assert parse_token(CUS) == (CUS, None)
    assert parse_token(f"{CUS}:{PM}") == (CUS, PM)


@pytest.mark.parametrize(("kwargs", "unknown"), [
    ({"status_code": 500, "json": {"error": {"type": "api_error"}}}, True),
    ({"status_code": 502, "text": "<html>Bad gateway</html>"}, True),
    ({"exc": requests.ReadTimeout}, True),
    ({"exc": requests.ConnectionError}, True),
    ({"status_code": 200, "json": {"object": "payment_intent", "id": "pi_1",
                                   "status": "processing"}}, True),
    ({"status_code": 409, "json": {"error": {"type": "idempotency_error"}}}, True),
    ({"exc": requests.ConnectTimeout}, False),
    ({"status_code": 429, "json": {"error": {"type": "rate_limit_error"}}}, False),
    ({"status_code": 401, "json": {"error": {"type": "invalid_request_error"}}}, False),
])
def test_failures_say_whether_the_charge_may_have_happened(
        requests_mock: Any, kwargs: dict[str, Any], unknown: bool) -> None:
    from ivr.errors import GatewayOutcomeUnknown

    requests_mock.post("https://api.stripe.com/v1/payment_intents", **kwargs)
    gateway = StripeGateway("sk_test_key")
    with pytest.raises(GatewayError) as raised:
        gateway.charge(CardToken("pm_1", "Visa", "4242"), "1230", "", 1000, "CA1-1", "x")
    assert isinstance(raised.value, GatewayOutcomeUnknown) is unknown


SEARCH = "https://api.stripe.com/v1/payment_intents/search"


def search_result(*intents: dict[str, Any]) -> dict[str, Any]:
    """A search answer shaped like Stripe's: a search_result list."""
    return {"object": "search_result", "url": "/v1/payment_intents/search",
            "has_more": False, "data": list(intents)}


def test_find_charge_searches_the_key_in_metadata_and_never_posts(
        gateway: StripeGateway, requests_mock: rm.Mocker) -> None:
    requests_mock.get(SEARCH, json=search_result(intent()))
    found = gateway.find_charge(IDEM)
    assert found is not None and found.approved and found.reference == intent()["id"]
    request = last(requests_mock)
    assert request.method == "GET" and request.qs["query"] == [
        f"metadata['idempotency_key']:'{IDEM}'"]
    assert request.headers["Authorization"] == f"Bearer {KEY}"
    assert request.headers["Stripe-Version"] == STRIPE_API_VERSION


def test_find_charge_with_no_match_is_nothing_charged(gateway: StripeGateway,
                                                      requests_mock: rm.Mocker) -> None:
    requests_mock.get(SEARCH, json=search_result())
    assert gateway.find_charge(IDEM) is None


def test_find_charge_reads_declines_and_prefers_a_success(gateway: StripeGateway,
                                                          requests_mock: rm.Mocker) -> None:
    failed = intent("requires_payment_method",
                    last_payment_error={"type": "card_error", "code": "card_declined",
                                        "decline_code": "insufficient_funds"})
    requests_mock.get(SEARCH, json=search_result(failed))
    declined = gateway.find_charge(IDEM)
    assert declined is not None and declined.decline_reason is DeclineReason.INSUFFICIENT_FUNDS
    requests_mock.get(SEARCH, json=search_result(failed, intent(id="pi_ok")))
    approved = gateway.find_charge(IDEM)
    assert approved is not None and (approved.approved, approved.reference) == (True, "pi_ok")


def test_find_charge_of_an_intent_still_processing_is_unknown(
        gateway: StripeGateway, requests_mock: rm.Mocker) -> None:
    from ivr.errors import GatewayOutcomeUnknown

    requests_mock.get(SEARCH, json=search_result(intent("processing")))
    with pytest.raises(GatewayOutcomeUnknown):
        gateway.find_charge(IDEM)


@pytest.mark.parametrize("kwargs", [
    {"status_code": 500, "json": {"error": {"type": "api_error"}}},
    {"status_code": 400, "json": {"error": {"type": "invalid_request_error"}}},
    {"status_code": 200, "text": "<html>proxy</html>"},
    {"exc": requests.ConnectionError},
])
def test_find_charge_that_cannot_ask_says_so(gateway: StripeGateway, requests_mock: rm.Mocker,
                                             kwargs: dict[str, Any]) -> None:
    requests_mock.get(SEARCH, **kwargs)
    with pytest.raises(GatewayError) as raised:
        gateway.find_charge(IDEM)
    assert KEY not in str(raised.value)


def test_find_charge_quotes_the_key(gateway: StripeGateway, requests_mock: rm.Mocker) -> None:
    requests_mock.get(SEARCH, json=search_result())
    gateway.find_charge("it's\\odd")
    assert last(requests_mock).qs["query"] == ["metadata['idempotency_key']:'it\\'s\\\\odd'"]
