"""A stand-in for Stripe's API: PaymentIntents, Customers, PaymentMethods, SetupIntents, lists
and search.

It behaves as Stripe's API reference and testing guide describe, for what this line sends:

- ``POST /v1/payment_intents`` creates an intent with ``payment_method_data[card][...]`` (a new
  PaymentMethod) or ``payment_method`` (+ ``customer`` when the method is attached to one),
  and confirms it with ``confirm=true``; ``POST /v1/payment_intents/{id}/confirm`` confirms
  one later. Stripe's test cards decline with their documented codes as HTTP 402
  ``card_error`` bodies carrying the failed intent (:data:`DECLINES`).
- ``Idempotency-Key``: a POST with a key Stripe has seen replays the first status and body
  (``Idempotent-Replayed: true``); the same key with another path or parameters is a 400
  ``idempotency_error``. As Stripe documents, nothing is saved for a request refused before
  the endpoint ran (a 400 or 401).
- ``GET /v1/payment_intents`` lists PaymentIntents as Stripe's List API and pagination guide
  describe: newest first, ``limit`` 1 to 100 (10 by default), ``created`` as a timestamp or
  ``created[gt|gte|lt|lte]``, ``customer``, and ``starting_after`` / ``ending_before`` (an id
  of the list; not both), answering ``{"object": "list", "url", "has_more", "data"}``. Objects
  are ``created`` by the real clock (Unix seconds), so a ``created[gte]`` from a real time
  finds them.
- ``GET /v1/payment_intents/search`` answers ``metadata['field']:'value'`` queries.
- ``POST /v1/customers``, ``POST /v1/payment_methods`` (a card, for tokens a ``<Pay>``
  emulation hands out), ``POST /v1/payment_methods/{id}/attach``, ``POST /v1/setup_intents``,
  ``GET /v1/payment_methods/{id}``.
- A ``customer`` Stripe never made is refused (400 ``resource_missing``). A PaymentMethod
  attached to a Customer is charged only with that Customer. One used without being
  attached may not be used again ("To use a PaymentMethod multiple times, you must attach
  it to a Customer first"); one set up for future use (``setup_future_usage``) may still
  be attached after that use, and then charged with its Customer.
- Stripe's shared test PaymentMethods (``pm_card_visa``, ``pm_card_chargeDeclined``...,
  :data:`TEST_METHODS`) stand for their test cards: each use or attachment makes a copy
  with an id of its own, as Stripe's test mode does, so they can be used again and again.

Faults (:attr:`StripeStandIn.fault`): ``lost-reply`` carries every POST out and then raises
``requests.exceptions.ReadTimeout``; ``lost-charge-reply`` does so for PaymentIntent POSTs
only (Customers and attachments answer); ``down`` raises ``ConnectTimeout`` before anything.
"""

from __future__ import annotations

import itertools
import re
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests
import requests_mock as rm

from ivr.security.card_store import CardDetails

API = "https://api.stripe.com"

