"""The Authorize.Net authorize_net after the charge: settlement of bank debits, finding a charge by
its key for reconciliation, its settings, and that no card or account digits leak.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
import requests
import requests_mock as rm

from flows.ports import DeclineReason
from ivr.config import Settings
from ivr.errors import ChargeOutOfSight, ConfigError, GatewayError, GatewayOutcomeUnknown
from ivr.payments.gateways import authorize_net_api as api
from ivr.payments.gateways.authorize_net import AuthorizeNetGateway
from ivr.payments.gateways.base import GatewayCharge, Settlement
from ivr.ports.database import make_gateway
from tests.app_helpers import settings_with
from tests.authorize_net_helpers import (
    BANK,
    CARD,
    KEY,
    LOGIN,
    NOW,
    OK,
    SECRET,
    TRANS_ID,
    URL,
    batches,
    details,
    error,
    listed,
    row,
    sent,
    serve,
    transaction,
)

SECRETS = ("4111111111111111", "842", "021000021", "9876543210", SECRET)
GATEWAY_ENV = {"IVR_PAYMENT_GATEWAY": "authorize-net", "IVR_AUTHORIZE_NET_LOGIN_ID": LOGIN,
               "IVR_AUTHORIZE_NET_TRANSACTION_KEY": SECRET}



@pytest.mark.parametrize(("answer", "expected"), [
    (details("settledSuccessfully", bank=True, settled_at="2026-11-14T16:43:04.097Z"),
     Settlement("settled")),
    (details("settledSuccessfully", bank=True, settled_at="2026-11-20T16:43:04.097Z"),
     Settlement("pending")),  # settled yesterday: an R01 may still come back
    (details("capturedPendingSettlement", bank=True), Settlement("pending")),
    (details("underReview", bank=True), Settlement("pending")),
    (details("returnedItem", bank=True, returns=["R01"]),
     Settlement("returned", "insufficient_funds")),
    (details("returnedItem", bank=True, returns=["R02"]), Settlement("returned", "account_closed")),
    (details("returnedItem", bank=True, returns=["R03"]), Settlement("returned", "no_account")),
    (details("returnedItem", bank=True, returns=["R10"]),
     Settlement("returned", "debit_not_authorized")),
    (details("returnedItem", bank=True, returns=["R16"]), Settlement("returned", "R16")),
    # The schema carries returns apart from the status: a return on a settled debit (or
    # one only flagged hasReturnedItems) is a return, whatever the status says.
    (details("settledSuccessfully", bank=True, settled_at="2026-10-01T16:43:04.097Z",
             returns=["R10"]), Settlement("returned", "debit_not_authorized")),
    (details("settledSuccessfully", bank=True, settled_at="2026-11-20T16:43:04.097Z",
             returns=["R01"]), Settlement("returned", "insufficient_funds")),
    ({"transaction": details("settledSuccessfully", bank=True)["transaction"]
      | {"hasReturnedItems": True}, "messages": OK}, Settlement("returned", None)),
    (details("voided", bank=True), Settlement("returned", "voided")),
    (details("declined", bank=True, response_code=2, reason=2),
     Settlement("returned", "declined")),
])
def test_settlement_follows_the_transaction_status(authorize_net: AuthorizeNetGateway,
                                                   requests_mock: rm.Mocker, answer: api.Json,
                                                   expected: Settlement) -> None:
    serve(requests_mock, getTransactionDetailsRequest=answer)
    assert authorize_net.settlement(TRANS_ID) == expected
    assert sent(requests_mock) == [("getTransactionDetailsRequest", {
        "merchantAuthentication": {"name": LOGIN, "transactionKey": SECRET},
        "transId": TRANS_ID})]


def test_settlement_of_an_unknown_transaction_is_an_error(authorize_net: AuthorizeNetGateway,
                                                          requests_mock: rm.Mocker) -> None:
    serve(requests_mock, getTransactionDetailsRequest=error("E00040",
                                                            "The record cannot be found."))
    with pytest.raises(GatewayError, match="E00040"):
        authorize_net.settlement(TRANS_ID)
    with pytest.raises(GatewayError):
        authorize_net.settlement("sbx-ach-123")


def test_a_lost_reply_to_a_question_is_a_plain_error(authorize_net: AuthorizeNetGateway,
                                                     requests_mock: rm.Mocker) -> None:
    requests_mock.post(URL, exc=requests.ReadTimeout("read timed out"))
    with pytest.raises(GatewayError) as caught:
        authorize_net.settlement(TRANS_ID)
    assert type(caught.value) is GatewayError


def test_find_charge_reads_the_unsettled_list_newest_first(authorize_net: AuthorizeNetGateway,
                                                           requests_mock: rm.Mocker) -> None:
    serve(requests_mock,
          getUnsettledTransactionListRequest=listed(row("40099999999", key="another-key"),
                                                    row()),
          getTransactionDetailsRequest=details("capturedPendingSettlement"))
    assert authorize_net.find_charge(KEY) == GatewayCharge(approved=True, reference=TRANS_ID)
    (first, query), (second, held), (third, asked) = sent(requests_mock)
    assert first == second == "getUnsettledTransactionListRequest"
    assert list(query) == ["merchantAuthentication", "status", "sorting", "paging"]
    assert (query["status"], held["status"]) == ("any", "pendingApproval")
    assert query["sorting"] == {"orderBy": "submitTimeUTC", "orderDescending": True}
    assert query["paging"] == {"limit": "1000", "offset": "1"}
    assert (third, asked["transId"]) == ("getTransactionDetailsRequest", TRANS_ID)


def test_find_charge_finds_a_bank_debit_pending(authorize_net: AuthorizeNetGateway,
                                                requests_mock: rm.Mocker) -> None:
    serve(requests_mock, getUnsettledTransactionListRequest=listed(row(bank=True)),
          getTransactionDetailsRequest=details("capturedPendingSettlement", bank=True))
    assert authorize_net.find_charge(KEY) == GatewayCharge(approved=True, reference=TRANS_ID,
                                                     pending=True)


def test_find_charge_prefers_the_approved_one(authorize_net: AuthorizeNetGateway,
                                              requests_mock: rm.Mocker) -> None:
    serve(requests_mock,
          getUnsettledTransactionListRequest=listed(row("40011111111"), row()),
          getTransactionDetailsRequest=[details("declined", trans_id="40011111111",
                                                response_code=2, reason=2),
                                        details("capturedPendingSettlement")])
    assert authorize_net.find_charge(KEY) == GatewayCharge(approved=True, reference=TRANS_ID)


def test_find_charge_reports_a_decline(authorize_net: AuthorizeNetGateway,
                                       requests_mock: rm.Mocker) -> None:
    serve(requests_mock, getUnsettledTransactionListRequest=listed(row(status="declined")),
          getTransactionDetailsRequest=details("declined", response_code=2, reason=44))
    assert authorize_net.find_charge(KEY) == GatewayCharge(
        approved=False, reference=TRANS_ID, decline_reason=DeclineReason.INCORRECT_CVC)


def test_a_charge_held_for_review_is_still_unknown(authorize_net: AuthorizeNetGateway,
                                                   requests_mock: rm.Mocker) -> None:
    serve(requests_mock,
          getUnsettledTransactionListRequest=[listed(), listed(row(status="FDSPendingReview"))],
          getTransactionDetailsRequest=details("FDSPendingReview"))
    with pytest.raises(GatewayOutcomeUnknown, match="FDSPendingReview"):
        authorize_net.find_charge(KEY)


def test_find_charge_looks_in_recently_settled_batches(authorize_net: AuthorizeNetGateway,
                                                       requests_mock: rm.Mocker) -> None:
    serve(requests_mock, getUnsettledTransactionListRequest=listed(),
          getSettledBatchListRequest=batches("6418229", "6418230"),
          getTransactionListRequest=[listed(row(status="settledSuccessfully")), listed()],
          getTransactionDetailsRequest=details("settledSuccessfully"))
    assert authorize_net.find_charge(KEY) == GatewayCharge(approved=True, reference=TRANS_ID)
    names = [name for name, _ in sent(requests_mock)]
    assert names == ["getUnsettledTransactionListRequest"] * 2 + [
        "getSettledBatchListRequest"] + ["getTransactionListRequest"] * 2 + [
        "getTransactionDetailsRequest"]
    _, window = sent(requests_mock)[2]
    assert (window["firstSettlementDate"], window["lastSettlementDate"]) == (
        "2026-11-14T12:00:00Z", "2026-11-21T12:00:00Z")
    _, newest = sent(requests_mock)[3]
    assert list(newest) == ["merchantAuthentication", "batchId", "sorting", "paging"]
    assert newest["batchId"] == "6418230"


def test_find_charge_searches_the_week_after_the_payment_was_sent(
        authorize_net: AuthorizeNetGateway, requests_mock: rm.Mocker) -> None:
    # Reconcile was down for 9 days: the batch the charge settled in is older than a week
    # back from now, but within a week from when the payment was sent.
    serve(requests_mock, getUnsettledTransactionListRequest=listed(),
          getSettledBatchListRequest=batches("6418230"),
          getTransactionListRequest=listed(row(status="settledSuccessfully")),
          getTransactionDetailsRequest=details("settledSuccessfully"))
    since = NOW - timedelta(days=9)
    assert authorize_net.find_charge(KEY, since=since) == GatewayCharge(approved=True,
                                                                        reference=TRANS_ID)
    [window] = [body for name, body in sent(requests_mock)
                if name == "getSettledBatchListRequest"]
    assert (window["firstSettlementDate"], window["lastSettlementDate"]) == (
        "2026-11-12T11:00:00Z", "2026-11-19T11:00:00Z")  # an hour before it, and 7 days on


def test_find_charge_of_a_recent_payment_searches_up_to_now(
        authorize_net: AuthorizeNetGateway, requests_mock: rm.Mocker) -> None:
    serve(requests_mock, getUnsettledTransactionListRequest=listed(),
          getSettledBatchListRequest=batches("6418230"),
          getTransactionListRequest=listed(row("40022222222", key="another")))
    assert authorize_net.find_charge(KEY, since=NOW - timedelta(days=2)) is None
    [window] = [body for name, body in sent(requests_mock)
                if name == "getSettledBatchListRequest"]
    assert (window["firstSettlementDate"], window["lastSettlementDate"]) == (
        "2026-11-19T11:00:00Z", "2026-11-21T12:00:00Z")


def test_find_charge_never_says_none_for_a_payment_older_than_it_can_see(
        authorize_net: AuthorizeNetGateway, requests_mock: rm.Mocker) -> None:
    # Not in the week after it was sent, and it may have settled later (held for review
    # that long): only an operator can say, at the Merchant Interface.
    serve(requests_mock, getUnsettledTransactionListRequest=listed(),
          getSettledBatchListRequest=batches("6418230"),
          getTransactionListRequest=listed(row("40022222222", key="another")))
    with pytest.raises(ChargeOutOfSight, match="Merchant Interface"):
        authorize_net.find_charge(KEY, since=NOW - timedelta(days=8))


def test_find_charge_finds_nothing_charged(authorize_net: AuthorizeNetGateway,
                                           requests_mock: rm.Mocker) -> None:
    serve(requests_mock, getUnsettledTransactionListRequest=listed(row(key="another-key")),
          getSettledBatchListRequest=batches("6418230"),
          getTransactionListRequest=listed(row("40022222222", key="yet-another")))
    assert authorize_net.find_charge(KEY) is None


def test_find_charge_will_not_say_none_past_what_it_could_see(
        authorize_net: AuthorizeNetGateway, requests_mock: rm.Mocker) -> None:
    page = listed(*[row(str(40030000000 + n), key=f"other-{n}") for n in range(1000)],
                  total=3500)
    serve(requests_mock, getUnsettledTransactionListRequest=page,
          getSettledBatchListRequest=batches(), getTransactionListRequest=listed())
    with pytest.raises(GatewayOutcomeUnknown, match="Merchant Interface"):
        authorize_net.find_charge(KEY)
    pages = [(body["status"], body["paging"]["offset"]) for name, body in sent(requests_mock)
             if name == "getUnsettledTransactionListRequest"]
    assert pages == [("any", "1"), ("any", "2"), ("any", "3"),
                     ("pendingApproval", "1"), ("pendingApproval", "2"),
                     ("pendingApproval", "3")]


def test_find_charge_reads_a_long_list_to_its_end(authorize_net: AuthorizeNetGateway,
                                                  requests_mock: rm.Mocker) -> None:
    full = listed(*[row(str(40030000000 + n), key=f"other-{n}") for n in range(1000)],
                  total=1001)
    serve(requests_mock, getUnsettledTransactionListRequest=[full, listed(total=1001)],
          getSettledBatchListRequest=batches(), getTransactionListRequest=listed())
    assert authorize_net.find_charge(KEY) is None


def test_find_charge_refused_is_an_error(authorize_net: AuthorizeNetGateway,
                                         requests_mock: rm.Mocker) -> None:
    serve(requests_mock, getUnsettledTransactionListRequest=error(
        "E00007", "User authentication failed due to invalid authentication values."))
    with pytest.raises(GatewayError, match="E00007") as caught:
        authorize_net.find_charge(KEY)
    assert type(caught.value) is GatewayError


def test_no_card_or_account_digits_in_errors_or_logs(authorize_net: AuthorizeNetGateway,
                                                     requests_mock: rm.Mocker,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    attempts: list[Exception | api.Json] = [
        requests.ReadTimeout("read timed out"), requests.ConnectTimeout("timed out"),
        error("E00003", "The element 'cardNumber' is invalid - The value "
                        "'4111111111111111' is invalid; accountNumber '9876543210'."),
        transaction("3", "6", "The credit card number 4111111111111111 is invalid.")]
    messages: list[str] = []
    for attempt in attempts:
        if isinstance(attempt, Exception):
            requests_mock.post(URL, exc=attempt)
        else:
            serve(requests_mock, createTransactionRequest=attempt,
                  createCustomerProfileRequest=attempt)
        for call in (lambda: authorize_net.charge_card(CARD, 4550, KEY, "x"),
                     lambda: authorize_net.debit_bank(BANK, 4550, KEY, "x"),
                     lambda: authorize_net.save_card(CARD), lambda: authorize_net.save_bank(BANK)):
            try:
                messages.append(repr(call()))
            except GatewayError as caught:
                messages += [str(caught), repr(caught)]
    assert len(messages) >= 8
    seen = "\n".join([*messages, caplog.text, repr(authorize_net), repr(CARD), repr(BANK)])
    assert not [secret for secret in SECRETS if secret in seen]


def test_the_gateway_is_made_from_its_settings() -> None:
    authorize_net = make_gateway(settings_with(GATEWAY_ENV))
    assert isinstance(authorize_net, AuthorizeNetGateway)
    assert authorize_net.api_base == "https://api.authorize.net"
    assert (authorize_net.supports_bank, authorize_net.supports_keypad_cards) == (True, True)
    sandbox = make_gateway(settings_with(
        GATEWAY_ENV | {"IVR_AUTHORIZE_NET_API_BASE": "https://apitest.authorize.net/"}))
    assert isinstance(sandbox, AuthorizeNetGateway)
    assert sandbox.api_base == api.SANDBOX_BASE
    assert make_gateway(settings_with(GATEWAY_ENV | {"IVR_CARD_CAPTURE": "pay"})).name == \
        "authorize-net"


@pytest.mark.parametrize(("missing", "named"), [
    (("IVR_AUTHORIZE_NET_LOGIN_ID", "IVR_AUTHORIZE_NET_TRANSACTION_KEY"),
     "IVR_AUTHORIZE_NET_LOGIN_ID and IVR_AUTHORIZE_NET_TRANSACTION_KEY must be set"),
    (("IVR_AUTHORIZE_NET_TRANSACTION_KEY",), "^IVR_AUTHORIZE_NET_TRANSACTION_KEY must be set"),
    (("IVR_AUTHORIZE_NET_LOGIN_ID",), "^IVR_AUTHORIZE_NET_LOGIN_ID must be set"),
])
def test_missing_credentials_stop_start_up_in_one_line(missing: tuple[str, ...],
                                                       named: str) -> None:
    env = {name: value for name, value in GATEWAY_ENV.items() if name not in missing}
    with pytest.raises(ConfigError, match=named) as caught:
        make_gateway(settings_with(env))
    assert "\n" not in str(caught.value) and SECRET not in str(caught.value)


def test_bad_credentials_or_base_are_refused_without_echoing_the_key() -> None:
    with pytest.raises(ConfigError, match="too long") as caught:
        make_gateway(settings_with(GATEWAY_ENV | {"IVR_AUTHORIZE_NET_TRANSACTION_KEY":
                                                  SECRET + "extra"}))
    assert SECRET not in str(caught.value)
    for base in ("api.authorize.net", "ftp://api.authorize.net", "https://x?y=1"):
        with pytest.raises(ConfigError, match=r"^IVR_AUTHORIZE_NET_API_BASE must be"):
            settings_with(GATEWAY_ENV | {"IVR_AUTHORIZE_NET_API_BASE": base})
    with pytest.raises(ConfigError, match="known: sandbox, stripe, authorize-net"):
        make_gateway(settings_with({"IVR_PAYMENT_GATEWAY": "authorize.net"}))


def test_the_transaction_key_is_kept_out_of_the_settings_repr() -> None:
    settings: Settings = settings_with(GATEWAY_ENV)
    assert settings.authorize_net_transaction_key == SECRET
    assert SECRET not in repr(settings) and LOGIN in repr(settings)
