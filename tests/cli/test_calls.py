"""``ivr calls show`` and ``ivr calls prune``: a call read back from the call log, and the log
kept to its retention."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from flows import machine
from ivr.config import override_settings
from ivr.db import db
from models import AuditEvent
from tests.call_log_helpers import age_turns, calls, logged_turns, turn_counts
from tests.menu_helpers import JORDAN_NEW_CARD, JORDAN_OTHER_AMOUNT, JORDAN_PAY_NOW
from tests.twilio_helpers import TwilioCaller, pay_result

PAID, TALKED, SPANISH = "CA" + "a" * 32, "CA" + "b" * 32, "CA" + "c" * 32
CARD = ("4242424242424242", "1230", "123", "94105")


def paid_by_card(app: Flask) -> TwilioCaller:
    """Jordan's call: the full balance paid by a new Visa, then hung up (Twilio's callback)."""
    caller = TwilioCaller(app, call_sid=PAID)
    caller.walk(*JORDAN_NEW_CARD, *CARD, "1")
    caller.post("/voice/status", CallStatus="completed", CallDuration="95")
    return caller


def turn_line(transcript: str, number: int) -> str:
    """The first line of turn ``number`` in a transcript."""
    [line] = [line for line in transcript.splitlines() if line.startswith(f"{number:>3}  ")]
    return line


def test_show_prints_the_call_turn_by_turn(demo_app: Flask) -> None:
    paid_by_card(demo_app)
    result = calls(demo_app, "show", PAID)
    assert (result.exit_code, result.stderr) == (0, "")
    lines = result.stdout.splitlines()
    assert lines[:7] == [f"Call {PAID}", "  from     +14155550100", "  to       +18005550199",
                         lines[3], lines[4], "  status   completed, 95 seconds",
                         "  turns    10 in the call log"]
    assert lines[3].startswith("  started  20") and lines[3].endswith(" UTC")
    assert "(new call) -> confirm_account  call answered  (" in turn_line(result.stdout, 1)
    assert "  pin -> pay_now  keyed <PIN, 4 digits>  (" in turn_line(result.stdout, 3)
    assert "card_number -> card_expiry  keyed <card number, 16 digits>" in \
        turn_line(result.stdout, 5)
    assert "charging -> after_payment  held while the payment was charged" in \
        turn_line(result.stdout, 10)
    assert "       ask.pin  Enter your PIN." in lines
    assert "       info.balance_due            You owe …, due …." in lines
    assert turn_line(result.stdout, 2).endswith(f" ms, {logged_turns(demo_app, PAID)[1].worker})")


def test_show_as_json_gives_the_same_call_as_data(demo_app: Flask) -> None:
    paid_by_card(demo_app)
    result = calls(demo_app, "show", PAID, "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["call_sid"], data["from"], data["to"], data["status"],
            data["duration_seconds"]) == (PAID, "+14155550100", "+18005550199", "completed", 95)
    turns = data["turns"]
    assert [turn["turn"] for turn in turns] == list(range(1, 11))
    pin = turns[2]
    assert (pin["step_before"], pin["step_after"], pin["input_kind"], pin["entry"],
            pin["caller"]) == ("pin", "pay_now", "entry", "<PIN, 4 digits>",
                               "keyed <PIN, 4 digits>")
    assert turns[1]["prompts"] == [{"id": "ask.pin", "language": "en-US",
                                    "text": "Enter your PIN."}]
    assert turns[0]["prompts"][0] == {"id": "option.language", "language": "es-US",
                                      "text": "Para español, oprima …."}
    assert isinstance(pin["response_ms"], int) and pin["worker"]
    assert data["ended_at"] > data["started_at"] and turns[-1]["at"] >= turns[0]["at"]


def test_show_reads_words_said_and_a_call_in_spanish(demo_app: Flask) -> None:
    caller = TwilioCaller(demo_app, call_sid=SPANISH)
    answer = caller.press(caller.start(), "9")  # "Para español, oprima 9"
    answer = caller.press(caller.press(answer, "1"), "2468")
    caller.say(answer, "pagar con tarjeta")
    data = json.loads(calls(demo_app, "show", SPANISH, "--format", "json").stdout)
    assert [turn["caller"] for turn in data["turns"]] == [
        "call answered", "pressed 9", "pressed 1", "keyed <PIN, 4 digits>",
        "said 'pagar con tarjeta'"]
    offer = data["turns"][1]["prompts"][0]
    assert (offer["id"], offer["language"], offer["text"]) == (
        "option.language", "en-US", "For English, press ….")
    assert data["turns"][2]["prompts"][0]["language"] == "es-US"
    assert data["status"] == "in progress" and data["ended_at"] is None


def test_show_reads_a_pay_result(demo_app: Flask) -> None:
    override_settings(demo_app, IVR_CARD_CAPTURE="pay")
    caller = TwilioCaller(demo_app, call_sid=PAID)
    answer = caller.walk(*JORDAN_OTHER_AMOUNT, "30", "1", "1")
    pay_result(caller, answer, Result="success", PaymentConfirmationCode="ch_1",
               PaymentCardType="visa", PaymentCardNumber="xxxx-xxxx-xxxx-4242",
               ExpirationDate="1230", PaymentCardPostalCode="94105")
    transcript = calls(demo_app, "show", PAID).stdout
    assert "card_capture -> after_payment  <Pay>: success Visa  (" in transcript


def test_show_of_a_call_with_a_failed_turn_shows_the_turns_answered(
        demo_app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    caller = TwilioCaller(demo_app, call_sid=TALKED)
    answer = caller.press(caller.start(), "1")

    def broken(*args: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(machine, "handle", broken)
    apology = caller.press(answer, "2468")
    assert "something went wrong on our end" in apology.said
    caller.post("/voice/status", CallStatus="completed", CallDuration="20")

    result = calls(demo_app, "show", TALKED)
    assert result.exit_code == 0, result.output
    assert "  turns    2 in the call log" in result.stdout.splitlines()
    assert "confirm_account -> pin  pressed 1" in turn_line(result.stdout, 2)
    assert "  status   completed, 20 seconds" in result.stdout.splitlines()


def test_show_of_an_unknown_call_is_one_error_line(demo_app: Flask) -> None:
    result = calls(demo_app, "show", "CA" + "0" * 32)
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == f"error: no call CA{'0' * 32}\n"


def test_show_of_a_pruned_call_says_its_turns_are_gone(demo_app: Flask) -> None:
    paid_by_card(demo_app)
    calls(demo_app, "prune", "--older-than", "0")
    result = calls(demo_app, "show", PAID)
    assert result.exit_code == 0
    assert result.stdout.splitlines()[-1] == \
        "  turns    none in the call log (pruned, or the call was never answered)"


def test_prune_keeps_the_retention_setting_by_default(demo_app: Flask) -> None:
    override_settings(demo_app, IVR_CALL_LOG_DAYS="30")
    TwilioCaller(demo_app, call_sid=PAID).walk(*JORDAN_PAY_NOW)
    TwilioCaller(demo_app, call_sid=TALKED).walk(*JORDAN_PAY_NOW)
    age_turns(demo_app, PAID, timedelta(days=30, minutes=1))
    age_turns(demo_app, TALKED, timedelta(days=29))

    result = calls(demo_app, "prune")
    assert (result.exit_code, result.stdout) == (0, "Deleted 3 call log turns older than "
                                                    "30 days\n")
    assert turn_counts(demo_app) == {TALKED: 3}
    assert calls(demo_app, "prune").stdout == "Deleted 0 call log turns older than 30 days\n"
    assert calls(demo_app, "prune", "--older-than", "28").stdout == \
        "Deleted 3 call log turns older than 28 days\n"
    assert turn_counts(demo_app) == {}


def test_prune_counts_in_words(demo_app: Flask) -> None:
    TwilioCaller(demo_app, call_sid=PAID).start()
    age_turns(demo_app, PAID, timedelta(days=2))
    assert calls(demo_app, "prune", "--older-than", "1").stdout == \
        "Deleted 1 call log turn older than 1 day\n"


@pytest.mark.parametrize("days", ["-1", "3661", "ninety"])
def test_prune_refuses_days_out_of_range(demo_app: Flask, days: str) -> None:
    result = calls(demo_app, "prune", "--older-than", days)
    assert result.exit_code == 2 and "--older-than" in result.stderr


def test_show_and_prune_are_in_the_audit_trail(demo_app: Flask) -> None:
    paid_by_card(demo_app)
    calls(demo_app, "show", PAID)
    calls(demo_app, "show", "CA-nope")
    calls(demo_app, "prune", "--older-than", "0")
    with db.transaction(demo_app) as session:
        events = session.execute(select(AuditEvent.action, AuditEvent.outcome,
                                        AuditEvent.detail)
                                 .where(AuditEvent.action.like("command:calls%"))
                                 .order_by(AuditEvent.id)).all()
    assert [tuple(event) for event in events] == [
        ("command:calls show", "ok", f"call {PAID}: 10 turns shown as text"),
        ("command:calls show", "error", "no call CA-nope"),
        ("command:calls prune", "ok", "Deleted 10 call log turns older than 0 days")]
