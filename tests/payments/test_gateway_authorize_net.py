"""The Authorize.Net authorize_net: the requests it sends, in the schema's order, and what it makes
of Authorize.Net's answers (shaped like its API reference's samples, byte order mark and all).
"""

from __future__ import annotations

from dataclasses import replace

import pytest
import requests
import requests_mock as rm
from urllib3.exceptions import MaxRetryError, NewConnectionError

from flows.ports import DeclineReason
from ivr.errors import GatewayError, GatewayOutcomeUnknown
from ivr.payments.gateways import authorize_net_api as api
from ivr.payments.gateways.authorize_net import ACCEPT_TIMEOUT, AuthorizeNetGateway
from ivr.payments.gateways.base import GatewayCharge
from ivr.security.card_store import CardDetails
from tests.authorize_net_helpers import (
    BANK,
    CARD,
    DESCRIPTION,
    KEY,
    LOGIN,
    SECRET,
    TRANS_ID,
    URL,
    batches,
    details,
    error,
    in_order,
    listed,
    payment_profile,
    profile,
    row,
    sent,
    serve,
    transaction,
    wire,
    wire_order,
)

AUTH = {"name": LOGIN, "transactionKey": SECRET}
SETTINGS = {"setting": [{"settingName": "duplicateWindow", "settingValue": "28800"}]}
USER_FIELDS = {"userField": [{"name": "idempotency_key", "value": KEY}]}
ORDER = {"invoiceNumber": api.invoice(KEY), "description": DESCRIPTION}



def charge_card(authorize_net: AuthorizeNetGateway, card: CardDetails = CARD) -> GatewayCharge:
    """Charge $45.50 to a keyed card, as a payment written ahead is sent."""
    return authorize_net.charge_card(card, 4550, KEY, DESCRIPTION)


def test_a_keyed_card_is_one_moto_transaction_in_the_schemas_order(
        authorize_net: AuthorizeNetGateway, requests_mock: rm.Mocker) -> None:
    serve(requests_mock, createTransactionRequest=transaction())
    charge_card(authorize_net)
    request = requests_mock.last_request
    assert request is not None and request.url == URL and request.method == "POST"
    assert request.headers["Content-Type"] == "application/json"
    assert wire_order(requests_mock) == in_order({"createTransactionRequest": {
        "merchantAuthentication": AUTH,
        "refId": api.invoice(KEY),
        "transactionRequest": {
            "transactionType": "authCaptureTransaction",
            "amount": "45.50",
            "payment": {"creditCard": {"cardNumber": "4111111111111111",
                                       "expirationDate": "2028-12", "cardCode": "842"}},
            "order": ORDER,
            "billTo": {"zip": "46282"},
            "retail": {"marketType": "1"},
            "transactionSettings": SETTINGS,
            "userFields": USER_FIELDS}}})


def test_an_approved_card_can_be_kept_by_its_transaction(authorize_net: AuthorizeNetGateway,
                                                         requests_mock: rm.Mocker) -> None:
    serve(requests_mock, createTransactionRequest=transaction())
    assert charge_card(authorize_net) == GatewayCharge(approved=True, reference=TRANS_ID,
                                                 reusable=TRANS_ID)


@pytest.mark.parametrize(("cents", "dollars"), [(1, "0.01"), (4550, "45.50"), (100, "1.00"),
                                                (123456789, "1234567.89")])
def test_amounts_are_whole_cents_written_as_dollars(cents: int, dollars: str) -> None:
    assert api.amount(cents) == dollars


def test_the_invoice_number_is_a_stable_20_character_digest_of_the_key() -> None:
    assert len(api.invoice(KEY)) == 20 and api.invoice(KEY) == api.invoice(KEY)
    assert api.invoice(KEY) != api.invoice(KEY[:-1] + "2")
    assert len(api.invoice("x" * 128)) == 20


def test_lists_are_read_as_arrays_or_wrapped_in_their_element() -> None:
    returned = {"id": "2148878904", "code": "R01"}
    assert api.items([returned, "junk"]) == [returned]
    assert api.items({"returnedItem": [returned]}) == api.items({"returnedItem": returned}) \
        == api.items(returned) == [returned]
    assert api.items(None) == api.items("") == []


