"""The Authorize.Net stand-in refuses what AnetApiSchema.xsd refuses, so the contract suite
cannot pass a gateway that sends it; and it answers getCustomerPaymentProfileRequest and late
returns as the reference describes."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest
import requests
import requests_mock as rm

from ivr.payments.gateways.authorize_net_api import parse, result
from ivr.security.card_store import BankDetails, CardDetails
from tests.authorize_net_helpers import LOGIN, NOW, SECRET
from tests.gateway_standins.authorize_net import LATE_AFTER, AuthorizeNetStandIn

AUTH = {"name": LOGIN, "transactionKey": SECRET}


class Moment:
    """The stand-in's clock, moved by the test."""

    def __init__(self) -> None:
        self.at = NOW

    def __call__(self) -> datetime:
        return self.at


@pytest.fixture
def moment() -> Moment:
    return Moment()


@pytest.fixture
def authorize_net_api(requests_mock: rm.Mocker, moment: Moment) -> AuthorizeNetStandIn:
    return AuthorizeNetStandIn(clock=moment).install(requests_mock)


def post(stand_in: AuthorizeNetStandIn, name: str, **fields: Any) -> dict[str, Any]:
    """One request, as the gateway posts it; the parsed answer."""
    body = {name: {"merchantAuthentication": AUTH, **fields}}
    answer = parse(requests.post(stand_in.url, data=json.dumps(body), timeout=5).content)
    assert answer is not None
    return answer


def charge(stand_in: AuthorizeNetStandIn, payment: dict[str, Any]) -> dict[str, Any]:
    """A $50.00 authCaptureTransaction with ``payment``."""
    return post(stand_in, "createTransactionRequest", transactionRequest={
        "transactionType": "authCaptureTransaction", "amount": "50.00", "payment": payment,
        "order": {"invoiceNumber": "STANDIN1"}})


def card(**fields: Any) -> dict[str, Any]:
    """A creditCard with ``fields`` changed (None leaves one out)."""
    values = {"cardNumber": "4111111111111111", "expirationDate": "2030-12", "cardCode": "842",
              **fields}
    return {"creditCard": {name: value for name, value in values.items() if value is not None}}


@pytest.mark.parametrize("payment", [
    card(cardNumber="41111111111111111"),  # maxLength 16
    card(cardNumber="411"),  # minLength 4
    card(cardNumber=None),  # required
    card(expirationDate="2030-12-01"),  # maxLength 7
    card(cardCode="12345"),  # cardCode: maxLength 4
    card(cardCode="12a"),  # numericString
    {"creditCard": {"expirationDate": "2030-12", "cardNumber": "4111111111111111"}},  # order
    {"creditCard": card()["creditCard"], "bankAccount": {}},  # one payment type, not two
    {"cash": {}},
], ids=["number-long", "number-short", "number-missing", "expiry-long", "code-long",
        "code-letters", "order", "two-types", "unknown-type"])
def test_a_card_the_schema_refuses_is_refused_without_a_transaction(
        authorize_net_api: AuthorizeNetStandIn, payment: dict[str, Any]) -> None:
    answer = charge(authorize_net_api, payment)
    assert result(answer) == ("Error", ["E00003"]) and "transactionResponse" not in answer
    assert authorize_net_api.transactions == {}


def test_what_the_gateway_sends_passes_the_schema(authorize_net_api: AuthorizeNetStandIn) -> None:
    assert result(charge(authorize_net_api, card()))[0] == "Ok"
    account = {"accountType": "businessChecking", "routingNumber": "110000000",
               "accountNumber": "12345678901234567", "nameOnAccount": "A" * 22,
               "echeckType": "TEL", "bankName": "B" * 50}
    assert result(charge(authorize_net_api, {"bankAccount": account}))[0] == "Ok"


def test_a_profile_whose_payment_the_schema_refuses_is_not_made(
        authorize_net_api: AuthorizeNetStandIn) -> None:
    answer = post(authorize_net_api, "createCustomerProfileRequest", profile={
        "merchantCustomerId": "m1", "paymentProfiles": {
            "customerType": "individual", "payment": card(cardCode="99999")}})
    assert result(answer)[1] == ["E00003"] and authorize_net_api.profiles == {}


def test_a_payment_profile_is_read_back_masked(authorize_net_api: AuthorizeNetStandIn) -> None:
    token = authorize_net_api.mint_profile(CardDetails("4111111111111111", "1230", "842",
                                                       "30301"))
    customer, payment = token.split(":")
    answer = post(authorize_net_api, "getCustomerPaymentProfileRequest",
                  customerProfileId=customer, customerPaymentProfileId=payment)
    assert answer["paymentProfile"]["payment"]["creditCard"]["cardNumber"] == "XXXX1111"
    assert "4111111111111111" not in json.dumps(answer)
    missing = post(authorize_net_api, "getCustomerPaymentProfileRequest",
                   customerProfileId=customer, customerPaymentProfileId="1")
    assert result(missing)[1] == ["E00040"]


def test_a_late_returning_debit_comes_back_after_its_batch_settled(
        authorize_net_api: AuthorizeNetStandIn, moment: Moment) -> None:
    late = BankDetails("110000000", "000555555559", "checking")
    answer = charge(authorize_net_api, {"bankAccount": {
        "accountType": "checking", "routingNumber": late.routing,
        "accountNumber": late.account_number, "nameOnAccount": "SAM PATEL",
        "echeckType": "TEL"}})
    trans_id = answer["transactionResponse"]["transId"]
    authorize_net_api.settle()
    moment.at += LATE_AFTER - timedelta(seconds=1)
    found = post(authorize_net_api, "getTransactionDetailsRequest", transId=trans_id)
    assert (found["transaction"]["transactionStatus"], "returnedItems" in found["transaction"]) \
        == ("settledSuccessfully", False)
    moment.at += timedelta(seconds=1)
    found = post(authorize_net_api, "getTransactionDetailsRequest", transId=trans_id)
    assert found["transaction"]["transactionStatus"] == "returnedItem"
    assert [item["code"] for item in found["transaction"]["returnedItems"]] == ["R10"]
