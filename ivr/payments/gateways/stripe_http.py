"""Sending to Stripe and reading its answers: what was charged, refused or may have been.

Whether a failed request charged: a 402 card error did not; a 4xx other than 402 and 409
did not (Stripe refused it before charging): those raise :class:`GatewayError`. A 5xx or
a 409 (another request with the key is still running), whatever its body says (a proxy's
JSON error page has no Stripe error object), a read timeout, a dropped connection after
sending or an unreadable answer MIGHT have: those raise :class:`GatewayOutcomeUnknown` and
the payment is recorded as ``unknown``.

No message built here quotes a request (it may hold card digits) or Stripe's free text
(it may quote our identifiers): only Stripe's type, code and request id.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, NoReturn

import requests

from flows.ports import DeclineReason
from ivr.errors import GatewayError, GatewayOutcomeUnknown
from ivr.payments.gateways.base import GatewayCharge

TIMEOUT = (5, 10)  # seconds (connect, read) for a request that moves money: a PaymentIntent
# Requests that move no money (read a PaymentMethod, make a Customer, attach a card, set one
# up) run inside a Twilio webhook turn, which Twilio gives 15 seconds in all: two of these
# (12 s at worst) still fit, and a slow one fails with nothing charged.
SHORT_TIMEOUT = (2, 4)
MAYBE_CHARGED = "the charge may have gone through; reconcile looks it up before charging again"
MAYBE_KEPT = "the card may have been kept at Stripe; nothing was charged"

_SAFE = re.compile(r"[^A-Za-z0-9_.\-]")
# Eight digits or more in a row (separators allowed between them) could be part of a card
# or account number that whatever answered (a proxy echoing the request, a mock) copied.
_DIGIT_RUN = re.compile(r"\d(?:[_.\-]*\d){7,}")

# Stripe decline_code / code -> what the caller is told; anything else is a plain decline.
# incorrect_number / invalid_number also stay plain declines: we add no hint for card
# testers, and a caller who mis-keyed is offered another try anyway.
_DECLINES: dict[str, DeclineReason] = {
    "insufficient_funds": DeclineReason.INSUFFICIENT_FUNDS,
    "expired_card": DeclineReason.EXPIRED_CARD,
    "incorrect_cvc": DeclineReason.INCORRECT_CVC,
    "invalid_cvc": DeclineReason.INCORRECT_CVC,
    "processing_error": DeclineReason.PROCESSING_ERROR,
}
_REFUSED = {
    401: "Stripe rejected the API key (HTTP 401)",
    403: "the Stripe API key may not create payments (HTTP 403)",
    404: "Stripe does not know this endpoint (HTTP 404); check IVR_STRIPE_API_BASE",
    429: "Stripe is rate limiting us (HTTP 429); retry later with the same idempotency key",
}


def decline_reason(error: Mapping[str, Any]) -> DeclineReason:
    """The caller-facing reason for a Stripe card error; decline_code is the more specific."""
    for key in (error.get("decline_code"), error.get("code")):
        if isinstance(key, str) and key in _DECLINES:
            return _DECLINES[key]
    return DeclineReason.DECLINED


def safe(value: Any) -> str:
    """A Stripe identifier (type, code, request id) fit for a log line; never free text,
    and never a run of eight digits or more (it is replaced by ``#``)."""
    return _DIGIT_RUN.sub("#", _SAFE.sub("", str(value)))[:60] if value else "-"


def post(session: requests.Session, url: str, form: list[tuple[str, str]], key: str,
         doubt: str, timeout: tuple[int, int] = TIMEOUT) -> requests.Response:
    """POST ``form`` with ``key`` as its Idempotency-Key; ``doubt`` says what a lost
    answer may have done."""
    try:
        return session.post(url, data=form, timeout=timeout, headers={"Idempotency-Key": key})
    except requests.ConnectTimeout:
        raise GatewayError("could not connect to Stripe in time; nothing was sent") from None
    except requests.Timeout:
        raise GatewayOutcomeUnknown(f"Stripe did not answer in time; {doubt}") from None
    except requests.RequestException as error:
        # from None: the chained exception would carry the request into tracebacks.
        raise GatewayOutcomeUnknown(f"could not reach Stripe ({type(error).__name__}); "
                                    f"{doubt}") from None


def get(session: requests.Session, url: str) -> requests.Response:
    """GET ``url`` (a read: nothing changes at Stripe), with the short timeout; a failure to
    get an answer raises GatewayError."""
    try:
        return session.get(url, timeout=SHORT_TIMEOUT)
    except requests.RequestException as error:
        raise GatewayError(f"could not read from Stripe ({type(error).__name__})") from None


def outcome(response: requests.Response) -> GatewayCharge:
    """Map Stripe's answer to a PaymentIntent request to approved / declined, or raise."""
    body = _json(response, MAYBE_CHARGED)
    if response.status_code == 200:
        return from_intent(body)
    error = _error(response, body)
    if response.status_code == 402 and error.get("type") == "card_error":
        intent = error.get("payment_intent")
        reference = intent.get("id") if isinstance(intent, dict) else None
        return GatewayCharge(approved=False, reference=str(reference or ""),
                             decline_reason=decline_reason(error))
    _refuse(response, error, MAYBE_CHARGED)


def stripe_object(response: requests.Response, kind: str, doubt: str) -> dict[str, Any]:
    """The object of type ``kind`` (``customer``, ``setup_intent``...) Stripe answered.

    A card error (HTTP 402, when a card is set up or attached) raises GatewayError with
    the caller-facing reason; other failures are mapped as for a charge.
    """
    body = _json(response, doubt)
    if response.status_code == 200:
        if body.get("object") != kind or not isinstance(body.get("id"), str):
            raise GatewayOutcomeUnknown(f"Stripe answered HTTP 200 without a {kind}; {doubt}")
        return body
    error = _error(response, body)
    if response.status_code == 402 and error.get("type") == "card_error":
        raise GatewayError(f"Stripe declined the card ({decline_reason(error).value}; "
                           f"{_detail(response, error)})")
    _refuse(response, error, doubt)


def card_declined(response: requests.Response) -> DeclineReason | None:
    """The reason of a card error (HTTP 402, as when a card is attached or set up), or
    None for any other answer."""
    if response.status_code != 402:
        return None
    try:
        body = response.json()
    except ValueError:
        return None
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict) and error.get("type") == "card_error":
        return decline_reason(error)
    return None


