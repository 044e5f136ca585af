"""Twilio's ``<Pay>`` action callback, read into the flow's neutral :class:`CaptureReport`.

This is the one place that knows ``<Pay>``'s form fields (``Result``, ``PaymentCardType``,
``PaymentCardNumber``, ``ConnectorError``, ...). Only what the flow may see is read:
outcomes, the card's brand and last four, a vault token; never the card itself
(``PaymentCardNumber`` arrives masked, and only its last four digits are kept).
"""

from __future__ import annotations

from collections.abc import Mapping

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


def is_pay_result(form: Mapping[str, str]) -> bool:
    """True when a turn's form is <Pay>'s action callback rather than keys."""
    return RESULT_FIELD in form


def capture_report(form: Mapping[str, str]) -> CaptureReport:
    """What <Pay> reported, in the flow's terms."""
    kind = RESULTS.get(form.get(RESULT_FIELD, ""), CaptureKind.FAILED)
    card_type = form.get("PaymentCardType", "").lower()
    return CaptureReport(
        kind=kind, brand=CARD_TYPES.get(card_type, ""),
        last4=form.get("PaymentCardNumber", "")[-4:], token=form.get("PaymentToken", ""),
        expiry_mmyy=form.get("ExpirationDate", ""),
        postal_code=form.get("PaymentCardPostalCode", ""),
        reference=form.get("PaymentConfirmationCode", ""),
        decline_reason=_decline(form) if kind is CaptureKind.CONNECTOR_ERROR else None)


def _decline(form: Mapping[str, str]) -> DeclineReason | None:
    """The gateway's decline code (``ConnectorError``), when it is one the caller is told."""
    code = form.get("ConnectorError", "")
    return next((known for known in CONNECTOR_DECLINES if known.value == code), None)
