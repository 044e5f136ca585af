"""The form bodies the Stripe gateway sends, nested keys spelled as Stripe's API expects.

Stripe takes ``application/x-www-form-urlencoded`` bodies with nested keys in brackets
(``payment_method_data[card][number]``). Each builder returns the fields in a fixed order:
a retried request must carry the very same parameters, or Stripe answers an
``idempotency_error`` instead of replaying its first answer.

Card digits appear only in the lists :func:`card_fields` returns, which go straight into the
request body: no message built here ever quotes a field's value.
"""

from __future__ import annotations

import re

from ivr.errors import GatewayError
from ivr.security.card_store import CardDetails

MAX_IDEMPOTENCY_KEY = 255  # Stripe's documented limit

_PM = r"pm_[A-Za-z0-9_]+"
_CUS = r"cus_[A-Za-z0-9]+"
_TOKEN = re.compile(rf"(?:(?P<cus>{_CUS}):)?(?P<pm>{_PM})|(?P<only_cus>{_CUS})")

NOT_A_CHARGE = ("a Stripe Customer without a PaymentMethod is not a charge instruction; "
                "set tokenType=payment-method")

# What a keyed card's fields must look like before they are sent; the name is what a
# message may say, never the value.
_CARD_CHECKS = (
    ("number", re.compile(r"\d{12,19}"), "card number"),
    ("expiry_mmyy", re.compile(r"(?:0[1-9]|1[0-2])\d\d"), "expiry date"),
    ("security_code", re.compile(r"\d{3,4}"), "security code"),
    ("postal_code", re.compile(r"[A-Za-z0-9][A-Za-z0-9 -]{1,9}"), "billing ZIP code"),
)

Form = list[tuple[str, str]]


def parse_token(token: str) -> tuple[str | None, str | None]:
    """Split a token into (customer id, PaymentMethod id); GatewayError if not Stripe's."""
    match = _TOKEN.fullmatch(token or "")
    if match is None:
        raise GatewayError("not a Stripe card token (expected pm_..., cus_... or cus_...:pm_...)")
    return match["cus"] or match["only_cus"], match["pm"]


def charge_instruction(token: str) -> tuple[str | None, str]:
    """(customer or None, PaymentMethod) of a token that names a card to charge.

    A bare ``cus_`` token is refused: Stripe would charge whatever the Customer's default
    method is at the time, which is not the card the payer gave us.
    """
    customer, payment_method = parse_token(token)
    if payment_method is None:
        raise GatewayError(NOT_A_CHARGE)
    return customer, payment_method


def check_charge(amount_cents: int, idempotency_key: str) -> None:
    """Refuse, before sending anything, an amount or key Stripe would refuse."""
    if amount_cents <= 0:
        raise GatewayError("amount must be a positive number of cents")
    if not 0 < len(idempotency_key) <= MAX_IDEMPOTENCY_KEY:
        raise GatewayError("idempotency key must be 1-255 characters")


def card_fields(card: CardDetails, prefix: str = "payment_method_data") -> Form:
    """The keyed card as ``payment_method_data``: number, expiry, code and billing ZIP.

    Raises GatewayError naming the first malformed field (never its value) before
    anything is sent.
    """
    for attribute, pattern, label in _CARD_CHECKS:
        if not pattern.fullmatch(getattr(card, attribute) or ""):
            raise GatewayError(f"the keyed card's {label} is missing or malformed; "
                               "nothing was sent")
    month, year = int(card.expiry_mmyy[:2]), 2000 + int(card.expiry_mmyy[2:])
    return [(f"{prefix}[type]", "card"),
            (f"{prefix}[card][number]", card.number),
            (f"{prefix}[card][exp_month]", str(month)),
            (f"{prefix}[card][exp_year]", str(year)),  # Stripe wants four digits
            (f"{prefix}[card][cvc]", card.security_code),
            (f"{prefix}[billing_details][address][postal_code]", card.postal_code)]


def keyed_intent_form(card: CardDetails, amount_cents: int, key: str,
                      description: str) -> Form:
    """POST /v1/payment_intents for a card keyed on the call, created and confirmed at once.

    Stripe's MOTO guide (docs.stripe.com/payments/payment-intents/moto): a card collected
    by telephone is flagged ``payment_method_options[card][moto]``, which takes it out of
    Strong Customer Authentication. Stripe must enable MOTO on the account (after checking
    PCI compliance) and accept raw card numbers through the API ("raw card data APIs"),
    or it refuses these requests. ``setup_future_usage=off_session`` lets the
    PaymentMethod be attached to a Customer after the charge, when the caller asks to
    keep the card; without a Customer on the intent it stays unattached until then.
    """
    return [("amount", str(amount_cents)), ("currency", "usd"), ("confirm", "true"),
            ("payment_method_types[0]", "card"),
            *card_fields(card),
            ("payment_method_options[card][moto]", "true"),
            ("setup_future_usage", "off_session"),
            ("description", description[:1000]),
            ("metadata[idempotency_key]", key)]


def saved_intent_form(customer: str | None, payment_method: str, amount_cents: int, key: str,
                      description: str) -> Form:
    """POST /v1/payment_intents for a card on file (or a ``<Pay>`` token)."""
    form = [("amount", str(amount_cents)), ("currency", "usd"), ("confirm", "true"),
            # The payer is not there to authenticate (3-D Secure): scheduled runs and
            # AutoPay are merchant-initiated, and even during a call there is no browser.
            # Stripe's saved-card guide says to charge such payments with off_session=true.
            ("off_session", "true"),
            # Cards only: a token for another kind of method must not be debited as a card.
            ("payment_method_types[0]", "card"),
            ("description", description[:1000]),
            ("metadata[idempotency_key]", key),
            ("payment_method", payment_method)]
    if customer:
        # A PaymentMethod attached to a Customer must be charged with that Customer.
        form.append(("customer", customer))
    return form


def setup_form(fields: Form, customer: str) -> Form:
    """POST /v1/setup_intents keeping a keyed card for ``customer`` without charging it.

    The MOTO guide's "collect a card for future payments": create and confirm a SetupIntent
    with the card and ``payment_method_options[card][moto]`` (the reference allows it at
    confirmation, which ``confirm=true`` is). With ``customer`` set, Stripe attaches the
    PaymentMethod to that Customer when the setup succeeds: no separate attach call.
    """
    return [("confirm", "true"), ("customer", customer), ("usage", "off_session"),
            ("payment_method_types[0]", "card"),
            *fields,
            ("payment_method_options[card][moto]", "true")]