def found(response: requests.Response) -> GatewayCharge | None:
    """A search answer: the matching intent as a charge (a succeeded one first), or None."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status_code != 200 or not isinstance(body, dict):
        error = body.get("error") if isinstance(body, dict) else None
        raise GatewayError(refusal(response, error if isinstance(error, dict) else {},
                                   MAYBE_CHARGED))
    intents = [item for item in body.get("data") or [] if isinstance(item, dict)]
    if not intents:
        return None
    succeeded = [item for item in intents if item.get("status") == "succeeded"]
    return from_intent((succeeded or intents)[0])


def from_intent(intent: Mapping[str, Any]) -> GatewayCharge:
    """A PaymentIntent after confirmation; an approved one names its card as ``reusable``.

    ``reusable`` is the PaymentMethod id, or ``cus_...:pm_...`` when the intent already
    charged it with a Customer (a card on file: keeping it again changes nothing).
    """
    reference, state = intent.get("id"), intent.get("status")
    if intent.get("object") != "payment_intent" or not isinstance(reference, str):
        raise GatewayOutcomeUnknown(f"Stripe answered HTTP 200 without a PaymentIntent; "
                                    f"{MAYBE_CHARGED}")
    if state == "succeeded":
        return GatewayCharge(approved=True, reference=reference, reusable=_reusable(intent))
    if state in ("requires_action", "requires_payment_method", "canceled"):
        # Authentication needed or the card failed: the payer cannot act on it off session.
        failure = intent.get("last_payment_error")
        reason = decline_reason(failure) if isinstance(failure, dict) else DeclineReason.DECLINED
        return GatewayCharge(approved=False, reference=reference, decline_reason=reason)
    # "processing" (or anything unexpected) may still take the money: never call it a decline.
    raise GatewayOutcomeUnknown(f"Stripe left payment {safe(reference)} in status "
                                f"{safe(state)}; reconcile before charging again")


def refusal(response: requests.Response, error: Mapping[str, Any], doubt: str) -> str:
    """A short message for a refused request: Stripe's type, code and request id, no text."""
    status = response.status_code
    detail = _detail(response, error)
    if status >= 500:
        return f"Stripe server error (HTTP {status}, {detail}); {doubt}"
    if status == 409:
        return (f"another request with this idempotency key is still running at Stripe "
                f"(HTTP 409, {detail}); {doubt}")
    if error.get("code") == "resource_missing":
        return f"Stripe has no such object (HTTP {status}, {detail})"
    if status == 400 and error.get("type") == "idempotency_error":
        return f"Stripe refused the idempotency key: reused with other parameters ({detail})"
    return f"{_REFUSED.get(status, f'Stripe refused the request (HTTP {status})')} ({detail})"


def _reusable(intent: Mapping[str, Any]) -> str:
    """The succeeded intent's PaymentMethod as a token ("" if Stripe did not say)."""
    method, customer = intent.get("payment_method"), intent.get("customer")
    method = method.get("id") if isinstance(method, dict) else method  # if expanded
    customer = customer.get("id") if isinstance(customer, dict) else customer
    if not isinstance(method, str):
        return ""
    return f"{customer}:{method}" if isinstance(customer, str) and customer else method


def _detail(response: requests.Response, error: Mapping[str, Any]) -> str:
    """Stripe's error type, code and request id, each stripped to identifier characters."""
    return (f"type={safe(error.get('type'))} code={safe(error.get('code'))} "
            f"request={safe(response.headers.get('Request-Id'))}")


def _json(response: requests.Response, doubt: str) -> dict[str, Any]:
    """The answer's JSON object; a proxy's error page or a cut-off body is an unknown."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise GatewayOutcomeUnknown(f"Stripe answered HTTP {response.status_code} with a body "
                                    f"that is not a JSON object; {doubt}")
    return body


def _error(response: requests.Response, body: Mapping[str, Any]) -> dict[str, Any]:
    """The error object of a failed answer.

    Without one the answer is not Stripe's own (a proxy's or load balancer's JSON page):
    after a 5xx or a 409 the request may still have run, so it is read as an empty error
    and :func:`_refuse` calls it unknown; any other status is a refusal.
    """
    error = body.get("error")
    if isinstance(error, dict):
        return error
    if _in_doubt(response):
        return {}
    raise GatewayError(f"Stripe answered HTTP {response.status_code} without an error object")


def _in_doubt(response: requests.Response) -> bool:
    """A 5xx (Stripe or something before it failed, maybe after running the request) or a
    409 (another request with the key is still running): it may have been carried out."""
    return response.status_code >= 500 or response.status_code == 409


def _refuse(response: requests.Response, error: Mapping[str, Any], doubt: str) -> NoReturn:
    """Raise for a failed answer: unknown after a 5xx or a 409, refused otherwise."""
    if _in_doubt(response):
        raise GatewayOutcomeUnknown(refusal(response, error, doubt))
    raise GatewayError(refusal(response, error, doubt))
