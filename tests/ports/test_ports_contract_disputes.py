"""The dispute port's contract, on the fake and on the database ports alike: one case per
recording, its number random and eight digits long, and texted only when there is a number."""

from __future__ import annotations

import re

from flask import Flask

from flows.recording import RecordingReport
from ivr.db import db
from ivr.ports.database import ports_for
from tests.app_helpers import account, texts
from tests.ports.contract_helpers import CALLER, JORDAN, NO_PHONE, SAM, Harness

URL = "https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/"


def message(sid: str, seconds: int = 30) -> RecordingReport:
    """A recorded message, as Twilio reports it."""
    return RecordingReport(sid=sid, url=URL + sid, duration_seconds=seconds)


def test_one_case_per_recording_however_often_it_is_reported(harness: Harness) -> None:
    sid = "RE" + "1" * 32
    with harness.turn() as ports:
        first = ports.open_dispute(harness.ids[JORDAN], "CA1", message(sid), CALLER, "en-US")
    with harness.turn() as ports:
        again = ports.open_dispute(harness.ids[JORDAN], "CA1", message(sid), CALLER, "en-US")
    assert again == first and first.texted
    assert re.fullmatch(r"[1-9][0-9]{7}", first.number)


def test_each_recording_has_its_own_case(harness: Harness) -> None:
    with harness.turn() as ports:
        numbers = {ports.open_dispute(harness.ids[SAM], f"CA{n}", message(f"RE{n:032d}"),
                                      None, "en-US").number for n in range(3)}
    assert len(numbers) == 3


def test_no_text_without_a_number_to_send_it_to(harness: Harness) -> None:
    with harness.turn() as ports:
        case = ports.open_dispute(harness.ids[NO_PHONE], "CA1", message("RE" + "2" * 32),
                                  None, "en-US")
    assert not case.texted
    with harness.turn() as ports:  # the account's phone, when the caller ID was withheld
        case = ports.open_dispute(harness.ids[SAM], "CA2", message("RE" + "3" * 32), None,
                                  "en-US")
    assert case.texted


def test_the_database_texts_a_case_number_once(demo_app: Flask) -> None:
    report = message("RE" + "4" * 32)
    for _ in range(2):
        with db.transaction(demo_app) as session:
            ports = ports_for(demo_app, session, "CA1")
            ports.open_dispute(account(session).id, "CA1", report, CALLER, "en-US")
    assert len(texts(demo_app)) == 1
