"""Words said are never written or logged: a caller may say a card number at any question
that listens for words. It is said at each one; no value written to the database (INSERT
and UPDATE parameters, so a value overwritten later is still caught) and no log record may
hold it, in words or in digits, nor any part of it read back."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, update

from flows.state import Step
from ivr.config import override_settings
from ivr.db import db
from ivr.security.pins import pins_of
from models import Account
from tests.prompt_paths import (
    PATHS,
    PAY_STEPS,
    PIN,
    RECORD_STEPS,
    SCHEDULE_ONE,
    settings_for,
    walk,
)

SAID = ["my card number is 5 1 0 5 1 0 5 1 0 5 1 0 5 1 0 0 and the code is 7 3 1",
        "five one zero five one zero five one zero five one zero five one zero zero",
        "5105105105105100"]
# What must not be found: the card number in any form, and the words around it.
PIECES = ("5105105105105100", "5 1 0 5 1 0 5", "5105 1051", "five one zero five",
          "card number is", "7 3 1")


def test_a_card_number_said_at_any_question_is_not_kept_or_logged(
        demo_app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with db.transaction(demo_app) as session:
        session.execute(update(Account).values(pin_hash=pins_of(demo_app).hash(PIN)))
    walk(demo_app, "CA" + "a" * 32, SCHEDULE_ONE)
    written: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any,
               executemany: bool) -> None:
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE")):
            for row in parameters if executemany else [parameters]:
                values = row.values() if isinstance(row, dict) else row
                written.extend(str(value) for value in values or () if value is not None)

    event.listen(db.engine(demo_app), "before_cursor_execute", record)
    heard: list[str] = []
    spoken_at = set()
    for n, (step, path) in enumerate(PATHS.items()):
        if step in PAY_STEPS | RECORD_STEPS:
            continue
        override_settings(demo_app, **settings_for(step))
        for m, words in enumerate(SAID):
            caller, answer = walk(demo_app, f"CA{n:02d}{m:02d}{'c' * 28}", path)
            assert answer.gather is not None
            if "speech" not in (answer.gather.get("input") or ""):
                break
            spoken_at.add(step)
            reply = caller.say(answer, words)
            assert reply.status == 200 and "went wrong" not in reply.said, (step, reply.said)
            heard.append(reply.said)
    assert {Step.ACCOUNT_NUMBER, Step.MAIN_MENU, Step.PAY_OTHER_AMOUNT} <= spoken_at
    logged = [record.getMessage() for record in caplog.records]
    for text in [*written, *logged, *heard]:
        for piece in PIECES:
            assert not found(piece, text), (piece, text[:300])


def found(piece: str, text: str) -> bool:
    """Whether ``piece`` is in ``text``; a few digits (the security code) only where they
    stand alone, not inside a longer number (a case number read back, "2 7 6 7, 7 3 1 6",
    holds "7 3 1" by chance). A run of six digits or more is looked for anywhere."""
    if not re.fullmatch(r"[\d ]+", piece) or len(piece.replace(" ", "")) >= 6:
        return piece in text
    return re.search(rf"(?<!\d)(?<!\d ){re.escape(piece)}(?! ?\d)", text) is not None


def test_digits_are_found_alone_and_not_inside_a_longer_number() -> None:
    assert found("7 3 1", "and the code is 7 3 1.") and found("731", "code 731")
    assert not found("7 3 1", "Your case number is 2 7 6 7, 7 3 1 6.")
    assert not found("7 3 1", "5 7 3 1") and not found("731", "27317316")
    assert found("5 1 0 5 1 0 5", "ending in 5 1 0 5 1 0 5 1 0 0")
