"""Reading Twilio's <Pay> action callback into the flow's neutral CaptureReport.

The field sets are those Twilio posts (see its <Pay> reference): a charge through the Pay
Connector, a card kept as a token, declines and errors, star and hang-up.
"""

from __future__ import annotations

import re

import pytest

from flows.capture import CaptureKind, CaptureReport
from flows.ports import CaptureResult, DeclineReason
from ivr.web.pay_form import PayTokens, capture_report, is_pay_result, pay_tokens
from tests.import_graph import ROOT

CALL = {"AccountSid": "AC" + "0" * 32, "CallSid": "CA" + "1" * 32, "From": "+14155550100",
        "To": "+18005550100", "Direction": "inbound", "ApiVersion": "2010-04-01"}

CHARGED = {**CALL, "Result": "success", "PaymentConfirmationCode": "ch_3Mx",
           "PaymentCardType": "visa", "PaymentCardNumber": "xxxx-xxxx-xxxx-4242",
           "ExpirationDate": "1230", "PaymentCardPostalCode": "94105",
           "PaymentToken": "", "ProfileId": ""}
KEPT = {**CALL, "Result": "success", "PaymentToken": "pm_1Nabc", "ProfileId": "cus_Qxyz",
        "PaymentCardType": "amex", "PaymentCardNumber": "xxxx-xxxxxx-x0005",
        "ExpirationDate": "0828", "PaymentCardPostalCode": "10001"}


def test_a_charge_is_read_with_its_reference_brand_and_last_four() -> None:
    assert capture_report(CHARGED) == CaptureReport(
        CaptureKind.SUCCESS, brand="Visa", last4="4242", expiry_mmyy="1230",
        postal_code="94105", reference="ch_3Mx")


def test_a_card_kept_on_file_is_read_with_its_token() -> None:
    assert capture_report(KEPT) == CaptureReport(
        CaptureKind.SUCCESS, brand="American Express", last4="0005", token="pm_1Nabc",
        expiry_mmyy="0828", postal_code="10001")


def test_stripe_asks_for_a_payment_method_and_keeps_it_with_its_customer() -> None:
    stripe = pay_tokens("stripe")
    assert stripe == PayTokens("payment-method", with_profile=True)
    assert capture_report(KEPT, stripe).token == "cus_Qxyz:pm_1Nabc"


@pytest.mark.parametrize(("token", "profile", "kept"), [
    ("pm_1Nabc", "", "pm_1Nabc"),  # no Customer came: the gateway attaches it to one
    ("", "cus_Qxyz", "cus_Qxyz"),  # a Customer alone, which the gateway then refuses
    ("", "", ""),
])
def test_a_stripe_token_is_what_came(token: str, profile: str, kept: str) -> None:
    form = {**KEPT, "PaymentToken": token, "ProfileId": profile}
    assert capture_report(form, pay_tokens("stripe")).token == kept


@pytest.mark.parametrize("gateway", ["sandbox", "authorizenet", ""])
def test_other_gateways_keep_twilios_default_and_the_token_alone(gateway: str) -> None:
    # Braintree's ProfileId, say, "cannot be used as a token" (Twilio's reference).
    assert pay_tokens(gateway) == PayTokens("reusable", with_profile=False)
    assert capture_report(KEPT, pay_tokens(gateway)).token == "pm_1Nabc"


def test_a_bank_account_keeps_only_the_last_digits_twilio_shows() -> None:
    form = {**CALL, "Result": "success", "PaymentMethod": "ach-debit",
            "BankAccountType": "consumer-checking", "BankRoutingNumber": "110000000",
            "BankAccountNumber": "**********89", "PaymentToken": "sbx-settle-1"}
    report = capture_report(form)
    assert (report.kind, report.last4, report.token, report.brand) == (
        CaptureKind.SUCCESS, "89", "sbx-settle-1", "")
    assert "110000000" not in repr(report)


