"""The contract every gateway keeps: one suite, run against the sandbox, Stripe and Authorize.Net.

Stripe and Authorize.Net are each wired to a stateful stand-in of their API
(:mod:`tests.gateway_standins`), shaped as their references document; the sandbox is its own.
Every gateway must: charge a keyed card once per idempotency key; tell the caller why a card
was declined; keep a charged card and charge it again, or keep one without charging it;
after a lost reply, find the charge by its key (and find nothing for a key never sent);
debit a bank account as pending until it settles or comes back, and report a return that
comes after it settled (where ``supports_bank``);
and leave no card digits in a log line, an error, a lookup request, or a stored row.
"""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
import requests_mock as rm
from flask import Flask
from sqlalchemy import select

from flows.ports import DeclineReason
from ivr.config import override_settings
from ivr.db import db
from ivr.errors import GatewayError, GatewayOutcomeUnknown
from ivr.ops.demo import load_demo
from ivr.payments import confirmations
from ivr.payments.gateways import authorize_net_api
from ivr.payments.gateways.base import GatewayCharge, Settlement
from ivr.payments.gateways.sandbox import SANDBOX_OUTCOMES
from ivr.ports.database import gateway_of
from ivr.security.card_store import BankDetails, CardDetails
from ivr.security.pins import pins_of
from models import Payment, SavedPaymentMethod
from tests.app_helpers import call_payments, make_app
from tests.card_helpers import card_entries, database_leaks, secrets_of, text_leaks
from tests.gateway_contract_helpers import (
    APP_SETTINGS,
    BANK_GATEWAYS,
    CENTS,
    DECLINES,
    DESCRIPTION,
    E2E_CARDS,
    GATEWAYS,
    LATE_RETURNING_ACCOUNT,
    RETURNING_ACCOUNTS,
    SETTLING_ACCOUNT,
    Decline,
    Rig,
    make_rig,
    stand_in_for,
)
from tests.gateway_standins.authorize_net import AuthorizeNetStandIn
from tests.gateway_standins.stripe import StripeStandIn
from tests.menu_helpers import JORDAN_NEW_BANK, JORDAN_NEW_CARD
from tests.twilio_helpers import TwilioCaller

KEY = "CA0c0n7rac7c0n7rac7c0n7rac7c0n7ra-1"  # an idempotency key: a call SID and attempt
TO_NEW_CARD = JORDAN_NEW_CARD  # account 10001234, full balance, new card
TO_NEW_BANK = (*JORDAN_NEW_BANK, "1")  # ... a new checking account
# No run of six zeros: Stripe's declining test cards are mostly zeros, and the scan for runs
# of a card's digits must not find them in the call's own SID.
CALL_SID = "CA5e1f2a3b4c5d6e7f8a9b1c2d3e4f5a6b"
SECURITY_CODE = "9173"  # four digits (as an Amex's), so no line number or amount is one
CONFIRMED = 1_468_013_579  # drawn below 9 * 10**9, so the number is 2468013579


def same_answer(charge: GatewayCharge) -> tuple[object, ...]:
    """What the caller and the ledger take from an answer (the token to keep aside)."""
    return charge.approved, charge.reference, charge.decline_reason, charge.pending


def charge(rig: Rig, card: CardDetails, key: str = KEY, cents: int = CENTS) -> GatewayCharge:
    """Charge a keyed card, as a payment written ahead is sent."""
    return rig.gateway.charge_card(card, cents, key, DESCRIPTION)


# --- 1. a keyed card ---------------------------------------------------------------------


def test_a_keyed_card_is_charged_once_per_key(rig: Rig) -> None:
    first = charge(rig, rig.approved_card)
    assert (first.approved, first.pending, first.decline_reason) == (True, False, None)
    assert first.reference and first.reusable
    assert charge(rig, rig.approved_card) == first  # the same key: the first answer again
    assert rig.charges(KEY) == 1