@pytest.mark.parametrize(("code", "reason", "expected"), [
    ("2", "2", DeclineReason.DECLINED),  # the issuer's decline (insufficient funds too)
    ("2", "4", DeclineReason.DECLINED),  # pick up card
    ("2", "27", DeclineReason.DECLINED),  # AVS mismatch: the ZIP
    ("3", "8", DeclineReason.EXPIRED_CARD),
    ("2", "44", DeclineReason.INCORRECT_CVC),
    ("2", "45", DeclineReason.INCORRECT_CVC),
    ("2", "65", DeclineReason.INCORRECT_CVC),
    ("3", "78", DeclineReason.INCORRECT_CVC),
    ("3", "6", DeclineReason.DECLINED),  # the card number is invalid
    ("3", "19", DeclineReason.PROCESSING_ERROR),
    ("3", "57", DeclineReason.PROCESSING_ERROR),
    ("3", "33", DeclineReason.PROCESSING_ERROR),  # any other error
])
def test_declines_and_errors_are_mapped_by_reason_code(
        authorize_net: AuthorizeNetGateway, requests_mock: rm.Mocker, code: str, reason: str,
        expected: DeclineReason) -> None:
    serve(requests_mock, createTransactionRequest=transaction(code, reason, trans_id="0"))
    assert charge_card(authorize_net) == GatewayCharge(approved=False, reference="",
                                                 decline_reason=expected)


def test_a_decline_keeps_its_transaction_id(authorize_net: AuthorizeNetGateway,
                                            requests_mock: rm.Mocker) -> None:
    serve(requests_mock, createTransactionRequest=transaction("2", "2"))
    charge = charge_card(authorize_net)
    assert (charge.approved, charge.reference, charge.reusable) == (False, TRANS_ID, "")


@pytest.mark.parametrize("answer", [
    transaction("4", "252", "Your order has been received. Thank you for your business!"),
    transaction("3", "120", "An error occurred during processing. Please try again."),
    transaction("1", trans_id="0"),  # approved in test mode: nothing to settle or look up
])
def test_held_for_review_or_a_failed_system_void_is_unknown(
        authorize_net: AuthorizeNetGateway, requests_mock: rm.Mocker, answer: api.Json) -> None:
    serve(requests_mock, createTransactionRequest=answer)
    with pytest.raises(GatewayOutcomeUnknown, match="reconcile"):
        charge_card(authorize_net)


def test_a_duplicate_returns_the_first_transactions_outcome(
        authorize_net: AuthorizeNetGateway, requests_mock: rm.Mocker) -> None:
    serve(requests_mock,
          createTransactionRequest=transaction("3", "11", "A duplicate transaction has been "
                                               "submitted."),
          getTransactionDetailsRequest=details("capturedPendingSettlement"))
    assert charge_card(authorize_net) == GatewayCharge(approved=True, reference=TRANS_ID,
                                                 reusable=TRANS_ID)
    assert sent(requests_mock)[1] == ("getTransactionDetailsRequest",
                                      {"merchantAuthentication": AUTH, "transId": TRANS_ID})


def test_a_duplicate_of_a_decline_is_that_decline(authorize_net: AuthorizeNetGateway,
                                                  requests_mock: rm.Mocker) -> None:
    serve(requests_mock, createTransactionRequest=transaction("3", "11"),
          getTransactionDetailsRequest=details("declined", response_code=2, reason=65))
    assert charge_card(authorize_net) == GatewayCharge(
        approved=False, reference=TRANS_ID, decline_reason=DeclineReason.INCORRECT_CVC)


def test_a_duplicate_without_its_original_is_looked_up_by_invoice(
        authorize_net: AuthorizeNetGateway, requests_mock: rm.Mocker) -> None:
    serve(requests_mock, createTransactionRequest=transaction("3", "11", trans_id="0"),
          getUnsettledTransactionListRequest=listed(row()),
          getTransactionDetailsRequest=details("capturedPendingSettlement"))
    assert charge_card(authorize_net).approved
    assert [name for name, _ in sent(requests_mock)] == [
        "createTransactionRequest", "getUnsettledTransactionListRequest",
        "getUnsettledTransactionListRequest", "getTransactionDetailsRequest"]


@pytest.mark.parametrize("lookups", [
    {"getTransactionDetailsRequest": error("E00040", "The record cannot be found."),
     "getUnsettledTransactionListRequest": error("E00007", "User authentication failed.")},
    {"getTransactionDetailsRequest": error("E00040", "The record cannot be found."),
     "getUnsettledTransactionListRequest": listed(), "getSettledBatchListRequest": batches()},
])
def test_a_duplicate_whose_original_cannot_be_read_is_unknown(
        authorize_net: AuthorizeNetGateway, requests_mock: rm.Mocker,
        lookups: dict[str, api.Json]) -> None:
    serve(requests_mock, createTransactionRequest=transaction("3", "11"), **lookups)
    with pytest.raises(GatewayOutcomeUnknown, match="duplicate"):
        charge_card(authorize_net)