@pytest.mark.parametrize(("form", "expected"), [
    ({"Result": "payment-connector-error", "ConnectorError": "card_declined",
      "PaymentError": "card_declined", "PayErrorCode": "0"},
     CaptureReport(CaptureKind.CONNECTOR_ERROR, decline_reason=DeclineReason.DECLINED)),
    ({"Result": "payment-connector-error", "ConnectorError": "insufficient_funds"},
     CaptureReport(CaptureKind.CONNECTOR_ERROR,
                   decline_reason=DeclineReason.INSUFFICIENT_FUNDS)),
    # Not a decline the gateway names: it may have charged, so no reason is claimed.
    ({"Result": "payment-connector-error", "ConnectorError": "gateway_timeout"},
     CaptureReport(CaptureKind.CONNECTOR_ERROR)),
    # Our own refusals are never read from the connector.
    ({"Result": "payment-connector-error", "ConnectorError": "balance_changed"},
     CaptureReport(CaptureKind.CONNECTOR_ERROR)),
    ({"Result": "too-many-failed-attempts", "PaymentError": "invalid-card-number",
      "ConnectorError": "card_declined"}, CaptureReport(CaptureKind.UNREADABLE)),
    ({"Result": "caller-interrupted-with-star"}, CaptureReport(CaptureKind.CANCELLED)),
    ({"Result": "caller-hung-up"}, CaptureReport(CaptureKind.HUNG_UP)),
    ({"Result": "validation-error", "PaymentError": "chargeAmount"},
     CaptureReport(CaptureKind.FAILED)),
    ({"Result": "internal-error"}, CaptureReport(CaptureKind.FAILED)),
    ({"Result": "something-new"}, CaptureReport(CaptureKind.FAILED)),
])
def test_every_result_is_read(form: dict[str, str], expected: CaptureReport) -> None:
    assert capture_report({**CALL, **form}) == expected


@pytest.mark.parametrize(("card_type", "brand", "label"), [
    ("visa", "Visa", "Visa"), ("mastercard", "Mastercard", "Mastercard"),
    ("discover", "Discover", "Discover"), ("VISA", "Visa", "Visa"),
    ("jcb", "", ""), ("", "", ""),
])
def test_card_types_are_named_as_the_caller_hears_them(card_type: str, brand: str,
                                                       label: str) -> None:
    captured = capture_report({**CHARGED, "PaymentCardType": card_type})
    assert (captured.brand, captured.label) == (brand, label)


def test_only_the_last_four_digits_are_kept() -> None:
    captured = capture_report({**CHARGED, "PaymentCardNumber": "4242424242424242"})
    assert captured.last4 == "4242" and "424242424242" not in repr(captured)


def test_a_pay_callback_is_told_from_keys() -> None:
    assert is_pay_result(CHARGED)
    assert not is_pay_result({**CALL, "Digits": "1"})


@pytest.mark.parametrize(("form", "ledger"), [
    (CHARGED, CaptureResult(approved=True, reference="ch_3Mx", label="Visa", last4="4242")),
    ({"Result": "payment-connector-error", "ConnectorError": "expired_card"},
     CaptureResult(approved=False, decline_reason=DeclineReason.EXPIRED_CARD)),
    ({"Result": "payment-connector-error", "ConnectorError": "processor_unavailable"},
     CaptureResult(approved=False, unknown=True)),
    ({"Result": "caller-hung-up"}, CaptureResult(approved=False, cancelled=True)),
    ({"Result": "caller-interrupted-with-star"}, CaptureResult(approved=False, cancelled=True)),
    ({"Result": "too-many-failed-attempts"}, CaptureResult(approved=False)),
    # No number: no card to name; no charge reference: nothing to find it by, so in doubt.
    ({"Result": "success", "PaymentCardType": "visa"}, CaptureResult(approved=False,
                                                                      unknown=True)),
])
def test_what_the_ledger_records_of_each_result(form: dict[str, str],
                                                ledger: CaptureResult) -> None:
    assert capture_report({**CALL, **form}).ledger_result() == ledger


PAY_FIELDS = ("Result", "PaymentConfirmationCode", "PaymentToken", "ProfileId",
              "PaymentCardNumber", "PaymentCardType", "ExpirationDate", "PaymentCardPostalCode",
              "PaymentError", "PayErrorCode", "ConnectorError", "BankAccountNumber")


def test_only_the_form_reader_knows_the_pay_fields() -> None:
    """The flow sees a CaptureReport; only ivr/web/pay_form.py (and the simulator, which
    plays Twilio's part) names <Pay>'s form fields."""
    quoted = re.compile("[\"'](" + "|".join(PAY_FIELDS) + ")[\"']")
    knowing = {path.relative_to(ROOT).as_posix()
               for folder in ("flows", "ivr") for path in (ROOT / folder).rglob("*.py")
               if quoted.search(path.read_text(encoding="utf-8"))}
    assert {p for p in knowing if not p.startswith("ivr/sim/")} == {"ivr/web/pay_form.py"}
