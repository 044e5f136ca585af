"""Stripe's find_charge against mocked answers shaped like Stripe's API reference: the List
PaymentIntents API (``GET /v1/payment_intents``: ``created[gte]``, ``limit`` up to 100,
``starting_after``; a ``list`` object with ``has_more`` and ``data``, newest first), and the
search (``GET /v1/payment_intents/search``: a ``search_result``) only past the list's bound.

Stripe's search guide ("Data freshness"): "Don't use search for read-after-write flows ...
For read-after-write flows that require immediate data availability, use the various list
APIs ... These APIs aren't subject to the availability delay".
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
import requests_mock as rm

from flows.ports import DeclineReason
from ivr.errors import ChargeOutOfSight, GatewayError, GatewayOutcomeUnknown
from ivr.payments.gateways.stripe import STRIPE_API_VERSION, StripeGateway
from ivr.payments.gateways.stripe_lookup import MAX_PAGES, SKEW

SECRET = "sk_test_51LookupKeyNeverLogged"
LIST = "https://api.stripe.com/v1/payment_intents"
SEARCH = f"{LIST}/search"
KEY = "sched-7f3e2d1c-0001"
SENT = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)
PM, CUS = "pm_1QxYzLookupMethod", "cus_QxYzLookupCustomer"


@pytest.fixture
def stripe() -> StripeGateway:
    """The gateway on Stripe's own base URL (every request is mocked)."""
    return StripeGateway(SECRET)


def payment_intent(intent_id: str, key: str = KEY, status: str = "succeeded",
                   **extra: Any) -> dict[str, Any]:
    """A PaymentIntent as Stripe lists it (charged off session, with its Customer)."""
    return {"id": intent_id, "object": "payment_intent", "amount": 5000, "currency": "usd",
            "created": int(SENT.timestamp()) + 1, "customer": CUS, "payment_method": PM,
            "status": status, "metadata": {"idempotency_key": key},
            "last_payment_error": None, "livemode": False, **extra}


def page(*intents: dict[str, Any], more: bool = False) -> dict[str, Any]:
    """One page of the List PaymentIntents API."""
    return {"object": "list", "url": "/v1/payment_intents", "has_more": more,
            "data": list(intents)}


def others(start: int, count: int = 100) -> list[dict[str, Any]]:
    """``count`` intents of other payments (a busy account), numbered from ``start``."""
    return [payment_intent(f"pi_other{n}", key=f"other-{n}") for n in range(start, start + count)]


def sent(requests_mock: rm.Mocker) -> list[tuple[str, str, dict[str, str]]]:
    """Each request: method, path and query (exactly as sent, case kept)."""
    return [(request.method, urlsplit(request.url).path,
             dict(parse_qsl(urlsplit(request.url).query)))
            for request in requests_mock.request_history]


def test_it_lists_from_before_the_payment_and_never_posts(
        stripe: StripeGateway, requests_mock: rm.Mocker) -> None:
    requests_mock.get(LIST, json=page(payment_intent("pi_mine")))
    found = stripe.find_charge(KEY, since=SENT)
    assert found is not None and (found.approved, found.reference) == (True, "pi_mine")
    assert found.reusable == f"{CUS}:{PM}"
    assert sent(requests_mock) == [("GET", "/v1/payment_intents", {
        "limit": "100", "created[gte]": str(int((SENT - SKEW).timestamp()))})]
    request = requests_mock.last_request
    assert request is not None and request.headers["Authorization"] == f"Bearer {SECRET}"
    assert request.headers["Stripe-Version"] == STRIPE_API_VERSION


def test_a_list_read_to_its_end_without_the_key_is_nothing_charged(
        stripe: StripeGateway, requests_mock: rm.Mocker) -> None:
    requests_mock.get(LIST, json=page(*others(1, 3)))
    assert stripe.find_charge(KEY, since=SENT) is None
    assert [path for _, path, _ in sent(requests_mock)] == ["/v1/payment_intents"]  # no search


def test_it_follows_the_pages_after_the_last_id(stripe: StripeGateway,
                                                requests_mock: rm.Mocker) -> None:
    requests_mock.get(LIST, [{"json": page(*others(1), more=True)},
                             {"json": page(*others(101, 5), payment_intent("pi_mine"))}])
    found = stripe.find_charge(KEY, since=SENT)
    assert found is not None and found.reference == "pi_mine"
    [first, second] = [query for _, _, query in sent(requests_mock)]
    assert "starting_after" not in first
    assert second == {**first, "starting_after": "pi_other100"}


