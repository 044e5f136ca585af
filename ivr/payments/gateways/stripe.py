"""Stripe as the payment gateway: charges saved card tokens with the PaymentIntents API.

Card digits never reach this module. With Stripe, cards are captured by Twilio's
<Pay> through Stripe's Pay Connector, which either charges at once (no call to us)
or hands back a reusable Stripe token: a PaymentMethod ``pm_...``, a Customer
``cus_...``, or both as ``cus_...:pm_...``. This gateway charges those tokens
later: scheduled payments, AutoPay, arrangements and "pay with the card on file".

Whether a failed request charged: a 402 card error did not; a 4xx other than 402
and 409 did not (Stripe refused it before charging): those raise :class:`GatewayError`.
A 5xx, a 409 (another request with the key is still running), a read timeout, a
dropped connection after sending or an unreadable answer MIGHT have: those raise
:class:`GatewayOutcomeUnknown` and the payment is recorded as ``unknown``.

Stripe keeps an idempotency key's first answer (even a 500) and may prune keys after
24 hours, so a lost answer is never settled by replaying the key: ``ivr payments
reconcile`` looks the PaymentIntent up by the key kept in its metadata
(:meth:`StripeGateway.find_charge`, Stripe's search API).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import requests

from flows.ports import BankToken, CardToken, DeclineReason
from ivr.config import Settings
from ivr.errors import ConfigError, GatewayError, GatewayOutcomeUnknown
from ivr.payments.gateways.base import GatewayCharge, Settlement

DEFAULT_API_BASE = "https://api.stripe.com"
# Pinned so a change of the account's default version cannot change these shapes.
STRIPE_API_VERSION = "2025-12-15.clover"
TIMEOUT = (5, 10)  # seconds: connect, read
MAX_IDEMPOTENCY_KEY = 255  # Stripe's documented limit

_PM = r"pm_[A-Za-z0-9_]+"
_CUS = r"cus_[A-Za-z0-9]+"
_TOKEN = re.compile(rf"(?:(?P<cus>{_CUS}):)?(?P<pm>{_PM})|(?P<only_cus>{_CUS})")
_SAFE = re.compile(r"[^A-Za-z0-9_.\-]")

MAYBE_CHARGED = "the charge may have gone through; reconcile looks it up before charging again"
NO_KEYPAD = "keypad card capture is not supported with Stripe; use IVR_CARD_CAPTURE=pay"
NO_BANK = ("bank payments are not supported with Stripe yet (ACH debits need a mandate "
           "and account verification); use the sandbox gateway or a card")

# Stripe decline_code / code -> what the caller is told; anything else is a plain decline.
# incorrect_number / invalid_number also stay plain declines: a saved token cannot be
# re-keyed, the caller's only remedy is another card, and we add no hint for card testers.
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


def parse_token(token: str) -> tuple[str | None, str | None]:
    """Split a <Pay> token into (customer id, PaymentMethod id); GatewayError if not Stripe's."""
    match = _TOKEN.fullmatch(token or "")
    if match is None:
        raise GatewayError("not a Stripe card token (expected pm_..., cus_... or cus_...:pm_...)")
    return match["cus"] or match["only_cus"], match["pm"]


def decline_reason(error: Mapping[str, Any]) -> DeclineReason:
    """The caller-facing reason for a Stripe card error; decline_code is the more specific."""
    for key in (error.get("decline_code"), error.get("code")):
        if isinstance(key, str) and key in _DECLINES:
            return _DECLINES[key]
    return DeclineReason.DECLINED


def _safe(value: Any) -> str:
    """A Stripe identifier (type, code, request id) fit for a log line; never free text."""
    return _SAFE.sub("", str(value))[:60] if value else "-"