# Stripe's test cards (docs.stripe.com/testing, "Declined payments"): error code, decline code.
DECLINES: dict[str, tuple[str, str | None]] = {
    "4000000000000002": ("card_declined", "generic_decline"),
    "4000000000009995": ("card_declined", "insufficient_funds"),
    "4000000000009987": ("card_declined", "lost_card"),
    "4000000000009979": ("card_declined", "stolen_card"),
    "4000000000000069": ("expired_card", None),
    "4000000000000127": ("incorrect_cvc", None),
    "4000000000000119": ("processing_error", None),
    "4242424242424241": ("incorrect_number", None),
}
# "Attaching this card to a Customer object succeeds, but attempts to charge the customer fail."
ATTACH_THEN_DECLINE = "4000000000000341"
# Stripe's test PaymentMethods (docs.stripe.com/testing) and the test card each stands for.
TEST_METHODS = {
    "pm_card_visa": "4242424242424242", "pm_card_mastercard": "5555555555554444",
    "pm_card_amex": "378282246310005", "pm_card_discover": "6011111111111117",
    "pm_card_chargeDeclined": "4000000000000002",
    "pm_card_chargeDeclinedInsufficientFunds": "4000000000009995",
    "pm_card_chargeDeclinedExpiredCard": "4000000000000069",
    "pm_card_chargeDeclinedIncorrectCvc": "4000000000000127",
    "pm_card_chargeDeclinedProcessingError": "4000000000000119",
}
_BRANDS = {"4": "visa", "5": "mastercard", "3": "amex", "6": "discover"}
_MESSAGES = {"card_declined": "Your card was declined.",
             "expired_card": "Your card has expired.",
             "incorrect_cvc": "Your card's security code is incorrect.",
             "processing_error": "An error occurred while processing your card. Try again "
                                 "in a little bit.",
             "incorrect_number": "Your card number is incorrect."}
# Stripe's message for a PaymentMethod used once unattached, then used again.
SPENT = ("The provided PaymentMethod was previously used with a PaymentIntent without "
         "Customer attachment, shared with a connected account without Customer attachment, "
         "or was detached from a Customer. It may not be used again. To use a PaymentMethod "
         "multiple times, you must attach it to a Customer first.")
_WRITES_WITH_CARDS = ("/v1/payment_intents", "/v1/setup_intents", "/v1/payment_methods")
_SEARCH = re.compile(r"metadata\['(?P<field>[^'\\]+)'\]:'(?P<value>(?:[^'\\]|\\.)*)'")
Form = dict[str, str]
Answer = tuple[int, dict[str, Any]]


class Refused(Exception):
    """A request Stripe refuses before the endpoint runs (no idempotent result is saved)."""

    def __init__(self, status: int, kind: str, message: str, code: str | None = None,
                 param: str | None = None) -> None:
        super().__init__(message)
        self.answer: Answer = (status, {"error": {
            "type": kind, "code": code, "param": param, "message": message,
            "doc_url": f"https://stripe.com/docs/error-codes/{(code or kind).replace('_', '-')}",
            "request_log_url": "https://dashboard.stripe.com/test/logs/req_standin"}})


@dataclass
class Card:
    """A card as Stripe keeps it (Stripe holds the number: it is the card network's end)."""

    number: str
    exp_month: int
    exp_year: int
    cvc: str = ""
    postal_code: str = ""

    @classmethod
    def of(cls, card: CardDetails) -> Card:
        """A card keyed as the line keeps it (expiry MMYY)."""
        return cls(card.number, int(card.expiry_mmyy[:2]), 2000 + int(card.expiry_mmyy[2:]),
                   card.security_code, card.postal_code)


@dataclass
class PaymentMethod:
    """A card PaymentMethod."""

    id: str
    card: Card
    created: int
    customer: str | None = None
    reusable: bool = False  # set up for future use (setup_future_usage or a SetupIntent)
    used: bool = False

    def json(self) -> dict[str, Any]:
        """The object as Stripe returns it (never the number: brand and last four)."""
        card = self.card
        return {"id": self.id, "object": "payment_method", "type": "card",
                "allow_redisplay": "unspecified",
                "billing_details": {"address": {"city": None, "country": None, "line1": None,
                                                "line2": None,
                                                "postal_code": card.postal_code or None,
                                                "state": None},
                                    "email": None, "name": None, "phone": None},
                "card": {"brand": _BRANDS.get(card.number[:1], "unknown"),
                         "checks": {"address_line1_check": None,
                                    "address_postal_code_check":
                                        "pass" if card.postal_code else None,
                                    "cvc_check": "pass" if card.cvc else None},
                         "country": "US", "exp_month": card.exp_month,
                         "exp_year": card.exp_year, "fingerprint": "Xt5EWLLDS7FJjR1c",
                         "funding": "credit", "last4": card.number[-4:],
                         "networks": {"available": ["visa"], "preferred": None},
                         "wallet": None},
                "created": self.created, "customer": self.customer, "livemode": False,
                "metadata": {}}