def test_another_key_is_another_charge(rig: Rig) -> None:
    first = charge(rig, rig.approved_card)
    second = charge(rig, rig.approved_card, key=KEY + "0")
    assert second.approved and second.reference != first.reference
    assert (rig.charges(KEY), rig.charges(KEY + "0")) == (1, 1)


# --- 2. declines -------------------------------------------------------------------------

DECLINE_CASES = [pytest.param(name, decline, id=f"{name}: {decline.label}")
                 for name in GATEWAYS for decline in DECLINES[name]]


@pytest.mark.parametrize(("name", "decline"), DECLINE_CASES)
def test_each_decline_reaches_the_caller_with_its_reason(name: str, decline: Decline,
                                                         requests_mock: rm.Mocker) -> None:
    rig = make_rig(name, requests_mock)
    answer = charge(rig, decline.card, cents=decline.cents)
    assert (answer.approved, answer.decline_reason, answer.reusable) == (False, decline.reason,
                                                                         "")
    assert charge(rig, decline.card, cents=decline.cents) == answer
    assert rig.charges(KEY) <= 1  # a decline recorded once, or refused on sight


@pytest.mark.parametrize("name", list(GATEWAYS))
def test_the_decline_tables_cover_every_reason_the_gateway_reports(name: str) -> None:
    reported = {"sandbox": set(SANDBOX_OUTCOMES.values()),
                "stripe": set(SANDBOX_OUTCOMES.values()),  # the sandbox's are Stripe's
                # Authorize.Net has no insufficient-funds reason for a card (see the table)
                "authorize-net": {*authorize_net_api.REASONS.values(), DeclineReason.DECLINED}}
    assert {decline.reason for decline in DECLINES[name]} == reported[name]


# --- 3. methods on file ------------------------------------------------------------------


def test_a_charged_card_is_kept_and_charged_again(rig: Rig) -> None:
    first = charge(rig, rig.approved_card)
    token = rig.gateway.keep("card", first.reusable)
    assert token and rig.gateway.accept_token("card", token) == token
    later = rig.gateway.charge_saved("card", token, 1200, KEY + "-later", DESCRIPTION)
    assert (later.approved, later.pending) == (True, False)
    assert later.reference != first.reference and rig.charges(KEY + "-later") == 1
    again = rig.gateway.charge_saved("card", token, 1200, KEY + "-later", DESCRIPTION)
    assert same_answer(again) == same_answer(later) and rig.charges(KEY + "-later") == 1


def test_a_card_saved_without_a_charge_is_charged_later(rig: Rig) -> None:
    token = rig.gateway.save_card(rig.approved_card)
    assert token and rig.gateway.accept_token("card", token) == token
    assert rig.charges(KEY) == 0
    later = rig.gateway.charge_saved("card", token, CENTS, KEY, DESCRIPTION)
    assert later.approved and later.reference and rig.charges(KEY) == 1


def test_a_pay_token_is_accepted_then_charged(rig: Rig) -> None:
    token = rig.gateway.accept_token("card", rig.pay_token(rig.approved_card))
    answer = rig.gateway.charge_saved("card", token, CENTS, KEY, DESCRIPTION)
    assert answer.approved and rig.charges(KEY) == 1


# --- 4. a lost reply ---------------------------------------------------------------------


@pytest.mark.parametrize("outcome", ["approved", "declined"])
def test_a_lost_reply_is_unknown_and_found_by_its_key(rig: Rig, outcome: str) -> None:
    card = rig.approved_card if outcome == "approved" else rig.declines[0].card
    rig.fault("lost-reply")
    with pytest.raises(GatewayOutcomeUnknown):
        charge(rig, card)
    rig.fault("")
    found = rig.gateway.find_charge(KEY)
    assert found is not None and found.approved == (outcome == "approved")
    assert found.reference and rig.charges(KEY) == 1
    resent = charge(rig, card)  # the payment sent again: the first answer, no second charge
    assert same_answer(resent) == same_answer(found) and rig.charges(KEY) == 1


def test_nothing_is_found_for_a_key_never_sent(rig: Rig) -> None:
    charge(rig, rig.approved_card)
    assert rig.gateway.find_charge("CA" + "9" * 32 + "-1") is None