class StripeGateway:
    """Charges saved Stripe card tokens; keyed cards and bank accounts are refused."""

    name = "stripe"
    supports_bank = False
    supports_keypad_cards = False  # cards come from <Pay>; digits never pass through us

    def __init__(self, api_key: str, api_base: str = DEFAULT_API_BASE) -> None:
        """A gateway talking to ``api_base`` with a secret (``sk_``) or restricted (``rk_``) key."""
        self.api_base = api_base.rstrip("/")
        self._session = requests.Session()
        # Bearer auth is one of the two schemes Stripe documents (basic auth is the other).
        self._session.headers.update({"Authorization": f"Bearer {api_key}",
                                      "Stripe-Version": STRIPE_API_VERSION})

    def __repr__(self) -> str:
        return f"StripeGateway(api_base={self.api_base!r})"  # never the key

    @classmethod
    def from_settings(cls, settings: Settings) -> StripeGateway:
        """Build from ``IVR_STRIPE_API_KEY`` (required) and ``IVR_STRIPE_API_BASE``."""
        key = settings.stripe_api_key.strip()
        if not key:
            raise ConfigError("IVR_STRIPE_API_KEY must be set when IVR_PAYMENT_GATEWAY=stripe")
        if not key.startswith(("sk_", "rk_")):
            raise ConfigError("IVR_STRIPE_API_KEY must be a secret (sk_...) or restricted "
                              "(rk_...) key, not a publishable key")
        base = (settings.stripe_api_base or DEFAULT_API_BASE).strip()
        if not base.startswith(("https://", "http://")):
            raise ConfigError(f"IVR_STRIPE_API_BASE must be an http(s) URL, got {base!r}")
        return cls(key, base)

    def vault_card(self, number: str) -> CardToken:
        """Refused: card digits are captured by <Pay>, never sent through us."""
        raise GatewayError(NO_KEYPAD)

    def vault_security_code(self, card: CardToken, code: str) -> CardToken:
        """Refused, like :meth:`vault_card`."""
        raise GatewayError(NO_KEYPAD)

    def save_card(self, card: CardToken, expiry_mmyy: str) -> CardToken:
        """A <Pay> token is already reusable: keep it as it is, once checked."""
        parse_token(card.token)
        return card

    def charge(self, card: CardToken, expiry_mmyy: str, postal_code: str, amount_cents: int,
               idempotency_key: str, description: str) -> GatewayCharge:
        """Charge a saved token once per idempotency key (a retry replays the first answer).

        Expiry and postal code are not sent: Stripe already holds them with the token.
        Raises GatewayError when Stripe refused the request or its outcome is unknown.
        """
        if amount_cents <= 0:
            raise GatewayError("amount must be a positive number of cents")
        if not 0 < len(idempotency_key) <= MAX_IDEMPOTENCY_KEY:
            raise GatewayError("idempotency key must be 1-255 characters")
        form = _intent_form(card.token, amount_cents, idempotency_key, description)
        return _outcome(self._post("/v1/payment_intents", form, idempotency_key))

    def vault_bank_account(self, routing: str, account_number: str,
                           account_type: str) -> BankToken:
        """Refused: bank payments through Stripe are not built yet."""
        raise GatewayError(NO_BANK)

    def debit_bank(self, bank: BankToken, amount_cents: int, idempotency_key: str,
                   description: str) -> GatewayCharge:
        """Refused: bank payments through Stripe are not built yet."""
        raise GatewayError(NO_BANK)

    def settlement(self, reference: str) -> Settlement:
        """Refused: there are no Stripe bank debits to settle."""
        raise GatewayError(NO_BANK)

    def find_charge(self, idempotency_key: str) -> GatewayCharge | None:
        """The PaymentIntent whose metadata carries this key, as a charge; None if there is none.

        Stripe's search sees a new PaymentIntent within about a minute, so reconcile asks
        only about payments older than its grace period. Raises GatewayError when Stripe
        cannot be asked, GatewayOutcomeUnknown while the intent is still processing.
        """
        value = idempotency_key.replace("\\", "\\\\").replace("'", "\\'")
        params = {"query": f"metadata['idempotency_key']:'{value}'", "limit": "10"}
        try:
            response = self._session.get(self.api_base + "/v1/payment_intents/search",
                                         params=params, timeout=TIMEOUT)
        except requests.RequestException as error:
            raise GatewayError(f"could not search Stripe ({type(error).__name__})") from None
        return _found(response)

    def _post(self, path: str, form: list[tuple[str, str]], key: str) -> requests.Response:
        try:
            return self._session.post(self.api_base + path, data=form, timeout=TIMEOUT,
                                      headers={"Idempotency-Key": key})
        except requests.ConnectTimeout:
            raise GatewayError("could not connect to Stripe in time; nothing was sent") from None
        except requests.Timeout:
            raise GatewayOutcomeUnknown(f"Stripe did not answer in time; {MAYBE_CHARGED}") \
                from None
        except requests.RequestException as error:
            # from None: the chained exception would carry the full request into tracebacks.
            raise GatewayOutcomeUnknown(f"could not reach Stripe ({type(error).__name__}); "
                                        f"{MAYBE_CHARGED}") from None


