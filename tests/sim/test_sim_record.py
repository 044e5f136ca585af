"""The simulator's <Record>: what it refuses, and the reports it posts as Twilio does."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from twilio.twiml.voice_response import VoiceResponse

from ivr.errors import ScriptError, ScriptFailure
from ivr.sim.callers import parse_recording
from ivr.sim.results import BY_HANGING_UP, BY_SILENCE, Action
from ivr.sim.script import load_script, run_script
from tests.sim.sim_helpers import ACCOUNT_SID, SILENCE, call, fake_app, hits, press

RECORD = {"action": "/voice/recorded", "max_length": 120, "finish_on_key": "#",
          "recording_status_callback": "/voice/recording-status",
          "recording_status_callback_event": "completed absent"}


def record_app(**attrs: Any) -> Flask:
    """/voice says a sentence and records with ``attrs`` (RECORD by default), then says
    "nothing recorded"; /voice/recorded reads back what it got, then gathers once."""
    attrs = attrs or RECORD

    def voice(_params: dict[str, str]) -> VoiceResponse:
        response = VoiceResponse()
        response.say("Speak after the tone.")
        response.record(**attrs)
        response.say("Nothing recorded.")
        response.hangup()
        return response

    def recorded(params: dict[str, str]) -> VoiceResponse:
        response = VoiceResponse()
        response.say(f"Got {params.get('RecordingDuration')} seconds, "
                     f"ended by [{params.get('Digits', '')}].")
        response.gather(action="/voice/done", num_digits=1).say("Press 1.")
        response.hangup()
        return response

    return fake_app({"/voice": voice, "/voice/recorded": recorded,
                     "/voice/recording-status": lambda _params: ("", 204),
                     "/voice/done": lambda _params: "<Response><Hangup/></Response>"})


def speaks(seconds: int, then: str = "#") -> Action:
    """The caller speaks for ``seconds``, then ends with ``then``."""
    return Action("record", then, seconds=seconds)


def test_a_message_is_posted_to_the_action_then_to_the_status_callback() -> None:
    app = record_app()
    result = call(app, speaks(45), press("1"))
    paths = [hit.path for hit in hits(app)]
    assert paths == ["/voice", "/voice/recorded", "/voice/recording-status", "/voice/done",
                     "/voice/status"]
    action, status = hits(app)[1].params, hits(app)[2].params
    assert action["RecordingSid"] == status["RecordingSid"]
    assert action["RecordingSid"].startswith("RE") and len(action["RecordingSid"]) == 34
    assert action["RecordingUrl"] == status["RecordingUrl"] == (
        f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/"
        f"{action['RecordingSid']}")
    assert (action["RecordingDuration"], action["Digits"]) == ("45", "#")
    assert (status["RecordingStatus"], status["RecordingDuration"]) == ("completed", "45")
    assert status["RecordingSource"] == "RecordVerb"
    assert "Got 45 seconds, ended by [#]." in result.heard
    assert "[beep]" in result.transcript
    assert "caller speaks for 45 seconds, then presses #" in result.transcript


def test_an_empty_recording_goes_on_to_the_next_verb_and_is_reported_absent() -> None:
    app = record_app()
    result = call(app, SILENCE)
    paths = [hit.path for hit in hits(app)]
    assert paths == ["/voice", "/voice/status", "/voice/recording-status"]
    assert hits(app)[2].params["RecordingStatus"] == "absent"
    assert "Nothing recorded." in result.heard


def test_a_finish_key_at_once_records_nothing() -> None:
    app = record_app()
    assert "Nothing recorded." in call(app, press("#")).heard


def test_hanging_up_while_recording_still_posts_the_action_and_the_status() -> None:
    app = record_app()
    result = call(app, speaks(30, BY_HANGING_UP))
    assert [hit.path for hit in hits(app)] == ["/voice", "/voice/recorded", "/voice/status",
                                               "/voice/recording-status"]
    assert hits(app)[1].params["Digits"] == "hangup"
    assert (result.outcome, result.hangup_by) == ("hangup", "caller")


def test_max_length_cuts_the_message_with_no_key() -> None:
    app = record_app()
    call(app, speaks(300), press("1"))
    action = hits(app)[1].params
    assert action["RecordingDuration"] == "120" and "Digits" not in action


def test_a_key_that_does_not_finish_lets_silence_end_it() -> None:
    app = record_app()
    call(app, speaks(20, "5"), press("1"))
    assert "Digits" not in hits(app)[1].params
    call(app, speaks(20, BY_SILENCE), press("1"))
    assert "Digits" not in hits(app)[-3].params


@pytest.mark.parametrize(("attrs", "refusal"), [
    ({"action": "/voice/recorded", "maxLength": "120", "beep": "true"}, "no attribute 'beep'"),
    ({"trim": "yes"}, "trim='yes'"),
    ({"max_length": 1}, "maxLength='1'"),
    ({"max_length": 20000}, "maxLength='20000'"),
    ({"timeout": "-1"}, "timeout='-1'"),
    ({"finish_on_key": "#a"}, "finishOnKey"),
    ({"recording_status_callback_event": "completed done"}, "recordingStatusCallbackEvent"),
    ({"method": "PUT"}, "method='PUT'"),
])
def test_what_twilio_would_refuse_is_an_application_error(
        attrs: dict[str, Any], refusal: str) -> None:
    result = call(record_app(**attrs), speaks(10))
    assert result.outcome == "application-error"
    assert refusal in (result.error or "")


def test_a_record_with_nested_verbs_is_refused() -> None:
    def voice(_params: dict[str, str]) -> str:
        return '<Response><Record action="/x"><Say>Hi</Say></Record></Response>'

    result = call(fake_app({"/voice": voice}), speaks(10))
    assert "takes no nested elements" in (result.error or "")


def test_a_script_records_where_a_recording_is_asked_for() -> None:
    app = record_app()
    run_script(app, {"name": "r", "steps": [
        {"expect": "Speak after the tone."}, {"record": {"seconds": 12}},
        {"expect": "Got 12 seconds, ended by [#]."}, {"press": "1"}]}, quiet=True)
    run_script(app, {"name": "r", "steps": [
        {"record": {"seconds": 12, "then": "hangup"}}, {"expect_end": "caller-hangup"}]},
        quiet=True)
    assert hits(app)[-3].params["Digits"] == "hangup"


def test_a_script_that_records_at_a_gather_fails() -> None:
    app = fake_app({"/voice": lambda _p: '<Response><Gather action="/x"/></Response>'})
    with pytest.raises(ScriptFailure, match=r"waiting for keys .* not a recording"):
        run_script(app, {"name": "r", "steps": [{"record": {"seconds": 5}}]}, quiet=True)


@pytest.mark.parametrize("step", [{"record": 30}, {"record": {"seconds": -1}},
                                  {"record": {"seconds": 5, "then": "later"}},
                                  {"record": {"secs": 5}}, {"record": {"seconds": True}}])
def test_a_malformed_record_step_is_named(step: dict[str, Any]) -> None:
    with pytest.raises(ScriptError, match="step 1: record"):
        load_script({"name": "r", "steps": [step]})


def test_an_interactive_caller_types_seconds_and_an_ending() -> None:
    assert parse_recording("30 #\n") == speaks(30, "#")
    assert parse_recording("30\n") == speaks(30, BY_SILENCE)
    assert parse_recording("30 h\n") == speaks(30, BY_HANGING_UP)
    assert parse_recording("\n") == SILENCE
    assert parse_recording("h\n") == Action("hangup")
    assert parse_recording("thirty\n") is None
    assert parse_recording("30 x\n") is None