def test_a_gateway_that_is_down_refuses_before_charging(rig: Rig) -> None:
    rig.fault("down")
    with pytest.raises(GatewayError) as refused:
        charge(rig, rig.approved_card)
    assert type(refused.value) is GatewayError and rig.charges(KEY) == 0


def test_a_gateway_that_is_down_keeps_no_card_for_later(rig: Rig) -> None:
    # What a call scheduling with a new card hears as "could not be set up for a later date".
    rig.fault("down")
    with pytest.raises(GatewayError):
        rig.gateway.save_card(rig.approved_card)


# --- 5. bank debits ----------------------------------------------------------------------


def debit(rig: Rig, account: BankDetails = SETTLING_ACCOUNT, key: str = KEY) -> GatewayCharge:
    """Debit a keyed bank account (NACHA TEL), as a payment written ahead is sent."""
    return rig.gateway.debit_bank(account, CENTS, key, DESCRIPTION)


def test_a_bank_debit_is_pending_until_it_settles(bank_rig: Rig) -> None:
    answer = debit(bank_rig)
    assert (answer.approved, answer.pending, answer.decline_reason) == (True, True, None)
    assert answer.reference and answer.reusable
    assert debit(bank_rig) == answer and bank_rig.charges(KEY) == 1
    if bank_rig.holds_debits:
        assert bank_rig.gateway.settlement(answer.reference) == Settlement("pending")
    bank_rig.settle()
    assert bank_rig.gateway.settlement(answer.reference) == Settlement("settled")


@pytest.mark.parametrize(("account", "code"), RETURNING_ACCOUNTS,
                         ids=[code for _, code in RETURNING_ACCOUNTS])
def test_a_returned_debit_says_why(bank_rig: Rig, account: BankDetails, code: str) -> None:
    answer = debit(bank_rig, account)
    assert answer.approved and answer.pending
    bank_rig.settle()
    assert bank_rig.gateway.settlement(answer.reference) == Settlement("returned", code)


def test_a_settled_debit_can_still_come_back(bank_rig: Rig) -> None:
    # NACHA: a consumer's bank may return a debit as unauthorised up to 60 days after it
    # settled; the gateway reports the return on a debit it had called settled.
    answer = debit(bank_rig, LATE_RETURNING_ACCOUNT)
    bank_rig.settle()
    assert bank_rig.gateway.settlement(answer.reference) == Settlement("settled")
    bank_rig.later(timedelta(days=20))
    assert bank_rig.gateway.settlement(answer.reference) == Settlement("returned",
                                                                      "debit_not_authorized")


def test_a_lost_debit_reply_is_found_pending(bank_rig: Rig) -> None:
    bank_rig.fault("lost-reply")
    with pytest.raises(GatewayOutcomeUnknown):
        debit(bank_rig)
    bank_rig.fault("")
    found = bank_rig.gateway.find_charge(KEY)
    assert found is not None and (found.approved, found.pending) == (True, True)
    assert same_answer(debit(bank_rig)) == same_answer(found) and bank_rig.charges(KEY) == 1


def test_a_debited_account_is_kept_and_debited_again(bank_rig: Rig) -> None:
    first = debit(bank_rig)
    token = bank_rig.gateway.keep("bank", first.reusable)
    later = bank_rig.gateway.charge_saved("bank", token, 1200, KEY + "-later", DESCRIPTION)
    assert (later.approved, later.pending) == (True, True)
    saved = bank_rig.gateway.save_bank(SETTLING_ACCOUNT)
    other = bank_rig.gateway.charge_saved("bank", saved, 1200, KEY + "-saved", DESCRIPTION)
    assert (other.approved, other.pending) == (True, True)
    bank_rig.settle()
    assert bank_rig.gateway.settlement(later.reference) == Settlement("settled")


