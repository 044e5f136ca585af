"""Through the signed voice webhooks: a bank debit's telephone authorisation, as the TwiML's
<Say>s speak it, is what is stored, with the key pressed and its written notice."""

from __future__ import annotations

from datetime import date

import pytest
from flask import Flask
from sqlalchemy import select

from flows.authorisation import AGREE_AUTOPAY, AGREE_DEBIT, agree_option
from flows.menus import method_words
from flows.speech import Money, Phone, render, speak_value
from ivr.config import override_settings
from ivr.db import db
from models import AutopayEnrollment
from tests.app_helpers import addressed_texts, call_payments
from tests.menu_helpers import ALEX_MAIN_MENU, JORDAN_NEW_BANK
from tests.twilio_helpers import Answer, TwilioCaller

BILLER, PHONE = "Riverside Water", "+18005550199"
TODAY = date(2026, 11, 21)  # the tests' IVR_TODAY
JORDAN_TO_BANK = (*JORDAN_NEW_BANK, "1", "110000000", "000123456789",
                  "000123456789")  # pay the full balance today from a new checking account


@pytest.fixture
def line(demo_app: Flask) -> Flask:
    """The demo line, naming its biller and the number to call."""
    override_settings(demo_app, IVR_BILLER_NAME=BILLER, IVR_BILLER_PHONE=PHONE)
    return demo_app


def says(answer: Answer) -> list[str]:
    """Each <Say> of the answer, in order."""
    return [say.text or "" for say in answer.root.iter("Say")]


def authorisation_said(answer: Answer, agree: str) -> str:
    """The <Say>s from the authorisation's first sentence to the option that authorises."""
    said = says(answer)
    first = next(n for n, text in enumerate(said) if text.startswith("Today, "))
    last = said.index(render(agree_option(agree)))
    return " ".join(said[first:last + 1])


def test_the_debit_stored_is_authorised_as_the_twiml_said_it(line: Flask) -> None:
    caller = TwilioCaller(line)
    answer = caller.walk(*JORDAN_TO_BANK)
    said = authorisation_said(answer, AGREE_DEBIT)
    for element in [speak_value(TODAY), "Jordan Rivera", BILLER, speak_value(Money(12045)),
                    render(method_words("bank", "checking", "6789")),
                    speak_value(Phone(PHONE))]:
        assert element in said, element

    caller.press(answer, "1")

    [payment] = call_payments(line)
    assert payment.authorization_text == said
    assert payment.authorization_key == "1" and payment.authorized_at is not None
    [notice] = [body for to, body in addressed_texts(line)
                if to == caller.caller and body.startswith("Bank debit authorization")]
    assert "$120.45 from the checking account ending 6789" in notice
    assert f"{payment.confirmation_number}" in addressed_texts(line)[-1][1]  # once submitted
    assert "Questions: call (800) 555-0199." in notice


def test_cancelling_instead_stores_nothing_and_texts_nothing(line: Flask) -> None:
    caller = TwilioCaller(line)
    caller.press(caller.walk(*JORDAN_TO_BANK), "2")
    assert call_payments(line) == [] and addressed_texts(line) == []


def test_autopay_by_bank_is_stored_as_the_twiml_said_it(line: Flask) -> None:
    caller = TwilioCaller(line, caller="+13125550142")
    answer = caller.walk(*ALEX_MAIN_MENU, "4", "2", "2")  # AutoPay with checking 6789
    said = authorisation_said(answer, AGREE_AUTOPAY)
    assert speak_value(date(2026, 12, 12)) in said  # its first due date
    assert "Alex Kim" in said and speak_value(Phone(PHONE)) in said

    caller.press(answer, "1")

    with db.transaction(line) as session:
        enrolled = session.scalars(select(AutopayEnrollment)).one()
        assert enrolled.active and enrolled.authorization_text == said
        assert enrolled.authorization_key == "1" and enrolled.authorized_at is not None
    [(to, notice)] = addressed_texts(line)
    assert to == caller.caller and notice.startswith("AutoPay authorization for Riverside Water")