def test_a_bank_account_is_debited_as_a_tel_entry_and_stays_pending(
        authorize_net: AuthorizeNetGateway, requests_mock: rm.Mocker) -> None:
    serve(requests_mock, createTransactionRequest=transaction(bank=True))
    charge = authorize_net.debit_bank(BANK, 4550, KEY, DESCRIPTION)
    assert charge == GatewayCharge(approved=True, reference=TRANS_ID, pending=True,
                                   reusable=TRANS_ID)
    assert wire_order(requests_mock) == in_order({"createTransactionRequest": {
        "merchantAuthentication": AUTH,
        "refId": api.invoice(KEY),
        "transactionRequest": {
            "transactionType": "authCaptureTransaction",
            "amount": "45.50",
            "payment": {"bankAccount": {"accountType": "checking", "routingNumber": "021000021",
                                        "accountNumber": "9876543210",
                                        "nameOnAccount": "ACCOUNT HOLDER",
                                        "echeckType": "TEL"}},
            "order": ORDER,
            "transactionSettings": SETTINGS,
            "userFields": USER_FIELDS}}})


@pytest.mark.parametrize(("kind", "pending"), [("card", False), ("bank", True)])
def test_a_method_on_file_is_charged_through_its_profile(
        authorize_net: AuthorizeNetGateway, requests_mock: rm.Mocker, kind: str,
        pending: bool) -> None:
    serve(requests_mock, createTransactionRequest=transaction(bank=pending))
    charge = authorize_net.charge_saved(kind, "27388924:25000332", 4550, KEY, DESCRIPTION)
    assert charge == GatewayCharge(approved=True, reference=TRANS_ID, pending=pending)
    assert wire_order(requests_mock) == in_order({"createTransactionRequest": {
        "merchantAuthentication": AUTH,
        "refId": api.invoice(KEY),
        "transactionRequest": {
            "transactionType": "authCaptureTransaction",
            "amount": "45.50",
            "profile": {"customerProfileId": "27388924",
                        "paymentProfile": {"paymentProfileId": "25000332"}},
            "order": ORDER,
            "transactionSettings": SETTINGS,
            "userFields": USER_FIELDS}}})


@pytest.mark.parametrize(("kind", "token"), [("card", "pm_123"), ("card", "27388924"),
                                             ("card", "1:2:3"), ("cash", "1:2")])
def test_a_token_or_kind_that_is_not_a_profile_is_refused_unsent(
        authorize_net: AuthorizeNetGateway, requests_mock: rm.Mocker, kind: str,
        token: str) -> None:
    with pytest.raises(GatewayError):
        authorize_net.charge_saved(kind, token, 4550, KEY, DESCRIPTION)
    assert not requests_mock.called


def test_pay_tokens_are_accepted_only_as_profile_pairs(authorize_net: AuthorizeNetGateway,
                                                     requests_mock: rm.Mocker) -> None:
    for token in ("", "cus_123", "pm_1:pm_2", "190178"):
        with pytest.raises(GatewayError, match="customerProfileId:paymentProfileId"):
            authorize_net.accept_token("card", token)
    assert not requests_mock.called


@pytest.mark.parametrize("kind", ["card", "bank"])
def test_a_pay_token_is_accepted_once_its_profile_holds_that_kind(
        authorize_net: AuthorizeNetGateway, requests_mock: rm.Mocker, kind: str) -> None:
    serve(requests_mock, getCustomerPaymentProfileRequest=payment_profile(kind))
    assert authorize_net.accept_token(kind, "190178:157497") == "190178:157497"
    [(name, body)] = sent(requests_mock)
    assert (name, list(body)) == ("getCustomerPaymentProfileRequest", [
        "merchantAuthentication", "customerProfileId", "customerPaymentProfileId"])
    assert (body["customerProfileId"], body["customerPaymentProfileId"]) == ("190178",
                                                                              "157497")
    # one request, with a wait that fits inside Twilio's 15-second webhook turn
    assert requests_mock.last_request is not None
    assert requests_mock.last_request.timeout == ACCEPT_TIMEOUT
    assert sum(ACCEPT_TIMEOUT) < 15