@dataclass
class Intent:
    """A PaymentIntent or SetupIntent and where it stands."""

    id: str
    object: str  # "payment_intent" | "setup_intent"
    created: int
    form: Form
    customer: str | None
    payment_method: str | None
    status: str
    amount: int = 0
    latest: str | None = None  # the charge (or setup attempt)
    error: dict[str, Any] | None = None

    def json(self) -> dict[str, Any]:
        """The object as Stripe returns it."""
        common = {"id": self.id, "object": self.object, "created": self.created,
                  "client_secret": f"{self.id}_secret_{self.id[-8:]}", "livemode": False,
                  "customer": self.customer, "description": self.form.get("description"),
                  "payment_method": self.payment_method,
                  "payment_method_types": ["card"], "status": self.status,
                  "payment_method_options": {"card": {"mandate_options": None,
                                                      "network": None,
                                                      "request_three_d_secure": "automatic"}},
                  "metadata": metadata(self.form)}
        if self.object == "setup_intent":
            return {**common, "usage": self.form.get("usage", "off_session"),
                    "latest_attempt": self.latest, "last_setup_error": self.error}
        succeeded = self.status == "succeeded"
        return {**common, "amount": self.amount, "amount_capturable": 0,
                "amount_received": self.amount if succeeded else 0,
                "capture_method": "automatic", "confirmation_method": "automatic",
                "currency": self.form.get("currency", "usd"), "latest_charge": self.latest,
                "last_payment_error": self.error,
                "setup_future_usage": self.form.get("setup_future_usage")}


@dataclass
class Seen:
    """One request the stand-in received: method, path, and its body or query string."""

    method: str
    path: str
    text: str


@dataclass
class _Saved:
    path: str
    form: Form
    answer: Answer


def metadata(form: Form) -> dict[str, str]:
    """``metadata[key]=value`` fields as the object's metadata."""
    return {name[len("metadata["):-1]: value for name, value in form.items()
            if name.startswith("metadata[") and name.endswith("]")}


