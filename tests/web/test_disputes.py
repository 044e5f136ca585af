"""Questioning a charge over signed webhooks: <Record>, its report, and its status callback."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from flows.speech import render, say
from ivr.db import db
from ivr.ports.disputes import DisputePortsMixin
from models import AuditEvent
from tests.app_helpers import addressed_texts, call_row, dispute_cases
from tests.concurrency import at_once
from tests.menu_helpers import JORDAN_MAIN_MENU
from tests.twilio_helpers import (
    Answer,
    TwilioCaller,
    recording_status,
    recording_url,
)

SID = "RE" + "c" * 32
OTHER_SID = "RE" + "d" * 32
# Twilio's <Record> attributes (its TwiML reference); anything else draws warning 12200.
RECORD_ATTRIBUTES = {"action", "method", "timeout", "finishOnKey", "maxLength", "playBeep",
                     "trim", "recordingStatusCallback", "recordingStatusCallbackMethod",
                     "recordingStatusCallbackEvent", "transcribe", "transcribeCallback"}
# To the recording: the main menu (matched by caller ID, the PIN, more options), then 7.
TO_RECORDING = (*JORDAN_MAIN_MENU, "7")
NEXT_TURN = f"/voice/turn?t={len(TO_RECORDING) + 1}"  # the turn the recording answers


def at_recording(app: Flask, call_sid: str = "CA" + "1" * 32) -> tuple[TwilioCaller, Answer]:
    """A caller matched by caller ID who passed the PIN, chose more options (the main menu)
    and there chose to question a charge."""
    caller = TwilioCaller(app, call_sid=call_sid)
    return caller, caller.walk(*TO_RECORDING)


def spoken_case(answer: Answer) -> str:
    """The case number as heard ("1 2 3 4, 5 6 7 8"), as digits."""
    match = re.search(r"Your case number is ([0-9 ,]+)\.", answer.said)
    assert match, answer.said
    return re.sub(r"[ ,]", "", match.group(1))


def test_the_option_asks_for_a_message_with_record(demo_app: Flask) -> None:
    _caller, answer = at_recording(demo_app)
    assert answer.verbs() == ["Say", "Record", "Redirect"]
    record = answer.root.find("Record")
    assert record is not None
    assert set(record.attrib) <= RECORD_ATTRIBUTES
    assert record.attrib == {
        "action": NEXT_TURN, "method": "POST", "maxLength": "120", "finishOnKey": "#",
        "playBeep": "true", "timeout": "5", "trim": "trim-silence",
        "recordingStatusCallback": "/voice/recording-status",
        "recordingStatusCallbackMethod": "POST",
        "recordingStatusCallbackEvent": "completed absent"}
    # Nothing recorded: Twilio skips the action and goes on to the next verb.
    assert answer.root[-1].text == f"{NEXT_TURN}&silence=1"
    assert "You have up to 2 minutes. When you have finished, press pound." in answer.said


def test_the_main_menu_names_the_option(demo_app: Flask) -> None:
    menu = TwilioCaller(demo_app).walk(*JORDAN_MAIN_MENU)
    assert "To question a charge on your bill, press 7." in menu.said


def test_a_message_opens_a_case_said_digit_by_digit_and_texted(demo_app: Flask) -> None:
    caller, answer = at_recording(demo_app)
    done = caller.record(answer, seconds=31, sid=SID)
    [case] = dispute_cases(demo_app)
    assert spoken_case(done) == case.case_number
    assert re.fullmatch(r"[1-9][0-9]{7}", case.case_number)
    assert f"Your case number is {' '.join(case.case_number[:4])}, " in done.said
    assert "We will also send the case number by text message." in done.said
    assert (case.call_sid, case.recording_sid, case.status) == (caller.call_sid, SID, "open")
    assert (case.recording_url, case.recording_duration) == (recording_url(SID), 31)
    assert case.recording_status is None  # until the status callback
    text = render(say("sms.dispute_opened", account_last4="1234", number=case.case_number))
    assert addressed_texts(demo_app) == [("+14155550100", text)]
    assert call_row(demo_app, caller.call_sid).state == "dispute_done"
    again = caller.press(done, "1")
    assert spoken_case(again) == case.case_number


def test_case_numbers_are_random_not_counted(demo_app: Flask) -> None:
    numbers = []
    for n in range(4):
        caller, answer = at_recording(demo_app, f"CA{n:032d}")
        numbers.append(spoken_case(caller.record(answer)))
    # A counter would give neighbours; random numbers from 90 million are far apart.
    assert all(abs(int(a) - int(b)) > 1 for a in numbers for b in numbers if a != b)
    assert len(set(numbers)) == 4


def test_the_status_callback_fills_the_trimmed_length_and_status(demo_app: Flask) -> None:
    caller, answer = at_recording(demo_app)
    caller.record(answer, seconds=31, sid=SID)
    reply = recording_status(caller, SID, seconds=27)
    assert reply.status == 200 and reply.verbs() == []
    [case] = dispute_cases(demo_app)
    assert (case.recording_status, case.recording_duration) == ("completed", 27)
    assert case.recording_url == recording_url(SID)


def test_the_status_callback_twice_changes_nothing_more(demo_app: Flask) -> None:
    caller, answer = at_recording(demo_app)
    caller.record(answer, sid=SID)
    for _ in range(2):
        assert recording_status(caller, SID, seconds=27).status == 200
    [case] = dispute_cases(demo_app)
    assert (case.recording_status, case.recording_duration) == ("completed", 27)
    assert len(addressed_texts(demo_app)) == 1


def test_a_callback_before_the_report_opens_the_case_the_report_then_finds(
        demo_app: Flask) -> None:
    caller, answer = at_recording(demo_app)
    assert recording_status(caller, SID, seconds=27).status == 200
    [first] = dispute_cases(demo_app)
    assert not addressed_texts(demo_app)  # the call's turn texts, in the call's language
    done = caller.record(answer, seconds=31, sid=SID)
    [case] = dispute_cases(demo_app)
    assert spoken_case(done) == case.case_number == first.case_number
    assert case.recording_duration == 27  # the trimmed length is not undone by the report
    assert len(addressed_texts(demo_app)) == 1


def test_a_redelivered_report_is_answered_again_not_opened_again(demo_app: Flask) -> None:
    caller, answer = at_recording(demo_app)
    done = caller.record(answer, sid=SID)
    again = caller.resend()
    assert again.raw == done.raw
    assert len(dispute_cases(demo_app)) == 1 and len(addressed_texts(demo_app)) == 1


@pytest.mark.parametrize("call_sid", ["CA" + "9" * 32, ""])
def test_a_callback_about_an_unknown_call_stores_nothing(demo_app: Flask, call_sid: str) -> None:
    stranger = TwilioCaller(demo_app, call_sid=call_sid)
    assert recording_status(stranger, SID).status == 204
    assert not dispute_cases(demo_app)


def test_a_callback_about_an_unknown_recording_stores_nothing(demo_app: Flask) -> None:
    caller = TwilioCaller(demo_app)
    caller.walk(*JORDAN_MAIN_MENU)  # a call of ours, at the main menu: no recording asked for
    assert recording_status(caller, SID).status == 204
    assert recording_status(caller, "not-a-recording").status == 204
    caller2, answer = at_recording(demo_app, "CA" + "2" * 32)
    caller2.record(answer, sid=SID)
    assert recording_status(caller, SID).status == 204  # another call's recording
    [case] = dispute_cases(demo_app)
    assert case.recording_status is None


def test_a_short_or_absent_recording_before_the_report_opens_nothing(demo_app: Flask) -> None:
    caller, _answer = at_recording(demo_app)
    assert recording_status(caller, SID, seconds=1).status == 204
    assert recording_status(caller, OTHER_SID, status="absent").status == 204
    assert not dispute_cases(demo_app)


@pytest.mark.parametrize("signature", ["", "forged"])
def test_an_unsigned_or_forged_callback_is_refused(demo_app: Flask, signature: str) -> None:
    caller, answer = at_recording(demo_app)
    caller.record(answer, sid=SID)
    params = caller.params(RecordingSid=SID, RecordingStatus="completed",
                           RecordingUrl="https://evil.example/x", RecordingDuration="5")
    response = demo_app.test_client().post("/voice/recording-status", data=params,
                                           headers={"X-Twilio-Signature": signature})
    assert response.status_code == 403
    [case] = dispute_cases(demo_app)
    assert case.recording_status is None and case.recording_url == recording_url(SID)


@pytest.mark.parametrize("how", ["silence", "short", "bad sid"])
def test_no_message_offers_to_record_again_or_return(demo_app: Flask, how: str) -> None:
    caller, answer = at_recording(demo_app)
    if how == "silence":
        empty = caller.silence(answer)
    elif how == "short":
        empty = caller.record(answer, seconds=1)
    else:
        empty = caller.record(answer, sid="RE-not-twilio")
    assert "Sorry, we did not get a message." in empty.said
    assert "To record your message again, press 1." in empty.said
    assert "To return to the main menu, press 2." in empty.said
    assert not dispute_cases(demo_app) and not addressed_texts(demo_app)
    assert caller.press(empty, "1").root.find("Record") is not None


def test_hanging_up_while_recording_still_opens_and_texts_the_case(demo_app: Flask) -> None:
    caller, answer = at_recording(demo_app)
    caller.record(answer, seconds=40, sid=SID, digits="hangup")
    caller.post("/voice/status", CallStatus="completed", CallDuration="95")
    assert recording_status(caller, SID, seconds=38).status == 200
    [case] = dispute_cases(demo_app)
    assert (case.recording_status, case.recording_duration) == ("completed", 38)
    assert len(addressed_texts(demo_app)) == 1


def test_a_report_after_the_call_was_closed_still_opens_the_case(demo_app: Flask) -> None:
    caller, answer = at_recording(demo_app)
    caller.post("/voice/status", CallStatus="completed", CallDuration="95")
    late = caller.record(answer, seconds=40, sid=SID, digits="hangup")
    assert late.status == 200 and late.verbs()[-1] == "Hangup"
    [case] = dispute_cases(demo_app)
    assert case.recording_sid == SID
    [(to, body)] = addressed_texts(demo_app)
    assert to == "+14155550100" and case.case_number in body
    caller.record(answer, seconds=40, sid=SID, digits="hangup")  # delivered again
    assert len(dispute_cases(demo_app)) == 1 and len(addressed_texts(demo_app)) == 1


def test_opening_a_case_is_audited(demo_app: Flask) -> None:
    caller, answer = at_recording(demo_app)
    caller.record(answer, sid=SID)
    [case] = dispute_cases(demo_app)
    with db.transaction(demo_app) as session:
        event = session.scalars(select(AuditEvent).where(
            AuditEvent.action == "dispute_open")).one()
        assert (event.actor, event.origin) == ("caller:+14155550100", caller.call_sid)
        assert event.detail == f"case {case.case_number}"




def test_a_callback_while_the_report_opens_the_case_waits_for_it(
        demo_app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """The turn has written the case and not yet committed when the callback comes: the
    callback waits for the call's turn, then completes the case the turn opened."""
    caller, answer = at_recording(demo_app)
    texting = DisputePortsMixin._text_case

    def slowly(ports: DisputePortsMixin, *args: Any) -> bool:
        texted = texting(ports, *args)
        ports.session.flush()  # the case is written, its transaction still open
        time.sleep(0.6)
        return texted

    monkeypatch.setattr(DisputePortsMixin, "_text_case", slowly)

    def callback_later() -> Answer:
        time.sleep(0.3)
        return recording_status(caller, SID, seconds=27)

    jobs = [lambda: caller.record(answer, sid=SID), callback_later]
    answers = at_once(2, lambda: jobs.pop(0)())
    assert sorted(a.status for a in answers) == [200, 200]
    [case] = dispute_cases(demo_app)
    assert (case.recording_status, case.recording_duration) == ("completed", 27)
    assert len(addressed_texts(demo_app)) == 1


def test_a_length_no_recording_has_is_no_length_not_an_error(demo_app: Flask) -> None:
    huge = "9" * 5000  # int() refuses strings this long
    caller, answer = at_recording(demo_app)
    assert recording_status(caller, SID, RecordingDuration=huge).status == 204
    verb = answer.root.find("Record")
    assert verb is not None
    reply = caller.post(verb.get("action", ""), RecordingSid=SID, RecordingUrl=recording_url(SID),
                        RecordingDuration=huge, Digits="#")
    assert reply.status == 200 and "went wrong" not in reply.said
