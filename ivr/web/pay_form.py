"""Twilio's ``<Pay>`` action callback, read into the flow's neutral :class:`CaptureReport`.

This is the one place that knows ``<Pay>``'s form fields (``Result``, ``PaymentCardType``,
``PaymentCardNumber``, ``ConnectorError``, ...). Only what the flow may see is read:
outcomes, the card's brand and last four, the gateway's token; never the card itself
(``PaymentCardNumber`` arrives masked, and only its last four digits are kept; a bank
account's ``BankAccountNumber`` shows only its last two, and only those are kept).

What a Pay Connector returns as a token differs by connector (Twilio's reference lists
``PaymentToken`` and ``ProfileId`` for each): :data:`PAY_TOKENS` says, for each gateway,
which ``tokenType`` to ask for and how its answer becomes the token the gateway charges.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from flows.capture import CONNECTOR_DECLINES, CaptureKind, CaptureReport
from flows.cards import Brand
from flows.ports import DeclineReason

RESULT_FIELD = "Result"

# <Pay>'s Result values; any other (validation-error, internal-error, ...) is a failure.
RESULTS = {
    "success": CaptureKind.SUCCESS,
    "caller-interrupted-with-star": CaptureKind.CANCELLED,
    "caller-hung-up": CaptureKind.HUNG_UP,
    "too-many-failed-attempts": CaptureKind.UNREADABLE,
    "payment-connector-error": CaptureKind.CONNECTOR_ERROR,
}

# PaymentCardType values of the brands the line knows; any other card is named without one
# ("the card ending in ..."), never by a word made up from Twilio's code.
CARD_TYPES = {"visa": Brand.VISA, "mastercard": Brand.MASTERCARD, "amex": Brand.AMEX,
              "discover": Brand.DISCOVER}
_NOT_DIGITS = re.compile(r"\D")


@dataclass(frozen=True)
class PayTokens:
    """How a gateway's Pay Connector tokenises for later.

    ``token_type`` is the ``tokenType`` <Pay> asks for (Twilio's default is ``reusable``).
    ``with_profile``: the token is kept with the customer it belongs to, ``ProfileId``, as
    ``<ProfileId>:<PaymentToken>`` (the form the gateway charges).
    """

    token_type: str = "reusable"
    with_profile: bool = False


# Stripe's connector with tokenType=payment-method returns a PaymentMethod (pm_...) as
# PaymentToken (Twilio changelog, 2024-04-09), and may name a Stripe Customer (cus_...) as
# ProfileId (changelog, 2019-11-21); Stripe charges a method on a Customer with it, so the
# two go together as cus_...:pm_..., which the gateway checks against the method's own.
# Any other gateway keeps Twilio's default, reusable, and PaymentToken alone.
PAY_TOKENS = {"stripe": PayTokens("payment-method", with_profile=True)}


def pay_tokens(gateway_name: str) -> PayTokens:
    """How <Pay> tokenises for the gateway named ``gateway_name``."""
    return PAY_TOKENS.get(gateway_name, PayTokens())


def is_pay_result(form: Mapping[str, str]) -> bool:
    """True when a turn's form is <Pay>'s action callback rather than keys."""
    return RESULT_FIELD in form


def capture_report(form: Mapping[str, str], tokens: PayTokens | None = None) -> CaptureReport:
    """What <Pay> reported, in the flow's terms; ``tokens`` says how its token is read."""
    kind = RESULTS.get(form.get(RESULT_FIELD, ""), CaptureKind.FAILED)
    card_type = form.get("PaymentCardType", "").lower()
    masked = form.get("BankAccountNumber") or form.get("PaymentCardNumber", "")
    return CaptureReport(
        kind=kind, brand=CARD_TYPES.get(card_type, ""),
        last4=_NOT_DIGITS.sub("", masked)[-4:], token=_token(form, tokens or PayTokens()),
        expiry_mmyy=form.get("ExpirationDate", ""),
        postal_code=form.get("PaymentCardPostalCode", ""),
        reference=form.get("PaymentConfirmationCode", ""),
        decline_reason=_decline(form) if kind is CaptureKind.CONNECTOR_ERROR else None)


def _token(form: Mapping[str, str], tokens: PayTokens) -> str:
    """The token to charge later. With ``with_profile``, a ProfileId that came without a
    PaymentToken is the whole token: the gateway then refuses it (it names no method)."""
    token, profile = form.get("PaymentToken", ""), form.get("ProfileId", "")
    if not (tokens.with_profile and profile):
        return token
    return f"{profile}:{token}" if token else profile


def _decline(form: Mapping[str, str]) -> DeclineReason | None:
    """The gateway's decline code (``ConnectorError``), when it is one the caller is told."""
    code = form.get("ConnectorError", "")
    return next((known for known in CONNECTOR_DECLINES if known.value == code), None)
