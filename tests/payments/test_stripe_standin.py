"""The Stripe stand-in's List PaymentIntents endpoint answers as Stripe's reference says: a
``list`` object, newest first, ``limit`` from 1 to 100, ``created`` filters, and cursors
(``starting_after`` / ``ending_before``, not both) that page through it."""

from __future__ import annotations

from typing import Any

import pytest
import requests
import requests_mock as rm

from ivr.security.card_store import CardDetails
from tests.gateway_standins.stripe import API, StripeStandIn

AUTH = {"Authorization": "Bearer sk_test_standin"}
VISA = CardDetails("4242424242424242", "1230", "123", "94105")


def made(count: int, requests_mock: rm.Mocker) -> tuple[StripeStandIn, list[str]]:
    """A stand-in with ``count`` PaymentIntents charged on a card on file; their ids, oldest
    first."""
    stripe = StripeStandIn().install(requests_mock)
    customer, method = stripe.mint_card(VISA)
    for n in range(count):
        requests.post(f"{API}/v1/payment_intents", headers={**AUTH, "Idempotency-Key": f"k{n}"},
                      data={"amount": "100", "currency": "usd", "customer": customer,
                            "payment_method": method, "confirm": "true", "off_session": "true",
                            "metadata[idempotency_key]": f"k{n}"}, timeout=5)
    return stripe, [intent.id for intent in stripe.payment_intents()]


def listed(**params: Any) -> tuple[int, dict[str, Any]]:
    """GET /v1/payment_intents with ``params``: status and body."""
    response = requests.get(f"{API}/v1/payment_intents", params=params, headers=AUTH, timeout=5)
    return response.status_code, response.json()


def test_a_list_is_newest_first_and_pages_by_its_cursors(requests_mock: rm.Mocker) -> None:
    _, ids = made(5, requests_mock)
    status, first = listed(limit=2)
    assert status == 200 and (first["object"], first["url"]) == ("list", "/v1/payment_intents")
    assert [item["id"] for item in first["data"]] == ids[:2:-1] and first["has_more"] is True
    _, second = listed(limit=2, starting_after=ids[3])
    assert [item["id"] for item in second["data"]] == [ids[2], ids[1]] and second["has_more"]
    _, last = listed(limit=2, starting_after=ids[1])
    assert [item["id"] for item in last["data"]] == [ids[0]] and last["has_more"] is False
    _, back = listed(limit=2, ending_before=ids[1])
    assert [item["id"] for item in back["data"]] == [ids[3], ids[2]] and back["has_more"]
    _, default = listed()
    assert len(default["data"]) == 5  # ten by default


def test_created_filters_by_unix_seconds(requests_mock: rm.Mocker) -> None:
    stripe, ids = made(2, requests_mock)
    created = stripe.intents[ids[0]].created
    assert [item["id"] for item in listed(**{"created[gte]": created})[1]["data"]] == ids[::-1]
    assert listed(**{"created[gt]": created + 3600})[1]["data"] == []
    assert listed(**{"created[lt]": created})[1]["data"] == []
    assert len(listed(**{"created[lte]": created + 5, "created[gte]": created - 5})[1]["data"]) == 2


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 101}, {"limit": "ten"},
                                    {"created[gte]": "yesterday"},
                                    {"starting_after": "pi_x", "ending_before": "pi_y"},
                                    {"starting_after": "pi_NoSuchIntent"}])
def test_what_stripe_refuses_is_refused(requests_mock: rm.Mocker,
                                        params: dict[str, Any]) -> None:
    made(1, requests_mock)
    status, body = listed(**params)
    assert status == 400 and body["error"]["type"] == "invalid_request_error"