@pytest.mark.parametrize(("kind", "held"), [("card", "bank"), ("bank", "card")])
def test_a_pay_token_of_the_other_kind_is_refused(authorize_net: AuthorizeNetGateway,
                                                  requests_mock: rm.Mocker, kind: str,
                                                  held: str) -> None:
    # A bank account debited as a card would skip the TEL authorisation; a card "debited"
    # as a bank account would be recorded pending for days.
    serve(requests_mock, getCustomerPaymentProfileRequest=payment_profile(held))
    with pytest.raises(GatewayError, match=f"holds {held} payment method, not a {kind}"):
        authorize_net.accept_token(kind, "190178:157497")


@pytest.mark.parametrize("answer", [
    error("E00040", "The record cannot be found."),
    {"paymentProfile": {"customerPaymentProfileId": "157497"}, "messages": {
        "resultCode": "Ok", "message": [{"code": "I00001", "text": "Successful."}]}},
], ids=["no such profile", "no payment in it"])
def test_a_pay_token_without_a_payment_is_refused(authorize_net: AuthorizeNetGateway,
                                                  requests_mock: rm.Mocker,
                                                  answer: dict[str, object]) -> None:
    serve(requests_mock, getCustomerPaymentProfileRequest=answer)
    with pytest.raises(GatewayError):
        authorize_net.accept_token("card", "190178:157497")


def test_a_slow_profile_lookup_refuses_the_token_within_the_turn(
        authorize_net: AuthorizeNetGateway, requests_mock: rm.Mocker) -> None:
    requests_mock.post(URL, exc=requests.exceptions.ReadTimeout)
    with pytest.raises(GatewayError, match="ReadTimeout") as caught:
        authorize_net.accept_token("bank", "190178:157497")
    assert type(caught.value) is GatewayError  # nothing moves money here


def test_an_approved_charge_is_kept_as_a_profile_made_from_it(
        authorize_net: AuthorizeNetGateway, requests_mock: rm.Mocker) -> None:
    serve(requests_mock, createCustomerProfileFromTransactionRequest=profile("1929820324",
                                                                             "1841987457"))
    assert authorize_net.keep("card", TRANS_ID) == "1929820324:1841987457"
    [(name, body)] = sent(requests_mock)
    assert name == "createCustomerProfileFromTransactionRequest"
    assert list(body) == ["merchantAuthentication", "transId", "customer"]
    assert body["transId"] == TRANS_ID
    assert len(body["customer"]["merchantCustomerId"]) == 20


def test_a_card_is_saved_without_a_charge(authorize_net: AuthorizeNetGateway,
                                          requests_mock: rm.Mocker) -> None:
    serve(requests_mock, createCustomerProfileRequest=profile())
    assert authorize_net.save_card(CARD) == "190178:157497"
    [(_, body)] = sent(requests_mock)
    reference = body["profile"]["merchantCustomerId"]
    assert wire_order(requests_mock) == in_order({"createCustomerProfileRequest": {
        "merchantAuthentication": AUTH,
        "profile": {"merchantCustomerId": reference,
                    "description": "kept by the phone payment line",
                    "paymentProfiles": {
                        "customerType": "individual", "billTo": {"zip": "46282"},
                        "payment": {"creditCard": {"cardNumber": "4111111111111111",
                                                   "expirationDate": "2028-12",
                                                   "cardCode": "842"}}}},
        "validationMode": "testMode"}})


def test_a_bank_account_is_saved_for_tel_debits(authorize_net: AuthorizeNetGateway,
                                                requests_mock: rm.Mocker) -> None:
    serve(requests_mock, createCustomerProfileRequest=profile("190179", "157498"))
    assert authorize_net.save_bank(BANK) == "190179:157498"
    [(_, body)] = sent(requests_mock)
    assert list(body["profile"]["paymentProfiles"]) == ["customerType", "payment"]
    assert body["profile"]["paymentProfiles"]["payment"]["bankAccount"]["echeckType"] == "TEL"


def test_a_profile_refused_is_an_error(authorize_net: AuthorizeNetGateway,
                                       requests_mock: rm.Mocker) -> None:
    serve(requests_mock, createCustomerProfileRequest=error(
        "E00039", "A duplicate record with ID 39223758 already exists."))
    with pytest.raises(GatewayError, match="E00039"):
        authorize_net.save_card(CARD)


