"""One caller ID guessing PINs or account numbers across accounts is throttled.

Withheld caller IDs, in every form Twilio sends them, are one caller ("caller:withheld").
"""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select

from flows.speech import render, say
from ivr.config import override_settings
from ivr.db import db
from models import AuditEvent
from tests.twilio_helpers import TwilioCaller

WITHHELD = ["anonymous", "+266696687", "+7378742833", "restricted", ""]
THROTTLED = render(say("end.caller_throttled"))
WRONG_PIN = render(say("error.pin_wrong"))
NOT_FOUND = "Sorry, we could not find"


@pytest.fixture
def strict_app(demo_app: Flask) -> Flask:
    """The demo line, refusing a caller ID after 3 failures within the hour."""
    override_settings(demo_app, IVR_CALLER_MAX_PIN_FAILURES=3)
    return demo_app


def call(app: Flask, number: int, caller_id: str) -> TwilioCaller:
    """Call ``number`` of a test, from ``caller_id``."""
    return TwilioCaller(app, call_sid=f"CA{number:032d}", caller=caller_id)


def audit_rows(app: Flask) -> list[tuple[str, str, str, str | None]]:
    """(actor, action, outcome, detail) of every audit event, in order."""
    with db.transaction(app) as session:
        rows = session.execute(select(AuditEvent.actor, AuditEvent.action, AuditEvent.outcome,
                                      AuditEvent.detail).order_by(AuditEvent.id)).all()
        return list(rows)


def test_withheld_caller_ids_are_throttled_as_one_caller(strict_app: Flask) -> None:
    for number, caller_id in enumerate(WITHHELD[:2]):
        answer = call(strict_app, number, caller_id).walk("10001234", "0000")
        assert answer.said.startswith(WRONG_PIN), answer.said
    third = call(strict_app, 2, WITHHELD[2])
    answer = third.walk("10001234", "0000")
    assert answer.said.startswith(WRONG_PIN), answer.said

    answer = third.press(answer, "2468")  # the right PIN, from a throttled caller

    assert answer.said.startswith(THROTTLED), answer.said
    for number, caller_id in enumerate(WITHHELD[3:], start=3):
        answer = call(strict_app, number, caller_id).walk("20005678")
        assert answer.said.startswith(THROTTLED), answer.said
        assert answer.gather is None
    assert {actor for actor, *_ in audit_rows(strict_app)} == {"caller:withheld"}
    assert call(strict_app, 9, "+12125550199").walk("1", "1357").said.startswith(
        "Your balance of eighty-nine dollars and ten cents")  # the PIN was checked


def test_unknown_account_numbers_count_towards_the_caller_throttle(strict_app: Flask) -> None:
    guesser = "+16505550123"
    answer = call(strict_app, 1, guesser).walk("99999", "4242424242424242")
    assert answer.said.startswith(NOT_FOUND), answer.said
    answer = call(strict_app, 1, guesser).press(answer, "10001234")
    assert call(strict_app, 1, guesser).press(answer, "0000").said.startswith(WRONG_PIN)

    refused = call(strict_app, 2, guesser).walk("10001234")

    assert refused.said.startswith(THROTTLED), refused.said
    assert refused.gather is None
    assert audit_rows(strict_app) == [
        ("caller:" + guesser, "account_lookup", "not_found", None),
        ("caller:" + guesser, "account_lookup", "not_found", None),
        ("caller:" + guesser, "pin_check", "wrong", None),
        ("caller:" + guesser, "account_lookup", "throttled", None)]
    other = call(strict_app, 3, "+16505550124").walk("10001234")
    assert other.said.startswith("Enter your PIN."), other.said


def test_withheld_callers_guessing_account_numbers_are_throttled_too(strict_app: Flask) -> None:
    for number, caller_id in enumerate(WITHHELD[:3]):
        answer = call(strict_app, number, caller_id).walk("99999")
        assert answer.said.startswith(NOT_FOUND), answer.said

    assert call(strict_app, 5, WITHHELD[4]).walk("10001234").said.startswith(THROTTLED)
