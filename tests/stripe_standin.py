"""A stand-in for Stripe's API, on requests-mock, answering the requests the line makes.

It answers in the shapes of Stripe's API reference, for what the Stripe gateway sends when a
card Twilio's ``<Pay>`` tokenised is charged later, and when reconcile looks a charge up:

- ``POST /v1/payment_intents`` (create and confirm): a PaymentIntent ``succeeded``, or HTTP
  402 with a ``card_error`` (``code``, ``decline_code``, the failed ``payment_intent``)
  for Stripe's declining test PaymentMethods; 400 ``resource_missing`` for a PaymentMethod
  it does not know, or one attached to another Customer than the ``customer`` sent.
  ``Idempotency-Key``: a replay with the same parameters gets the first answer (nothing new
  is charged), other parameters an ``idempotency_error``.
- ``GET /v1/payment_intents/search`` with ``metadata['idempotency_key']:'...'``: a
  ``search_result`` list.
- ``POST /v1/customers`` and ``POST /v1/payment_methods/{id}/attach``: a Customer, and the
  PaymentMethod attached to it.

``lose_replies``: a PaymentIntent is created, then the answer is lost (a read timeout).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlparse

import requests
import requests_mock

BASE = "https://stripe.standin.test"
# Stripe's test PaymentMethods (its testing docs): None succeeds, else (code, decline_code).
TEST_METHODS: dict[str, tuple[str, str] | None] = {
    "pm_card_visa": None, "pm_card_mastercard": None, "pm_card_amex": None,
    "pm_card_discover": None,
    "pm_card_chargeDeclined": ("card_declined", "generic_decline"),
    "pm_card_chargeDeclinedInsufficientFunds": ("card_declined", "insufficient_funds"),
    "pm_card_chargeDeclinedExpiredCard": ("expired_card", "expired_card"),
    "pm_card_chargeDeclinedIncorrectCvc": ("incorrect_cvc", "incorrect_cvc"),
    "pm_card_chargeDeclinedProcessingError": ("processing_error", "processing_error"),
}
_SEARCH = re.compile(r"metadata\['idempotency_key'\]:'((?:[^'\\]|\\.)*)'")


@dataclass
class StripeStandIn:
    """Stripe's state as far as the line can see it, and every request it was sent."""

    intents: dict[str, dict[str, Any]] = field(default_factory=dict)
    attached: dict[str, str] = field(default_factory=dict)  # PaymentMethod: its Customer
    replies: dict[str, tuple[int, dict[str, Any], list[tuple[str, str]]]] = field(
        default_factory=dict)  # Idempotency-Key: status, body, the parameters sent
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    lose_replies: bool = False
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def install(self, mocker: requests_mock.Mocker, base: str = BASE) -> StripeStandIn:
        """Answer Stripe's endpoints under ``base`` on ``mocker``."""
        mocker.post(f"{base}/v1/payment_intents", json=self._create_intent)
        mocker.get(f"{base}/v1/payment_intents/search", json=self._search)
        mocker.post(f"{base}/v1/customers", json=self._create_customer)
        mocker.post(re.compile(re.escape(base) + r"/v1/payment_methods/([^/]+)/attach"),
                    json=self._attach)
        return self

    def intent_forms(self) -> list[dict[str, str]]:
        """The form of each PaymentIntent create request, replays included."""
        return [form for method, path, form in self.requests
                if (method, path) == ("POST", "/v1/payment_intents")]

    def _create_intent(self, request: Any, context: Any) -> dict[str, Any]:
        sent = parse_qsl(request.text or "")
        form = self._record(request, dict(sent))
        key = request.headers.get("Idempotency-Key", "")
        if key in self.replies:
            context.status_code, body, first = self.replies[key]
            if first != sent:
                context.status_code = 400
                return _error("invalid_request_error", "idempotency_error")
            return body
        status, body = self._confirm(form)
        self.replies[key] = (status, body, sent)
        if self.lose_replies:
            raise requests.exceptions.ReadTimeout("the stand-in lost the answer")
        context.status_code = status
        return body

    def _confirm(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        """Create the PaymentIntent and confirm it with its PaymentMethod, off session."""
        method, customer = form.get("payment_method", ""), form.get("customer")
        missing = [name for name in ("amount", "currency", "confirm") if name not in form]
        if missing or form["confirm"] != "true" or not form["amount"].isdigit():
            return 400, _error("invalid_request_error", "parameter_missing")
        if method not in TEST_METHODS and method not in self.attached:
            return 400, _error("invalid_request_error", "resource_missing")
        if method in self.attached and self.attached[method] != customer:
            return 400, _error("invalid_request_error", "resource_missing")
        outcome = TEST_METHODS.get(method)
        intent_id = f"pi_standin{next(self.ids):06d}"
        intent: dict[str, Any] = {
            "id": intent_id, "object": "payment_intent",
            "amount": int(form["amount"]), "currency": form["currency"],
            "customer": customer, "payment_method": method,
            "description": form.get("description"),
            "metadata": {"idempotency_key": form.get("metadata[idempotency_key]", "")},
            "status": "succeeded" if outcome is None else "requires_payment_method",
            "last_payment_error": None, "livemode": False, "created": 1764000000}
        self.intents[intent_id] = intent
        if outcome is None:
            return 200, {**intent, "latest_charge": f"ch_standin{intent_id[-6:]}"}
        code, decline_code = outcome
        error = {"type": "card_error", "code": code, "decline_code": decline_code,
                 "message": "Your card was declined.", "payment_method": {"id": method}}
        intent["last_payment_error"] = error
        return 402, {"error": {**error, "payment_intent": intent}}

    def _search(self, request: Any, context: Any) -> dict[str, Any]:
        # From the URL as sent: requests-mock's own ``query`` and ``path`` are lowercased.
        query = dict(parse_qsl(urlparse(request.url).query)).get("query", "")
        self._record(request, {"query": query})
        match = _SEARCH.fullmatch(query)
        if match is None:
            context.status_code = 400
            return _error("invalid_request_error", "search_query_invalid")
        key = re.sub(r"\\(.)", r"\1", match[1])
        found = [intent for intent in self.intents.values()
                 if intent["metadata"]["idempotency_key"] == key]
        return {"object": "search_result", "url": "/v1/payment_intents/search",
                "has_more": False, "next_page": None, "data": found}

    def _create_customer(self, request: Any, context: Any) -> dict[str, Any]:
        form = self._record(request, dict(parse_qsl(request.text or "")))
        return {"id": f"cus_standin{next(self.ids):06d}", "object": "customer",
                "description": form.get("description"), "livemode": False, "metadata": {}}

    def _attach(self, request: Any, context: Any) -> dict[str, Any]:
        form = self._record(request, dict(parse_qsl(request.text or "")))
        method = urlparse(request.url).path.split("/")[3]
        self.attached[method] = form["customer"]
        return {"id": method, "object": "payment_method", "type": "card",
                "customer": form["customer"], "card": {"brand": "visa", "last4": "4242"}}

    def _record(self, request: Any, form: dict[str, str]) -> dict[str, str]:
        self.requests.append((request.method, urlparse(request.url).path, form))
        return form


def _error(kind: str, code: str) -> dict[str, Any]:
    """An error body as Stripe's: its type and code (and a message the line never quotes)."""
    return {"error": {"type": kind, "code": code, "message": f"stand-in: {code}"}}