def _intent_form(token: str, amount_cents: int, key: str,
                 description: str) -> list[tuple[str, str]]:
    """The form body for POST /v1/payment_intents, nested keys spelled as Stripe expects."""
    customer, payment_method = parse_token(token)
    form = [("amount", str(amount_cents)), ("currency", "usd"), ("confirm", "true"),
            # The payer is not there to authenticate (3-D Secure): scheduled runs and AutoPay
            # are merchant-initiated, and even during a call there is no browser. Stripe's
            # saved-card guide says to charge such payments with off_session=true, which also
            # waives return_url. MOTO is not used: it is for card details collected by phone
            # at the time of the order, and Stripe must enable it per account.
            ("off_session", "true"),
            # Cards only: a token for another kind of method must not be debited as a card.
            ("payment_method_types[0]", "card"),
            ("description", description[:1000]),
            ("metadata[idempotency_key]", key)]
    if payment_method:
        form.append(("payment_method", payment_method))
    if customer:
        # A PaymentMethod attached to a customer must be charged with that customer. With a
        # bare cus_ token Stripe charges the customer's default card.
        form.append(("customer", customer))
    return form


def _outcome(response: requests.Response) -> GatewayCharge:
    """Map Stripe's answer to approved / declined, or raise GatewayError."""
    status = response.status_code
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        # A proxy's error page or a cut-off body: whatever happened behind it is unknown.
        raise GatewayOutcomeUnknown(f"Stripe answered HTTP {status} with a body that is not "
                                    "a JSON object")
    if status == 200:
        return _from_intent(body)
    error = body.get("error")
    if not isinstance(error, dict):
        raise GatewayError(f"Stripe answered HTTP {status} without an error object")
    if status == 402 and error.get("type") == "card_error":
        intent = error.get("payment_intent")
        reference = intent.get("id") if isinstance(intent, dict) else None
        return GatewayCharge(approved=False, reference=str(reference or ""),
                             decline_reason=decline_reason(error))
    if status >= 500 or status == 409:
        raise GatewayOutcomeUnknown(_refusal(response, error))
    raise GatewayError(_refusal(response, error))


def _found(response: requests.Response) -> GatewayCharge | None:
    """A search answer: the matching intent as a charge (a succeeded one first), or None."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status_code != 200 or not isinstance(body, dict):
        error = body.get("error") if isinstance(body, dict) else None
        raise GatewayError(_refusal(response, error if isinstance(error, dict) else {}))
    intents = [item for item in body.get("data") or [] if isinstance(item, dict)]
    if not intents:
        return None
    succeeded = [item for item in intents if item.get("status") == "succeeded"]
    return _from_intent((succeeded or intents)[0])


def _refusal(response: requests.Response, error: Mapping[str, Any]) -> str:
    """A short message for a refused request: Stripe's type, code and request id, no text."""
    status = response.status_code
    detail = (f"type={_safe(error.get('type'))} code={_safe(error.get('code'))} "
              f"request={_safe(response.headers.get('Request-Id'))}")
    if status >= 500:
        return f"Stripe server error (HTTP {status}, {detail}); {MAYBE_CHARGED}"
    if status == 409:
        return (f"another request with this idempotency key is still running at Stripe "
                f"(HTTP 409, {detail}); {MAYBE_CHARGED}")
    if status == 400 and error.get("type") == "idempotency_error":
        return f"Stripe refused the idempotency key: reused with other parameters ({detail})"
    return f"{_REFUSED.get(status, f'Stripe refused the request (HTTP {status})')} ({detail})"


def _from_intent(intent: Mapping[str, Any]) -> GatewayCharge:
    """A 200 answer: the PaymentIntent after confirmation."""
    reference, state = intent.get("id"), intent.get("status")
    if intent.get("object") != "payment_intent" or not isinstance(reference, str):
        raise GatewayOutcomeUnknown("Stripe answered HTTP 200 without a PaymentIntent")
    if state == "succeeded":
        return GatewayCharge(approved=True, reference=reference)
    if state in ("requires_action", "requires_payment_method", "canceled"):
        # Authentication needed or the card failed: the payer cannot act on it off session.
        failure = intent.get("last_payment_error")
        reason = decline_reason(failure) if isinstance(failure, dict) else DeclineReason.DECLINED
        return GatewayCharge(approved=False, reference=reference, decline_reason=reason)
    # "processing" (or anything unexpected) may still take the money: never call it a decline.
    raise GatewayOutcomeUnknown(f"Stripe left payment {_safe(reference)} in status "
                                f"{_safe(state)}; reconcile before charging again")
