"""The call log attacked: every kind of secret a caller keys or says goes through the real
webhooks, and no run of its digits may be found in ``call_turns``, in ``ivr calls show`` (as
text or JSON), or in any log record.

A long secret (a card, bank or phone number) is looked for as every run of six of its digits;
a short one (a PIN, expiry, security code, ZIP code) as a whole number, since four digits turn
up by chance inside longer ones. What the log computes itself holds nothing a caller keyed:
times, response times and the worker's name are left out of the scan, as their digits would
match by chance.
"""

from __future__ import annotations

import json
import logging
import re
from collections import Counter
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from ivr.db import db
from models import CallTurn
from tests.agent_helpers import SATURDAY_AFTERNOON, with_agent
from tests.call_log_helpers import calls
from tests.menu_helpers import (
    ALEX_MAIN_MENU,
    JORDAN_MAIN_MENU,
    JORDAN_NEW_BANK,
    JORDAN_OTHER_AMOUNT,
)
from tests.twilio_helpers import TwilioCaller

SECRETS = {
    "PIN": "2468", "wrong PIN": "7391", "keyed account's PIN": "8024",
    "card number": "4242424242424242", "expiry": "1230", "security code": "737",
    "ZIP code": "94105", "routing number": "110000000", "bank account": "000123456789",
    "unknown account number": "77788899", "callback number": "6175550186",
    "card said at a menu": "5105105105105100",
}
SAID_AT_MENU = "my card is 5105 1051 0510 5100"
ACCOUNT_SAID = "7 7 7 8 8 8 9 9"
# What the log must hold instead (so the calls are known to have reached each question).
MASKS = Counter({"<PIN, 4 digits>": 4, "<card number, 16 digits>": 1,
                 "<card expiry, 4 digits>": 1, "<security code, 3 digits>": 1,
                 "<ZIP code, 5 digits>": 1, "<routing number, 9 digits>": 1,
                 "<bank account number, 12 digits>": 2, "<account number, 8 digits>": 1,
                 "<account number, said in 8 words>": 1, "<phone number, 10 digits>": 1,
                 "<words with a number, 7 words>": 1})
COMPUTED = ("at", "started_at", "ended_at", "response_ms", "worker")  # JSON keys left out
_TIMES = re.compile(r"\d{4}-\d\d-\d\d|\d\d:\d\d:\d\d|\(\d+ ms, [^)]*\)")


def patterns() -> dict[str, re.Pattern[str]]:
    """Each secret, and each run of six of its digits, as what may not be found."""
    found: dict[str, re.Pattern[str]] = {}
    for name, digits in SECRETS.items():
        if len(digits) < 6:
            found[name] = re.compile(rf"(?<![0-9A-Za-z]){digits}(?![0-9A-Za-z])")
            continue
        for start in range(len(digits) - 5):
            found[f"{name} ({digits[start:start + 6]})"] = re.compile(digits[start:start + 6])
    return found


def leaks(where: str, text: str) -> list[str]:
    """Which secrets ``text`` holds, named with ``where``."""
    return [f"{where}: {name} in {text[:300]!r}"
            for name, pattern in patterns().items() if pattern.search(text)]


def key_every_secret(app: Flask) -> list[str]:
    """Four calls between them keying or saying every secret; their call SIDs. (The bank
    account is keyed first: the card then pays the whole balance.)"""
    bank = TwilioCaller(app, call_sid="CA" + "b" * 32)
    bank.walk(*JORDAN_NEW_BANK, "1", SECRETS["routing number"], SECRETS["bank account"],
              SECRETS["bank account"])

    card = TwilioCaller(app, call_sid="CA" + "a" * 32)
    answer = card.walk("1", SECRETS["wrong PIN"], SECRETS["PIN"])
    answer = card.say(answer, SAID_AT_MENU)  # heard as "card": pay by card
    assert "Enter the card number" in answer.said, answer.said
    for keys in (SECRETS["card number"], SECRETS["expiry"], SECRETS["security code"],
                 SECRETS["ZIP code"], "1"):
        answer = card.press(answer, keys)
    assert "payment has been approved" in answer.said, answer.said

    keyed = TwilioCaller(app, call_sid="CA" + "c" * 32, caller="+16505550123")
    answer = keyed.press(keyed.start(), SECRETS["unknown account number"])
    answer = keyed.say(answer, ACCOUNT_SAID)
    for keys in ALEX_MAIN_MENU[:2]:
        answer = keyed.press(answer, keys)
    assert "Enter your PIN" not in answer.said, "Alex's account and PIN were taken"

    callback = TwilioCaller(with_agent(app, hours="Sat 09:00-12:00", now=SATURDAY_AFTERNOON),
                            call_sid="CA" + "d" * 32)
    callback.walk(*JORDAN_MAIN_MENU, "0", "1", "2", SECRETS["callback number"], "1")
    return [card.call_sid, bank.call_sid, keyed.call_sid, callback.call_sid]