def test_a_succeeded_intent_wins_and_a_decline_is_read(stripe: StripeGateway,
                                                       requests_mock: rm.Mocker) -> None:
    failed = payment_intent("pi_failed", status="requires_payment_method",
                            last_payment_error={"type": "card_error", "code": "card_declined",
                                                "decline_code": "insufficient_funds"})
    requests_mock.get(LIST, json=page(failed))
    declined = stripe.find_charge(KEY, since=SENT)
    assert declined is not None and not declined.approved
    assert declined.decline_reason is DeclineReason.INSUFFICIENT_FUNDS
    requests_mock.get(LIST, json=page(failed, payment_intent("pi_ok")))
    approved = stripe.find_charge(KEY, since=SENT)
    assert approved is not None and (approved.approved, approved.reference) == (True, "pi_ok")


def test_an_intent_still_processing_is_unknown(stripe: StripeGateway,
                                               requests_mock: rm.Mocker) -> None:
    requests_mock.get(LIST, json=page(payment_intent("pi_mine", status="processing")))
    with pytest.raises(GatewayOutcomeUnknown):
        stripe.find_charge(KEY, since=SENT)


def test_without_since_it_reads_the_newest_pages(stripe: StripeGateway,
                                                 requests_mock: rm.Mocker) -> None:
    requests_mock.get(LIST, json=page())
    assert stripe.find_charge(KEY) is None
    assert sent(requests_mock) == [("GET", "/v1/payment_intents", {"limit": "100"})]


@pytest.mark.parametrize("kwargs", [
    {"status_code": 500, "json": {"error": {"type": "api_error"}}},
    {"status_code": 400, "json": {"error": {"type": "invalid_request_error",
                                            "code": "parameter_invalid_integer"}}},
    {"status_code": 200, "text": "<html>proxy</html>"},
    {"status_code": 200, "json": {"object": "search_result", "data": []}},  # no has_more
    {"status_code": 200, "json": page(more=True)},  # more, but nothing to page after
    {"exc": requests.ConnectionError},
])
def test_a_list_that_cannot_be_read_is_an_error_never_none(
        stripe: StripeGateway, requests_mock: rm.Mocker, kwargs: dict[str, Any]) -> None:
    requests_mock.get(LIST, **kwargs)
    with pytest.raises(GatewayError) as raised:
        stripe.find_charge(KEY, since=SENT)
    assert not isinstance(raised.value, ChargeOutOfSight)
    assert SECRET not in str(raised.value)


def test_past_the_last_page_it_may_read_a_success_the_search_shows_is_trusted(
        stripe: StripeGateway, requests_mock: rm.Mocker) -> None:
    requests_mock.get(LIST, json=page(*others(1), more=True))
    requests_mock.get(SEARCH, json={"object": "search_result", "url": "/v1/payment_intents/search",
                                    "has_more": False, "next_page": None,
                                    "data": [payment_intent("pi_mine")]})
    found = stripe.find_charge(KEY, since=SENT)
    assert found is not None and (found.approved, found.reference) == (True, "pi_mine")
    paths = [path for _, path, _ in sent(requests_mock)]
    assert paths == ["/v1/payment_intents"] * MAX_PAGES + ["/v1/payment_intents/search"]
    assert sent(requests_mock)[-1][2] == {"query": f"metadata['idempotency_key']:'{KEY}'",
                                          "limit": "10"}


@pytest.mark.parametrize("search", [
    {"json": {"object": "search_result", "has_more": False, "data": []}},  # may lag
    {"json": {"object": "search_result", "has_more": False,
              "data": [payment_intent("pi_mine", status="requires_payment_method")]}},
    {"json": {"object": "search_result", "has_more": False,
              "data": [payment_intent("pi_mine", status="processing")]}},
    {"status_code": 500, "json": {"error": {"type": "api_error"}}},
    {"exc": requests.ReadTimeout},
])
def test_past_the_last_page_anything_else_is_for_an_operator(
        stripe: StripeGateway, requests_mock: rm.Mocker, search: dict[str, Any]) -> None:
    requests_mock.get(LIST, json=page(*others(1), more=True))
    requests_mock.get(SEARCH, **search)
    with pytest.raises(ChargeOutOfSight, match="look for it in Stripe's dashboard"):
        stripe.find_charge(KEY, since=SENT)


def test_the_search_quotes_the_key(stripe: StripeGateway, requests_mock: rm.Mocker) -> None:
    requests_mock.get(LIST, json=page(*others(1), more=True))
    requests_mock.get(SEARCH, json={"object": "search_result", "has_more": False, "data": []})
    with pytest.raises(ChargeOutOfSight):
        stripe.find_charge("it's\\odd", since=SENT)
    assert sent(requests_mock)[-1][2]["query"] == "metadata['idempotency_key']:'it\\'s\\\\odd'"
