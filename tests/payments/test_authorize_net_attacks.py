"""review3: attacks on Authorize.Net debits as settlement, reconcile and AutoPay use them.

The gateway talks to the stateful stand-in (tests/gateway_standins/authorize_net.py) on
requests-mock, over a real database. Each test states what must hold; a failing one is a
finding of the review.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import requests
import requests_mock as rm
from flask import Flask
from sqlalchemy import select

from ivr.config import settings_of
from ivr.db import db
from ivr.errors import GatewayOutcomeUnknown
from ivr.payments.gateways.authorize_net import AuthorizeNetGateway
from ivr.payments.gateways.authorize_net_api import invoice, parse, result
from ivr.payments.gateways.base import Settlement
from ivr.payments.gateways.sandbox import SandboxGateway
from ivr.payments.reconcile import reconcile
from ivr.payments.scheduled import run_scheduled
from ivr.payments.settlement import settle_pending
from ivr.security.card_store import BankDetails
from ivr.sms.notices import Biller, notice_autopay
from models import Account, AutopayEnrollment, Payment, SavedPaymentMethod
from tests.app_helpers import addressed_texts, balance
from tests.authorize_net_helpers import LOGIN, SECRET
from tests.gateway_standins.authorize_net import AuthorizeNetStandIn
from tests.schedule_helpers import (
    RUN_DAY,
    SAM,
    get,
    make_accounts,
    save_bank,
    save_row,
    schedule,
)

START = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)
SETTLING = BankDetails("110000000", "000123456789", "checking")


class Clock:
    """One clock for the gateway and its stand-in, moved by the test."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def stand_in(requests_mock: rm.Mocker, clock: Clock) -> AuthorizeNetStandIn:
    return AuthorizeNetStandIn(clock=clock).install(requests_mock)


@pytest.fixture
def gateway(stand_in: AuthorizeNetStandIn, clock: Clock) -> AuthorizeNetGateway:
    return AuthorizeNetGateway(LOGIN, SECRET, clock=clock)


def debit_on_file(app: Flask, gateway: AuthorizeNetGateway, cents: int = 5000) -> int:
    """Sam's checking account kept as a profile, debited by a scheduled run; the payment."""
    sam = make_accounts(app)[SAM]
    method = save_row(app, SavedPaymentMethod(account_id=sam, kind="bank",
                                              gateway_token=gateway.save_bank(SETTLING),
                                              bank_account_type="checking", last4="6789"))
    pid = schedule(app, sam, method, cents, method="saved_bank")
    assert run_scheduled(db.sessions(app), gateway, RUN_DAY).pending == 1
    return pid


def test_a_return_after_the_five_day_window_still_gives_the_amount_back(
        app: Flask, gateway: AuthorizeNetGateway, stand_in: AuthorizeNetStandIn,
        clock: Clock) -> None:
    # NACHA lets the payer's bank return an unauthorised consumer debit (R10, R05, R07, R11)
    # up to 60 days after settlement, and R01/R02 can arrive after a weekend plus a holiday.
    # The line calls the debit settled 5 days after its batch and never asks again.
    pid = debit_on_file(app, gateway)
    before = balance(app, SAM)
    stand_in.settle()
    clock.now += timedelta(days=6)
    settle_pending(db.sessions(app), gateway, now=clock.now)
    assert get(app, pid).status == "approved"
    [txn] = [t for t in stand_in.transactions.values() if t.method.bank and t.profile]
    clock.now += timedelta(days=20)  # the payer tells their bank it was not authorised
    txn.status = "returnedItem"
    txn.returns = [{"id": "2148000001", "dateUTC": "2026-12-17T10:00:00.000Z",
                    "dateLocal": "2026-12-17T03:00:00.000", "code": "R10",
                    "description": "Customer Advises Not Authorized"}]
    assert gateway.settlement(txn.trans_id) == Settlement("returned", "debit_not_authorized")
    settle_pending(db.sessions(app), gateway, now=clock.now)
    assert get(app, pid).status == "returned", (
        "the money came back to the payer but the account still shows it paid")
    assert balance(app, SAM) == before + 5000


def test_a_debit_with_a_returned_item_is_not_called_settled(
        gateway: AuthorizeNetGateway, stand_in: AuthorizeNetStandIn, clock: Clock) -> None:
    # The schema carries returnedItems (and hasReturnedItems in lists) apart from the status;
    # settlement() reads the status alone. A settled debit with a return on it is a return.
    answer = gateway.debit_bank(SETTLING, 5000, "CA-review3-1", "Account 20005678")
    stand_in.settle()
    clock.now += timedelta(days=6)
    txn = stand_in.transactions[answer.reference]
    txn.returns = [{"id": "2148000002", "dateUTC": "2026-11-24T10:00:00.000Z",
                    "dateLocal": "2026-11-24T03:00:00.000", "code": "R01",
                    "description": "Insufficient Funds"}]
    assert txn.status == "settledSuccessfully"
    assert gateway.settlement(answer.reference).status == "returned"