def logged_values(app: Flask) -> list[tuple[str, Any]]:
    """(column, value) of every call_turns column that can hold text, but the worker."""
    with db.transaction(app) as session:
        rows = session.execute(select(CallTurn.__table__)).mappings().all()
    return [(column, value) for row in rows for column, value in row.items()
            if isinstance(value, str | list) and column != "worker"]


def shown(app: Flask, call_sid: str) -> list[tuple[str, str]]:
    """``ivr calls show`` of the call, as text and as JSON, without the computed fields."""
    text = calls(app, "show", call_sid)
    data = calls(app, "show", call_sid, "--format", "json")
    assert text.exit_code == data.exit_code == 0, text.output + data.output
    parsed = json.loads(data.stdout)
    for turn in [parsed, *parsed["turns"]]:
        for key in COMPUTED:
            turn.pop(key, None)
    return [("text", _TIMES.sub("", text.stdout)), ("json", json.dumps(parsed))]


def logged_text(record: logging.LogRecord) -> str:
    """A log record's message, and its exception's if it has one (not the traceback's frames:
    their line numbers are short secrets by chance)."""
    error = record.exc_info[1] if record.exc_info else None
    return record.getMessage() + (f"\n{type(error).__name__}: {error}" if error else "")


def test_no_digit_of_a_secret_is_in_the_call_log_its_transcripts_or_the_logs(
        demo_app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    call_sids = key_every_secret(demo_app)

    values = logged_values(demo_app)
    problems = [problem for column, value in values
                for problem in leaks(f"call_turns.{column}", json.dumps(value))]
    for call_sid in call_sids:
        for form, text in shown(demo_app, call_sid):
            problems += leaks(f"ivr calls show {call_sid} ({form})", text)
    records = [logged_text(record) for record in caplog.records]
    assert len(records) > len(call_sids), "the logs were not captured"
    problems += [problem for record in records for problem in leaks("log", record)]
    assert not problems, "\n".join(problems)
    entries = Counter(value for column, value in values if column == "entry")
    assert entries & MASKS == MASKS, f"a secret was not reached: {MASKS - entries}"


def test_the_scan_finds_a_secret_where_there_is_one() -> None:
    assert leaks("x", "keyed 0123456 then") != []  # a run of the bank account number
    assert leaks("x", "PIN 2468.") != [] and leaks("x", "CA2468ab 12468") == []
    assert leaks("x", "<card number, 16 digits>, 42 ms") == []


def test_a_card_number_keyed_or_said_at_the_amount_question_is_not_logged(
        demo_app: Flask) -> None:
    caller = TwilioCaller(demo_app, call_sid="CA" + "e" * 32)
    answer = caller.walk(*JORDAN_OTHER_AMOUNT)
    assert "Enter the amount" in answer.said, answer.said
    answer = caller.press(answer, SECRETS["card number"])
    answer = caller.say(answer, "5105 1051 0510 5100")
    answer = caller.press(answer, "50")  # an amount is kept as keyed
    entries = [entry for column, entry in logged_values(demo_app) if column == "entry"]
    problems = [problem for entry in entries for problem in leaks("call_turns.entry", entry)]
    for form, text in shown(demo_app, caller.call_sid):
        problems += leaks(f"ivr calls show ({form})", text)
    assert not problems, "\n".join(problems)
    assert entries[-3:] == ["<keys, 16 digits>", "<words with a number, 4 words>", "50"]