@pytest.mark.parametrize(("answer", "unknown"), [
    (error("E00007", "User authentication failed due to invalid authentication values."),
     False),
    (error("E00003", "The 'AnetApi/xml/v1/schema/AnetApiSchema.xsd:cardNumber' element is "
                     "invalid - The value '4111111111111111' is invalid."), False),
    (error("E00001", "An error occurred during processing. Please try again."), True),
    ({"refId": "x", "messages": {"resultCode": "Ok", "message": []}}, True),
])
def test_an_answer_without_a_transaction(authorize_net: AuthorizeNetGateway,
                                         requests_mock: rm.Mocker, answer: api.Json,
                                         unknown: bool) -> None:
    serve(requests_mock, createTransactionRequest=answer)
    with pytest.raises(GatewayError) as caught:
        charge_card(authorize_net)
    assert isinstance(caught.value, GatewayOutcomeUnknown) == unknown
    assert "4111" not in str(caught.value)


def dropped_before_connecting() -> requests.ConnectionError:
    """What requests raises when the host refuses the connection: nothing was sent."""
    refused = NewConnectionError(None, "Failed to establish a new connection")  # type: ignore[arg-type]
    return requests.ConnectionError(MaxRetryError(None, "/xml/v1/request.api", refused))  # type: ignore[arg-type]


@pytest.mark.parametrize("failure", [requests.ReadTimeout("read timed out"),
                                     requests.ConnectionError("Connection aborted."),
                                     requests.exceptions.ChunkedEncodingError("cut")])
def test_a_lost_reply_is_unknown(authorize_net: AuthorizeNetGateway, requests_mock: rm.Mocker,
                                 failure: Exception) -> None:
    requests_mock.post(URL, exc=failure)
    with pytest.raises(GatewayOutcomeUnknown) as caught:
        charge_card(authorize_net)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


@pytest.mark.parametrize("failure", [requests.ConnectTimeout("connect timed out"),
                                     dropped_before_connecting()])
def test_a_connection_never_made_charged_nothing(authorize_net: AuthorizeNetGateway,
                                                 requests_mock: rm.Mocker,
                                                 failure: Exception) -> None:
    requests_mock.post(URL, exc=failure)
    with pytest.raises(GatewayError) as caught:
        authorize_net.debit_bank(BANK, 4550, KEY, DESCRIPTION)
    assert type(caught.value) is GatewayError and "nothing was sent" in str(caught.value)


@pytest.mark.parametrize(("status", "body", "unknown"), [
    (500, b"<html>Internal Server Error</html>", True),
    (503, b"", True),
    (200, b"<html>authorize_net timeout</html>", True),
    (200, b"\xef\xbb\xbf{\"transactionResponse\": ", True),
    (404, b"Not Found", False),
])
def test_a_server_error_or_unreadable_answer(authorize_net: AuthorizeNetGateway,
                                             requests_mock: rm.Mocker, status: int,
                                             body: bytes, unknown: bool) -> None:
    requests_mock.post(URL, status_code=status, content=body)
    with pytest.raises(GatewayError) as caught:
        charge_card(authorize_net)
    assert isinstance(caught.value, GatewayOutcomeUnknown) == unknown


def test_the_byte_order_mark_is_read_past(authorize_net: AuthorizeNetGateway,
                                          requests_mock: rm.Mocker) -> None:
    answer = wire(transaction())
    assert answer.startswith(b"\xef\xbb\xbf")
    requests_mock.post(URL, content=answer)
    assert charge_card(authorize_net).approved


def test_nothing_is_sent_for_a_card_not_completely_keyed(authorize_net: AuthorizeNetGateway,
                                                         requests_mock: rm.Mocker) -> None:
    with pytest.raises(GatewayError, match="nothing was sent"):
        charge_card(authorize_net, CardDetails("4111111111111111", "1228"))
    with pytest.raises(GatewayError, match="positive"):
        authorize_net.charge_card(CARD, 0, KEY, DESCRIPTION)
    assert not requests_mock.called


def test_the_name_on_the_bill_is_the_name_on_the_account_cut_to_the_schemas_length(
        authorize_net: AuthorizeNetGateway, requests_mock: rm.Mocker) -> None:
    serve(requests_mock, createTransactionRequest=transaction(bank=True))
    named = replace(BANK, holder_name="Jordan Alexandra Rivera-Montgomery")
    authorize_net.debit_bank(named, 4550, KEY, DESCRIPTION)
    assert requests_mock.last_request is not None
    sent = requests_mock.last_request.json()["createTransactionRequest"]
    bank = sent["transactionRequest"]["payment"]["bankAccount"]
    assert bank["nameOnAccount"] == "Jordan Alexandra River"  # 22 characters