def test_reconcile_never_calls_a_charge_it_can_no_longer_see_not_charged(
        app: Flask, gateway: AuthorizeNetGateway, stand_in: AuthorizeNetStandIn,
        clock: Clock) -> None:
    # A lost reply; reconcile does not run for 8 days (a cron outage). find_charge looks back
    # 7 days only, finds nothing, and reconcile records "failed, not charged" while the
    # payer's money was taken: the balance is given back and they pay again.
    sam = make_accounts(app)[SAM]
    key = "CA-review3-lost-1"
    pid = schedule(app, sam, None, 5000, method="bank", status="unknown",
                   processing_since=clock.now, idempotency_key=key, scheduled_for=None)
    stand_in.fault = "lost-reply"
    with pytest.raises(GatewayOutcomeUnknown):
        gateway.debit_bank(SETTLING, 5000, key, "Account 20005678")
    stand_in.fault = ""
    assert len(stand_in.charged(invoice(key))) == 1
    stand_in.settle()
    clock.now += timedelta(days=8)
    reconcile(db.sessions(app), gateway, now=clock.now)
    assert get(app, pid).status != "failed", "the debit was taken, but is recorded as not"


def test_autopay_turned_on_the_evening_of_a_due_date_pays_the_date_it_said(app: Flask) -> None:
    # 20:00 in New York on November 21st (the line's zone) is 01:00 UTC on the 22nd. The
    # authorisation and its written notice say "starting November 21" (the due date is
    # today, locally); the run compares the enrolment's UTC date and skips that due date,
    # so the payer who was told AutoPay pays today is left unpaid (and late).
    sam = make_accounts(app)[SAM]  # due 2026-11-21, owes 89.10
    evening = datetime(2026, 11, 22, 1, 0, tzinfo=UTC)
    zone = settings_of(app).zone
    assert evening.astimezone(zone).date() == RUN_DAY
    method_id = save_bank(app, sam)
    save_row(app, AutopayEnrollment(account_id=sam, payment_method_id=method_id,
                                    enrolled_at=evening, authorization_text="Today, ...",
                                    authorization_key="1", authorized_at=evening))
    with db.transaction(app) as session:
        notice_autopay(session, "+12125550199", session.get_one(Account, sam),
                       session.get_one(SavedPaymentMethod, method_id), evening,
                       Biller("Riverside Water", "+18005550199"), zone)
    [(_, notice)] = addressed_texts(app)
    assert "starting Nov 21, 2026" in notice  # what the payer was told in writing
    summary = run_scheduled(db.sessions(app), SandboxGateway(), RUN_DAY + timedelta(days=1))
    with db.transaction(app) as session:
        made = list(session.scalars(select(Payment.idempotency_key)))
    assert made == [f"autopay-{sam}-2026-11-21"], (summary, made)


def tel_request(**bank: object) -> dict[str, object]:
    """A createTransactionRequest debiting a bank account, with ``bank`` changed."""
    account = {"accountType": "checking", "routingNumber": "110000000",
               "accountNumber": "000123456789", "nameOnAccount": "SAM PATEL",
               "echeckType": "TEL", **bank}
    account = {name: value for name, value in account.items() if value is not None}
    return {"createTransactionRequest": {
        "merchantAuthentication": {"name": LOGIN, "transactionKey": SECRET},
        "transactionRequest": {"transactionType": "authCaptureTransaction", "amount": "50.00",
                               "payment": {"bankAccount": account},
                               "order": {"invoiceNumber": "R3INVOICE"}}}}


@pytest.mark.parametrize("bank", [
    {"accountType": "business"},  # bankAccountTypeEnum: checking, savings, businessChecking
    {"nameOnAccount": "A NAME LONGER THAN TWENTY-TWO"},  # maxLength 22
    {"nameOnAccount": None},  # required (no minOccurs="0")
    {"echeckType": "TELEPHONE"},  # echeckTypeEnum: PPD WEB CCD TEL ARC BOC
    {"accountNumber": "123456789012345678"},  # maxLength 17
    {"nameOnAccount": "SAM PATEL", "echeckType": "TEL", "accountType": "checking",
     "routingNumber": "110000000", "accountNumber": "000123456789", "bankName": "B" * 51},
], ids=["accountType", "nameOnAccount-long", "nameOnAccount-missing", "echeckType",
        "accountNumber-long", "bankName-long"])
def test_the_stand_in_refuses_a_bank_account_the_schema_refuses(
        stand_in: AuthorizeNetStandIn, bank: dict[str, object]) -> None:
    # AnetApiSchema.xsd bankAccountType: the real API answers E00003 to each of these; the
    # stand-in approves them, so the contract suite would pass a gateway that sends them.
    answer = parse(requests.post(stand_in.url, data=json.dumps(tel_request(**bank)),
                                 timeout=5).content)
    assert answer is not None
    assert result(answer)[1] == ["E00003"], answer.get("transactionResponse")