@pytest.mark.parametrize("name", [name for name in GATEWAYS if name not in BANK_GATEWAYS])
def test_a_gateway_without_bank_debits_refuses_one_unsent(name: str,
                                                         requests_mock: rm.Mocker) -> None:
    rig = make_rig(name, requests_mock)
    with pytest.raises(GatewayError):
        debit(rig)
    with pytest.raises(GatewayError):
        rig.gateway.save_bank(SETTLING_ACCOUNT)
    assert requests_mock.request_history == []


# --- 6. no card data in logs, errors or lookups ------------------------------------------

OUTCOMES = ["approved", "declined", "lost-reply", "refused"]


def secrets_seen(error: BaseException | None, caplog: pytest.LogCaptureFixture) -> list[str]:
    """Every text an outcome left: log lines (with their arguments and tracebacks) and the
    error raised, as shown and as a traceback would print it."""
    texts = [caplog.text]
    texts += [f"{record.getMessage()} {record.args!r}" for record in caplog.records]
    if error is not None:
        texts += [str(error), repr(error), "".join(traceback.format_exception(error))]
    return texts


def leaked(texts: list[str], card: CardDetails) -> list[str]:
    """The card's number or a run of six of its digits anywhere in ``texts``, or its
    security code standing alone (inside a longer id, four digits can turn up by chance)."""
    runs = secrets_of(card, 6) - {card.security_code}
    code = re.compile(rf"(?<![0-9A-Za-z]){card.security_code}(?![0-9A-Za-z])")
    found = {run for text in texts for run in runs if run in text}
    return sorted(found | {card.security_code for text in texts if code.search(text)})