@dataclass
class StripeStandIn:
    """Stripe, for one account: everything it was asked to do, kept in memory."""

    api_base: str = API
    fault: str = ""  # "" | "lost-reply" | "down"
    customers: dict[str, dict[str, Any]] = field(default_factory=dict)
    payment_methods: dict[str, PaymentMethod] = field(default_factory=dict)
    intents: dict[str, Intent] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    _replies: dict[str, _Saved] = field(default_factory=dict)
    _serial: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _created: int = 0

    def install(self, mocker: rm.Mocker) -> StripeStandIn:
        """Answer every request to :attr:`api_base` on ``mocker``."""
        mocker.register_uri(rm.ANY, re.compile(re.escape(self.api_base) + "/"), json=self._answer)
        return self

    # --- what a test reads back --------------------------------------------------------

    def payment_intents(self, key: str | None = None) -> list[Intent]:
        """The PaymentIntents created (with ``metadata[idempotency_key]`` = ``key``)."""
        return [intent for intent in self.intents.values() if intent.object == "payment_intent"
                and (key is None or metadata(intent.form).get("idempotency_key") == key)]

    def intent_forms(self) -> list[dict[str, str]]:
        """The form of each PaymentIntent create request, replays included."""
        return [dict(parse_qsl(seen.text)) for seen in self.seen
                if (seen.method, seen.path) == ("POST", "/v1/payment_intents")]

    def lookups(self) -> list[Seen]:
        """Requests that carry no card by design: lists, searches, reads, customers and
        attachments."""
        return [seen for seen in self.seen
                if not (seen.method == "POST" and seen.path in _WRITES_WITH_CARDS)]

    def mint_card(self, card: CardDetails, customer: bool = True) -> tuple[str | None, str]:
        """A PaymentMethod for ``card`` made outside the line, as Stripe's Pay Connector makes
        one for ``<Pay>`` (``tokenType=payment-method``): (its Customer, Twilio's
        ``ProfileId``, or None; its id, Twilio's ``PaymentToken``)."""
        method = self._new_method(Card.of(card), reusable=True)
        if customer:
            method.customer = self._new_customer("Customer made by the Pay Connector")
        return method.customer, method.id

    # --- the endpoint ------------------------------------------------------------------

    def _answer(self, request: Any, context: Any) -> dict[str, Any]:
        if self.fault == "down":
            raise requests.exceptions.ConnectTimeout("stand-in: connection refused")
        path = urlsplit(request.url).path
        text = (request.text or "") if request.method == "POST" else urlsplit(request.url).query
        self.seen.append(Seen(request.method, path, text))
        form = dict(parse_qsl(text, keep_blank_values=True))
        key = request.headers.get("Idempotency-Key")
        replayed = request.method == "POST" and key is not None and key in self._replies
        try:
            self._authenticate(request.headers.get("Authorization", ""))
            status, body = self._idempotent(key, path, form) if request.method == "POST" \
                else self._get(path, form)
        except Refused as refused:
            status, body = refused.answer
        context.status_code = status
        context.headers.update({"Request-Id": self._id("req"),
                                "Stripe-Version": request.headers.get("Stripe-Version", "")})
        if key:
            context.headers["Idempotency-Key"] = key
        if replayed and status != 400:
            context.headers["Idempotent-Replayed"] = "true"
        if request.method == "POST" and (self.fault == "lost-reply" or (
                self.fault == "lost-charge-reply" and path == "/v1/payment_intents")):
            raise requests.exceptions.ReadTimeout("stand-in: the answer was lost")
        return body

    def _authenticate(self, header: str) -> None:
        secret = header.removeprefix("Bearer ")
        if not secret.startswith(("sk_test_", "rk_test_")):
            raise Refused(401, "invalid_request_error", "Invalid API Key provided.")

    def _idempotent(self, key: str | None, path: str, form: Form) -> Answer:
        """Replay the first answer to ``key``, refuse it reused, or run the request."""
        saved = self._replies.get(key) if key else None
        if saved is not None:
            if (saved.path, saved.form) != (path, form):
                raise Refused(400, "idempotency_error",
                              "Keys for idempotent requests can only be used with the same "
                              "parameters they were first used with.")
            return saved.answer
        answer = self._post(path, form)  # a Refused raised here is not saved
        if key:
            self._replies[key] = _Saved(path, form, answer)
        return answer

    def _post(self, path: str, form: Form) -> Answer:
        parts = path.strip("/").split("/")
        match parts:
            case ["v1", "payment_intents"]:
                return self._create_intent(form)
            case ["v1", "payment_intents", intent_id, "confirm"]:
                return self._confirm(self._intent(intent_id), form)
            case ["v1", "customers"]:
                return 200, self.customers[self._new_customer(form.get("description"))]
            case ["v1", "payment_methods"]:
                return 200, self._new_method(card_of(form, ""), reusable=False).json()
            case ["v1", "payment_methods", method_id, "attach"]:
                return self._attach(self._method(method_id), form.get("customer", ""))
            case ["v1", "setup_intents"]:
                return self._set_up(form)
        raise Refused(404, "invalid_request_error", f"Unrecognized request URL (POST: {path}).")

    def _get(self, path: str, query: Form) -> Answer:
        parts = path.strip("/").split("/")
        match parts:
            case ["v1", "payment_intents"]:
                return self._list(query)
            case ["v1", "payment_intents", "search"]:
                return self._search(query)
            case ["v1", "payment_intents", intent_id]:
                return 200, self._intent(intent_id).json()
            case ["v1", "payment_methods", method_id] if method_id in self.payment_methods \
                    or method_id in TEST_METHODS:
                return 200, {**self._method(method_id).json(), "id": method_id}
            case ["v1", "payment_methods", method_id]:
                raise Refused(404, "invalid_request_error",
                              f"No such PaymentMethod: '{method_id}'", "resource_missing", "id")
            case ["v1", "customers", customer_id] if customer_id in self.customers:
                return 200, self.customers[customer_id]
        raise Refused(404, "invalid_request_error", f"Unrecognized request URL (GET: {path}).")

    # --- objects -----------------------------------------------------------------------

    def _id(self, prefix: str) -> str:
        """A new id: the prefix, then letters only (Stripe's are letters and digits). With no
        digit in it, no id can hold a run of a card's digits by chance."""
        serial, letters = next(self._serial), ""
        for _ in range(6):
            serial, letter = divmod(serial, 26)
            letters = chr(ord("A") + letter) + letters
        return f"{prefix}_StandIn{letters}"

    def _now(self) -> int:
        """A creation time: now, in Unix seconds (never before the last object's)."""
        self._created = max(int(time.time()), self._created)
        return self._created

    def _new_customer(self, description: str | None) -> str:
        customer_id = self._id("cus")
        self.customers[customer_id] = {
            "id": customer_id, "object": "customer", "created": self._now(),
            "description": description, "email": None, "livemode": False, "metadata": {},
            "invoice_settings": {"default_payment_method": None}}
        return customer_id

    def _new_method(self, card: Card, reusable: bool) -> PaymentMethod:
        method = PaymentMethod(self._id("pm"), card, self._now(), reusable=reusable)
        self.payment_methods[method.id] = method
        return method

    def _method(self, method_id: str) -> PaymentMethod:
        """The PaymentMethod with this id; for a test PaymentMethod, a new copy of it."""
        if method_id in TEST_METHODS:
            return self._new_method(Card(TEST_METHODS[method_id], 12, 2034, "123", "94105"),
                                    reusable=True)
        if method_id not in self.payment_methods:
            raise Refused(400, "invalid_request_error",
                          f"No such PaymentMethod: '{method_id}'", "resource_missing",
                          "payment_method")
        return self.payment_methods[method_id]

    def _intent(self, intent_id: str) -> Intent:
        if intent_id not in self.intents:
            raise Refused(404, "invalid_request_error", f"No such payment_intent: '{intent_id}'",
                          "resource_missing", "intent")
        return self.intents[intent_id]

    def _customer(self, form: Form) -> str | None:
        customer = form.get("customer") or None
        if customer is not None and customer not in self.customers:
            raise Refused(400, "invalid_request_error", f"No such customer: '{customer}'",
                          "resource_missing", "customer")
        return customer

    # --- PaymentIntents ----------------------------------------------------------------

    def _create_intent(self, form: Form) -> Answer:
        for required in ("amount", "currency"):
            if not form.get(required):
                raise Refused(400, "invalid_request_error",
                              f"Missing required param: {required}.", "parameter_missing",
                              required)
        customer = self._customer(form)
        method = self._method(form["payment_method"]) if "payment_method" in form else None
        if method is None and form.get("payment_method_data[type]") == "card":
            method = self._new_method(card_of(form, "payment_method_data"), reusable=False)
        if method is not None:
            self._usable(method, customer)
        intent = Intent(self._id("pi"), "payment_intent", self._now(), form, customer,
                        method.id if method else None,
                        "requires_confirmation" if method else "requires_payment_method",
                        amount=int(form["amount"]))
        self.intents[intent.id] = intent
        if form.get("confirm") == "true":
            return self._confirm(intent, {})
        return 200, intent.json()

    def _usable(self, method: PaymentMethod, customer: str | None) -> None:
        """Refuse a method that may not be charged (for this Customer)."""
        if method.customer is not None and method.customer != customer:
            raise Refused(400, "invalid_request_error",
                          "The provided PaymentMethod belongs to a Customer: pass that "
                          "Customer's ID in the customer parameter.", None, "payment_method")
        if method.customer is None and method.used:
            raise Refused(400, "invalid_request_error", SPENT, None, "payment_method")

    def _confirm(self, intent: Intent, form: Form) -> Answer:
        if form.get("payment_method"):
            method = self._method(form["payment_method"])
            self._usable(method, intent.customer)
            intent.payment_method = method.id
        if intent.payment_method is None:
            raise Refused(400, "invalid_request_error",
                          "You cannot confirm this PaymentIntent because it's missing a "
                          "payment method.", "payment_intent_unexpected_state")
        method = self.payment_methods[intent.payment_method]
        method.used = True
        intent.latest = self._id("ch")
        decline = DECLINES.get(method.card.number)
        if decline is None and method.card.number == ATTACH_THEN_DECLINE:
            decline = ("card_declined", "generic_decline")
        if decline is not None:
            intent.status = "requires_payment_method"
            intent.error = card_error(decline, method, charge=intent.latest)
            return 402, {"error": {**intent.error, "payment_intent": intent.json()}}
        intent.status = "succeeded"
        if intent.form.get("setup_future_usage"):
            method.reusable = True
            method.customer = method.customer or intent.customer
        return 200, intent.json()

    def _search(self, query: Form) -> Answer:
        match = _SEARCH.fullmatch(query.get("query", ""))
        if match is None:
            raise Refused(400, "invalid_request_error", "The query is not supported by this "
                          "stand-in (metadata['field']:'value' only).", "parameter_invalid",
                          "query")
        value = re.sub(r"\\(.)", r"\1", match["value"])
        found = [intent.json() for intent in reversed(self.intents.values())
                 if intent.object == "payment_intent"
                 and metadata(intent.form).get(match["field"]) == value]
        limit = int(query.get("limit") or 10)
        return 200, {"object": "search_result", "url": "/v1/payment_intents/search",
                     "has_more": len(found) > limit, "next_page": None, "data": found[:limit]}

    def _list(self, query: Form) -> Answer:
        """A page of PaymentIntents, newest first (``created``, then the order they were made)."""
        limit = _bounded_limit(query.get("limit", "10"))
        after, before = query.get("starting_after"), query.get("ending_before")
        if after and before:
            raise Refused(400, "invalid_request_error", "You may only specify one of these "
                          "parameters: ending_before, starting_after.", None, "starting_after")
        everything = [intent for intent in reversed(self.intents.values())
                      if intent.object == "payment_intent"]
        ids = [intent.id for intent in everything]
        cursor = after or before
        if cursor and cursor not in ids:
            raise Refused(400, "invalid_request_error", f"No such payment_intent: '{cursor}'",
                          "resource_missing", "starting_after" if after else "ending_before")
        if after:
            everything = everything[ids.index(after) + 1:]
        elif before:
            everything = everything[:ids.index(before)]
        customer = query.get("customer")
        listed = [intent for intent in everything if _created_in(intent.created, query)
                  and (customer is None or intent.customer == customer)]
        page = listed[-limit:] if before else listed[:limit]
        return 200, {"object": "list", "url": "/v1/payment_intents",
                     "has_more": len(listed) > limit,
                     "data": [intent.json() for intent in page]}

    # --- keeping cards -----------------------------------------------------------------

    def _attach(self, method: PaymentMethod, customer_id: str) -> Answer:
        customer = self._customer({"customer": customer_id})
        if customer is None:
            raise Refused(400, "invalid_request_error", "Missing required param: customer.",
                          "parameter_missing", "customer")
        if method.customer is not None and method.customer != customer:
            raise Refused(400, "invalid_request_error", "The payment method you provided has "
                          "already been attached to a customer.", None, "payment_method")
        if method.customer is None and method.used and not method.reusable:
            # Used once without setup_future_usage, unattached: spent.
            raise Refused(400, "invalid_request_error", SPENT, None, "payment_method")
        if method.customer is None and not method.used and method.card.number in DECLINES:
            return 402, {"error": {**card_error(DECLINES[method.card.number], method),
                                   "payment_method": method.json()}}
        method.customer, method.reusable = customer, True
        return 200, method.json()

    def _set_up(self, form: Form) -> Answer:
        customer = self._customer(form)
        method = self._method(form["payment_method"]) if "payment_method" in form else \
            self._new_method(card_of(form, "payment_method_data"), reusable=False)
        intent = Intent(self._id("seti"), "setup_intent", self._now(), form, customer,
                        method.id, "requires_confirmation", latest=self._id("setatt"))
        self.intents[intent.id] = intent
        if form.get("confirm") != "true":
            return 200, intent.json()
        decline = DECLINES.get(method.card.number)
        if decline is not None:
            intent.status = "requires_payment_method"
            intent.error = card_error(decline, method)
            return 402, {"error": {**intent.error, "setup_intent": intent.json()}}
        intent.status = "succeeded"
        method.reusable = True
        method.customer = method.customer or customer
        return 200, intent.json()


