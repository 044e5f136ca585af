"""Questioning a charge, as data in and decision out: the recording asked for, and the case."""

from __future__ import annotations

import json

import pytest

from flows import machine
from flows.recording import MIN_MESSAGE_SECONDS, RecordingReport
from flows.state import CallState, EndKind, Event, Step
from tests.fake_ports import FakePorts
from tests.flow_helpers import Caller, at_main_menu

SID = "RE" + "a" * 32
URL = f"https://api.twilio.com/2010-04-01/Accounts/AC{'0' * 32}/Recordings/{SID}"


def at_recording(ports: FakePorts, **kwargs: object) -> Caller:
    """A verified caller who chose, at the main menu, to question a charge."""
    caller = at_main_menu(ports, **kwargs)
    caller.choose("question a charge")
    assert caller.state.step is Step.DISPUTE_RECORD
    return caller


def records(caller: Caller, report: RecordingReport | None) -> str:
    """Twilio reports the recording (None: it fell through to the next verb: no message)."""
    caller.reply = machine.handle(caller.state, Event(None, recording=report), caller.ctx)
    caller.heard.append(caller.text)
    return caller.text


def test_the_main_menu_offers_to_question_a_charge(ports: FakePorts) -> None:
    assert "To question a charge on your bill, press 7." in at_main_menu(ports).text


def test_choosing_it_asks_for_a_two_minute_message_ended_by_pound(ports: FakePorts) -> None:
    caller = at_recording(ports)
    assert caller.reply.record is not None and caller.reply.ask is None
    assert caller.reply.record.max_seconds == 120
    assert caller.reply.record.finish_on_key == "#"
    assert "You have up to 2 minutes. When you have finished, press pound." in caller.text


def test_a_message_opens_a_case_read_in_two_groups_and_texted(ports: FakePorts) -> None:
    caller = at_recording(ports)
    text = records(caller, RecordingReport(SID, URL, 31))
    number, account, texted_to = ports.disputes[SID]
    assert (account, texted_to) == (1, "+14155550100")
    spoken = f"{' '.join(number[:4])}, {' '.join(number[4:])}"
    assert f"Your case number is {spoken}." in text
    assert "We will also send the case number by text message." in text
    assert caller.state.step is Step.DISPUTE_DONE
    assert f"Your case number is {spoken}." in caller.press("1")


def test_no_text_is_promised_when_there_is_no_number_to_text(ports: FakePorts) -> None:
    caller = Caller(ports, caller=None)
    caller.press_all("40007890", "7890", "7")
    text = records(caller, RecordingReport(SID, URL, 31))
    assert "Your case number is" in text
    assert "text message" not in text


@pytest.mark.parametrize("report", [None, RecordingReport(SID, URL, MIN_MESSAGE_SECONDS - 1),
                                    RecordingReport("", "", 40)])
def test_no_message_opens_nothing_and_offers_to_record_again(
        ports: FakePorts, report: RecordingReport | None) -> None:
    caller = at_recording(ports)
    text = records(caller, report)
    assert "Sorry, we did not get a message." in text
    assert "To record your message again, press 1." in text
    assert "To return to the main menu, press 2." in text
    assert not ports.disputes
    caller.press("1")
    assert caller.state.step is Step.DISPUTE_RECORD
    records(caller, None)
    caller.press("2")
    assert caller.state.step is Step.MAIN_MENU


def test_keys_at_the_recording_are_no_message(ports: FakePorts) -> None:
    caller = at_recording(ports)
    assert "Sorry, we did not get a message." in caller.press("5")


def test_a_caller_who_hangs_up_while_recording_still_gets_a_case(ports: FakePorts) -> None:
    caller = at_recording(ports)
    records(caller, RecordingReport(SID, URL, 40, hung_up=True))
    assert SID in ports.disputes
    assert caller.state.step is Step.ENDED and caller.reply.end is EndKind.HANGUP


def test_the_same_recording_reported_twice_is_one_case(ports: FakePorts) -> None:
    first = at_recording(ports)
    records(first, RecordingReport(SID, URL, 40))
    again = CallState.from_dict(json.loads(json.dumps(first.state.to_dict())))
    assert again.dispute_case == first.state.dispute_case
    assert len(ports.disputes) == 1


def test_no_one_records_before_the_pin(ports: FakePorts) -> None:
    caller = Caller(ports)
    caller.press("1")
    assert "question a charge" not in caller.text
    assert Step.DISPUTE_RECORD in machine.VERIFIED_STEPS
