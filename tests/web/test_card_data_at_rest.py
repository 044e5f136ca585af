"""What a caller keys is readable nowhere: while keying, after the outcome, after a hang-up.

The card store holds a keyed card (or bank account) encrypted until its outcome is recorded;
these tests read every column of every table, every log line and every answer after each
turn and find none of its digits, and find the store empty once the card is done with.
"""

from __future__ import annotations

import logging

import pytest
from flask import Flask
from sqlalchemy import delete, select

from ivr.config import override_settings
from ivr.db import db
from ivr.security.card_store import BankDetails, CardDetails
from models import CardEntry, SavedPaymentMethod
from tests.app_helpers import call_payments
from tests.card_helpers import card_entries, database_leaks, text_leaks
from tests.menu_helpers import JORDAN_LATER, JORDAN_NEW_BANK, JORDAN_NEW_CARD
from tests.twilio_helpers import Answer, TwilioCaller

CARD = CardDetails("4000056655665556", "1230", "737", "30301")
DECLINED = CardDetails("4000000000000002", "1230", "737", "30301")
BANK = BankDetails("110000000", "918273645506", "checking")
TO_NEW_CARD = JORDAN_NEW_CARD  # account 10001234, full balance, new card
TO_NEW_BANK = (*JORDAN_NEW_BANK, "1")  # ... new checking account


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Every log record, down to DEBUG."""
    caplog.set_level(logging.DEBUG)
    return caplog


def card_keys(card: CardDetails) -> tuple[str, ...]:
    return card.number, card.expiry_mmyy, card.security_code, card.postal_code


def nowhere(app: Flask, secret: CardDetails | BankDetails, logs: pytest.LogCaptureFixture,
            answers: list[Answer]) -> None:
    """No digit run of ``secret`` in any table, log line or answer so far."""
    assert database_leaks(app, secret) == []
    lines = [record.getMessage() for record in logs.records]
    assert text_leaks([*lines, *(a.raw.decode() for a in answers)], secret) == []


def test_while_a_card_is_keyed_and_after_it_is_paid_no_digit_is_readable(
        demo_app: Flask, logs: pytest.LogCaptureFixture) -> None:
    caller = TwilioCaller(demo_app)
    answers = [caller.walk(*TO_NEW_CARD)]
    for entry in card_keys(CARD):
        answers.append(caller.press(answers[-1], entry))
        nowhere(demo_app, CARD, logs, answers)
        assert card_entries(demo_app) == 1  # held, encrypted
    answers.append(caller.press(answers[-1], "1"))
    assert "has been approved" in answers[-1].said
    assert card_entries(demo_app) == 0  # gone with the outcome
    nowhere(demo_app, CARD, logs, answers)
    [payment] = call_payments(demo_app, caller.call_sid)
    assert (payment.card_brand, payment.card_last4) == ("Visa", "5556")


def test_a_bank_account_is_held_the_same_way(demo_app: Flask, logs: pytest.LogCaptureFixture,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    gateway = demo_app.extensions["ivr_gateway"]
    debited: list[BankDetails] = []
    debit = gateway.debit_bank

    def watched(bank: BankDetails, *args: object) -> object:
        debited.append(bank)
        return debit(bank, *args)

    monkeypatch.setattr(gateway, "debit_bank", watched)
    caller = TwilioCaller(demo_app)
    answers = [caller.walk(*TO_NEW_BANK)]
    for entry in (BANK.routing, BANK.account_number, BANK.account_number):
        answers.append(caller.press(answers[-1], entry))
        nowhere(demo_app, BANK, logs, answers)
    assert card_entries(demo_app) == 1
    answers.append(caller.press(answers[-1], "1"))
    assert card_entries(demo_app) == 0
    nowhere(demo_app, BANK, logs, answers)
    [payment] = call_payments(demo_app, caller.call_sid)
    assert (payment.status, payment.bank_last4) == ("pending", "5506")
    # The gateway got the account whole, with the name on the bill as the name on it.
    assert debited == [BankDetails(BANK.routing, BANK.account_number, "checking",
                                   "Jordan Rivera")]


@pytest.mark.parametrize("fault", ["", "lost-reply", "down"])
def test_whatever_the_outcome_the_card_is_gone_with_it(demo_app: Flask, fault: str) -> None:
    override_settings(demo_app, IVR_SANDBOX_FAULT=fault)
    caller = TwilioCaller(demo_app)
    caller.walk(*TO_NEW_CARD, *card_keys(DECLINED), "1")
    [payment] = call_payments(demo_app, caller.call_sid)
    assert payment.status == {"": "declined", "lost-reply": "unknown", "down": "failed"}[fault]
    assert card_entries(demo_app) == 0


def test_a_card_is_forgotten_when_the_caller_cancels_it(demo_app: Flask) -> None:
    caller = TwilioCaller(demo_app)
    answer = caller.walk(*TO_NEW_CARD, CARD.number, CARD.expiry_mmyy)
    assert card_entries(demo_app) == 1
    caller.press(answer, "*")  # cancel: back to the main menu
    assert card_entries(demo_app) == 0


def test_a_card_read_back_then_cancelled_is_forgotten(demo_app: Flask) -> None:
    caller = TwilioCaller(demo_app)
    read_back = caller.walk(*TO_NEW_CARD, *card_keys(CARD))
    assert "To cancel" in read_back.said and card_entries(demo_app) == 1
    caller.press(read_back, "2")
    assert card_entries(demo_app) == 0 and call_payments(demo_app, caller.call_sid) == []


def test_a_hang_up_while_keying_forgets_the_card(demo_app: Flask) -> None:
    caller = TwilioCaller(demo_app)
    caller.walk(*TO_NEW_CARD, CARD.number, CARD.expiry_mmyy, CARD.security_code)
    caller.post("/voice/status", CallStatus="completed", CallDuration="40")
    assert card_entries(demo_app) == 0


def test_a_hang_up_while_holding_charges_the_card_then_forgets_it(demo_app: Flask) -> None:
    caller = TwilioCaller(demo_app)
    read_back = caller.walk(*TO_NEW_CARD, *card_keys(CARD))
    caller.press(read_back, "1", follow=False)  # "please hold", then the caller hangs up
    assert card_entries(demo_app) == 1  # still needed: the charge is sent at the hang-up
    caller.post("/voice/status", CallStatus="completed", CallDuration="60")
    [payment] = call_payments(demo_app, caller.call_sid)
    assert payment.status == "approved" and card_entries(demo_app) == 0


def test_a_card_no_longer_held_is_asked_for_again_never_charged(demo_app: Flask) -> None:
    caller = TwilioCaller(demo_app)
    answer = caller.walk(*TO_NEW_CARD, CARD.number, CARD.expiry_mmyy)
    with db.transaction(demo_app) as session:  # swept, or the key rotated, meanwhile
        session.execute(delete(CardEntry))
    again = caller.press(answer, CARD.security_code)
    assert "enter the card number again" in again.said
    assert call_payments(demo_app, caller.call_sid) == []
    for entry in (*card_keys(CARD), "1"):
        again = caller.press(again, entry)
    assert "has been approved" in again.said


def test_a_card_lost_after_the_read_back_is_told_and_nothing_is_written(
        demo_app: Flask) -> None:
    caller = TwilioCaller(demo_app)
    read_back = caller.walk(*TO_NEW_CARD, *card_keys(CARD))
    with db.transaction(demo_app) as session:
        session.execute(delete(CardEntry))
    answer = caller.press(read_back, "1")
    assert "for your security the card details were not kept" in answer.said
    assert "has been approved" not in answer.said
    assert call_payments(demo_app, caller.call_sid) == []


def test_a_card_lost_while_its_charge_is_prepared_fails_the_payment_unsent(
        demo_app: Flask) -> None:
    caller = TwilioCaller(demo_app)
    hold = caller.press(caller.walk(*TO_NEW_CARD, *card_keys(CARD)), "1", follow=False)
    with db.transaction(demo_app) as session:  # written ahead; gone before it is sent
        session.execute(delete(CardEntry))
    onward = hold.carries_on
    assert onward is not None
    answer = caller.post(onward)
    assert "has been approved" not in answer.said
    [payment] = call_payments(demo_app, caller.call_sid)
    assert payment.status == "failed" and payment.send_attempts == 0


TO_SCHEDULE_NEW_CARD = (*JORDAN_LATER, "1201", "1")  # December 1st, a new card


def test_a_card_kept_for_a_later_payment_goes_to_the_gateway_and_leaves_the_store(
        demo_app: Flask, logs: pytest.LogCaptureFixture) -> None:
    caller = TwilioCaller(demo_app)
    read_back = caller.walk(*TO_SCHEDULE_NEW_CARD, *card_keys(CARD))
    assert card_entries(demo_app) == 1
    answer = caller.press(read_back, "1")
    assert "is scheduled for December first" in answer.said
    assert card_entries(demo_app) == 0
    nowhere(demo_app, CARD, logs, [read_back, answer])
    with db.transaction(demo_app) as session:
        [method] = session.scalars(select(SavedPaymentMethod)
                                   .where(SavedPaymentMethod.last4 == "5556")).all()
        assert method.gateway_token.startswith("sbx-")


def test_a_card_lost_before_a_later_payment_is_agreed_writes_nothing(demo_app: Flask) -> None:
    caller = TwilioCaller(demo_app)
    read_back = caller.walk(*TO_SCHEDULE_NEW_CARD, *card_keys(CARD))
    with db.transaction(demo_app) as session:
        session.execute(delete(CardEntry))
    answer = caller.press(read_back, "1")
    assert "for your security the card details were not kept" in answer.said
    assert "To try a different card or a bank account, press 1." in answer.said
    assert call_payments(demo_app, caller.call_sid) == []
    with db.transaction(demo_app) as session:
        assert session.scalars(select(SavedPaymentMethod)
                               .where(SavedPaymentMethod.last4 == "5556")).all() == []


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_on_sqlite_a_deleted_card_is_overwritten_in_the_database_file(
        demo_app: Flask) -> None:
    # secure_delete zeroes a deleted row's bytes in the file (the write-ahead log keeps its
    # earlier pages until a checkpoint reuses them, and PostgreSQL keeps dead rows until
    # VACUUM: the key is what protects those, as the README says).
    with db.engine(demo_app).connect() as connection:
        assert connection.exec_driver_sql("PRAGMA secure_delete").scalar() == 1