def _bounded_limit(text: str) -> int:
    """``limit`` as Stripe takes it: a whole number from 1 to 100."""
    if not text.isdigit() or not 1 <= int(text) <= 100:
        raise Refused(400, "invalid_request_error", "Invalid integer: limit must be between 1 "
                      "and 100.", "parameter_invalid_integer", "limit")
    return int(text)


def _created_in(created: int, query: Form) -> bool:
    """True when ``created`` passes the ``created`` filter: a timestamp, or gt/gte/lt/lte."""
    tests = {"": int.__eq__, "[gt]": int.__gt__, "[gte]": int.__ge__, "[lt]": int.__lt__,
             "[lte]": int.__le__}
    for suffix, passes in tests.items():
        bound = query.get(f"created{suffix}")
        if bound is None:
            continue
        if not bound.lstrip("-").isdigit():
            raise Refused(400, "invalid_request_error", f"Invalid integer: {bound}",
                          "parameter_invalid_integer", f"created{suffix}")
        if not passes(created, int(bound)):
            return False
    return True


def card_of(form: Form, prefix: str) -> Card:
    """The card in ``{prefix}[card][...]`` (``card[...]`` without a prefix)."""
    base = f"{prefix}[card]" if prefix else "card"
    try:
        card = Card(form[f"{base}[number]"], int(form[f"{base}[exp_month]"]),
                    int(form[f"{base}[exp_year]"]), form.get(f"{base}[cvc]", ""),
                    form.get(f"{prefix}[billing_details][address][postal_code]"
                             if prefix else "billing_details[address][postal_code]", ""))
    except (KeyError, ValueError):
        raise Refused(400, "invalid_request_error", "Missing or invalid card details.",
                      "parameter_missing", f"{base}[number]") from None
    if not card.number.isdigit():
        raise Refused(402, "card_error", _MESSAGES["incorrect_number"], "invalid_number",
                      "number")
    return card


def card_error(decline: tuple[str, str | None], method: PaymentMethod,
               charge: str | None = None) -> dict[str, Any]:
    """The error object of a declined card, as in a 402 body and ``last_payment_error``."""
    code, decline_code = decline
    error: dict[str, Any] = {
        "type": "card_error", "code": code, "message": _MESSAGES.get(code, "Declined."),
        "doc_url": f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}",
        "request_log_url": "https://dashboard.stripe.com/test/logs/req_standin",
        "param": "cvc" if code == "incorrect_cvc" else None,
        "payment_method": method.json()}
    if decline_code is not None:
        error["decline_code"] = decline_code
    if charge is not None:
        error["charge"] = charge
    return error