@pytest.mark.parametrize("outcome", OUTCOMES)
def test_no_card_data_in_a_log_line_or_an_error(rig: Rig, outcome: str,
                                                caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    base = rig.declines[0].card if outcome == "declined" else rig.approved_card
    card = replace(base, security_code=SECURITY_CODE)
    rig.fault({"lost-reply": "lost-reply", "refused": "down"}.get(outcome, ""))
    error: GatewayError | None = None
    try:
        answer = charge(rig, card)
        assert answer.approved == (outcome == "approved")
    except GatewayError as raised:
        error = raised
    assert (error is not None) == (outcome in ("lost-reply", "refused"))
    assert leaked(secrets_seen(error, caplog), card) == []


def test_lookups_and_keeping_never_carry_the_card(rig: Rig) -> None:
    card = replace(rig.approved_card, security_code=SECURITY_CODE)
    token = rig.gateway.keep("card", charge(rig, card).reusable)
    rig.gateway.charge_saved("card", token, 1200, KEY + "-later", DESCRIPTION)
    rig.fault("lost-reply")
    with pytest.raises(GatewayOutcomeUnknown):
        charge(rig, card, key=KEY + "-lost")
    rig.fault("")
    rig.gateway.find_charge(KEY + "-lost")
    rig.gateway.find_charge("never-sent")
    lookups = rig.lookups()
    assert lookups or (rig.stripe is None and rig.authorize_net is None)
    assert leaked(lookups, card) == []


# --- 7. nothing stored after the outcome, through the app --------------------------------


@dataclass
class Line:
    """The app, with its demo accounts, configured for one gateway and its stand-in."""

    app: Flask
    gateway: str
    stand_in: StripeStandIn | AuthorizeNetStandIn | None

    def fault(self, fault: str) -> None:
        """Rehearse ``fault`` ("" for none) at the gateway's provider."""
        if self.stand_in is None:
            override_settings(self.app, IVR_SANDBOX_FAULT=fault)
        else:
            self.stand_in.fault = fault

    def call(self, *keys: str) -> Payment:
        """A call keying ``keys`` from its start; the payment it made."""
        caller = TwilioCaller(self.app, call_sid=CALL_SID)
        caller.walk(*keys)
        [payment] = call_payments(self.app, caller.call_sid)
        return payment


def open_line(name: str, database_url: str, tmp_path: Path, mocker: rm.Mocker) -> Line:
    """The demo app on gateway ``name``, its provider a stand-in on ``mocker``."""
    app = make_app(database_url, tmp_path, IVR_PAYMENT_GATEWAY=name, **APP_SETTINGS[name])
    with db.transaction(app) as session:
        load_demo(session, pins_of(app))
    return Line(app, name, stand_in_for(name, mocker))


@pytest.fixture(params=list(GATEWAYS))
def line(request: pytest.FixtureRequest, database_url: str, tmp_path: Path,
         requests_mock: rm.Mocker) -> Iterator[Line]:
    """The demo app on each gateway in turn (its provider a stand-in)."""
    opened = open_line(request.param, database_url, tmp_path, requests_mock)
    yield opened
    db.engine(opened.app).dispose()


@pytest.fixture(params=BANK_GATEWAYS)
def bank_line(request: pytest.FixtureRequest, database_url: str, tmp_path: Path,
              requests_mock: rm.Mocker) -> Iterator[Line]:
    """The demo app on each gateway that takes bank debits."""
    opened = open_line(request.param, database_url, tmp_path, requests_mock)
    yield opened
    db.engine(opened.app).dispose()


@pytest.fixture
def fixed_confirmation(monkeypatch: pytest.MonkeyPatch) -> None:
    """A payment's random 10-digit confirmation number (in its row, its text, the audit)
    would hold a 3-digit security code by chance about 1 time in 125: fix it to one that
    holds none of these cards' or accounts' digits."""
    monkeypatch.setattr(confirmations, "secrets", SimpleNamespace(randbelow=lambda _: CONFIRMED))


def nothing_stored(line: Line, secret: CardDetails | BankDetails, chance: list[str],
                   caplog: pytest.LogCaptureFixture) -> None:
    """The card store is empty, and no row or log line holds ``secret`` (but by ``chance``)."""
    assert card_entries(line.app) == 0
    assert [leak for leak in database_leaks(line.app, secret) if leak not in chance] == []
    assert text_leaks(secrets_seen(None, caplog), secret) == []


@pytest.mark.usefixtures("fixed_confirmation")
@pytest.mark.parametrize("outcome", ["approved", "kept", "declined", "lost-reply"])
def test_after_the_outcome_no_row_holds_the_card(line: Line, outcome: str,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    approved, declined = E2E_CARDS[line.gateway]
    card = declined if outcome == "declined" else approved
    line.fault("lost-reply" if outcome == "lost-reply" else "")
    # Stripe's declining test cards are mostly zeros: runs of their digits turn up by chance
    # in the demo data (a token "...0000000002"), so only what the call adds is counted.
    chance = database_leaks(line.app, card)
    keep = ("3",) if outcome == "kept" else ()  # "to keep the card on file, press 3"
    payment = line.call(*TO_NEW_CARD, card.number, card.expiry_mmyy, card.security_code,
                        card.postal_code, "1", *keep)
    assert payment.status == {"lost-reply": "unknown", "kept": "approved"}.get(outcome, outcome)
    nothing_stored(line, card, chance, caplog)
    if outcome == "kept":
        [token] = saved_tokens(line.app, payment.account_id)
        assert gateway_of(line.app).accept_token("card", token) == token


@pytest.mark.usefixtures("fixed_confirmation")
@pytest.mark.parametrize("outcome", ["pending", "lost-reply"])
def test_after_a_debit_no_row_holds_the_account(bank_line: Line, outcome: str,
                                                caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    account = SETTLING_ACCOUNT
    bank_line.fault("lost-reply" if outcome == "lost-reply" else "")
    chance = database_leaks(bank_line.app, account)
    payment = bank_line.call(*TO_NEW_BANK, account.routing, account.account_number,
                             account.account_number, "1")
    assert payment.status == {"lost-reply": "unknown"}.get(outcome, outcome)
    nothing_stored(bank_line, account, chance, caplog)


def saved_tokens(app: Flask, account_id: int) -> list[str]:
    """The gateway tokens of an account's methods on file, oldest first."""
    with db.transaction(app) as session:
        return list(session.scalars(select(SavedPaymentMethod.gateway_token)
                                    .where(SavedPaymentMethod.account_id == account_id,
                                           SavedPaymentMethod.removed_at.is_(None))
                                    .order_by(SavedPaymentMethod.id)))
