"""Scripted calls: YAML loading, expectations and their failure messages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask, current_app
from sqlalchemy import create_engine
from twilio.twiml.voice_response import Gather, VoiceResponse

from ivr.db import db
from ivr.errors import ScriptFailure
from ivr.sim.script import (
    ScriptError,
    load_script,
    run_script,
)
from models import SmsMessage
from tests.sim.sim_helpers import fake_app, hits, menu_app


def account_app() -> Flask:
    """/voice reads an account ending, gathers a PIN; /voice/pin answers and hangs up."""

    def voice(_params: dict[str, str]) -> VoiceResponse:
        response = VoiceResponse()
        gather = Gather(action="/voice/pin", num_digits=4)
        say = gather.say("Welcome. Your account ending in")
        say.say_as("1234", interpret_as="digits")
        gather.say("Please enter your PIN.")
        response.append(gather)
        response.say("Goodbye.")
        return response

    def pin(params: dict[str, str]) -> VoiceResponse:
        response = VoiceResponse()
        ok = params["Digits"] == "4321"
        response.say("Your balance is 45 dollars." if ok else "That PIN is not right.")
        response.hangup()
        return response

    return fake_app({"/voice": voice, "/voice/pin": pin})


def script(*steps: Any, **extra: Any) -> dict[str, Any]:
    """A script mapping as YAML would give it."""
    return {"name": "test call", "steps": list(steps), **extra}


def test_a_passing_script_prints_the_transcript_and_pass() -> None:
    lines: list[str] = []
    result = run_script(account_app(), script(
        {"expect": "account ENDING in   1 2 3 4"}, {"expect_not": "balance"},
        {"press": "4321"}, {"expect": "balance is 45 dollars"}, {"expect_end": "ivr-hangup"},
    ), echo=lines.append)
    assert lines[-1] == "PASS test call (5 steps)"
    assert "caller presses 4321" in lines
    assert result.outcome == "hangup"


def test_a_failed_expect_shows_what_was_heard_and_a_diff() -> None:
    with pytest.raises(ScriptFailure) as failure:
        run_script(account_app(), script({"expect": "account ending in 1 2 3 5"}, {"press": "1"}))
    message = failure.value.message
    assert "failed at step 1 (expect: \"account ending in 1 2 3 5\")" in message
    assert "heard since the call started:" in message
    assert "  IVR: Please enter your PIN." in message
    assert "- account ending in 1 2 3 5" in message
    assert "+ Your account ending in 1 2 3 4\n" in message
    assert failure.value.result is not None
    assert failure.value.result.outcome == "hangup"  # the simulator hung up cleanly


def test_expectations_only_see_speech_since_the_last_action() -> None:
    with pytest.raises(ScriptFailure) as failure:
        run_script(account_app(), script({"press": "4321"}, {"expect": "Welcome"}))
    assert "heard since 'caller presses 4321':" in failure.value.message


def test_expect_not_fails_when_the_text_was_heard() -> None:
    with pytest.raises(ScriptFailure) as failure:
        run_script(account_app(), script({"expect_not": "enter your pin"}, "hangup"))
    assert '"enter your pin" was heard but must not be' in failure.value.message


def test_input_steps_left_after_the_call_ended_fail() -> None:
    with pytest.raises(ScriptFailure) as failure:
        run_script(account_app(), script({"press": "4321"}, {"press": "1"}))
    assert 'step 2 (press: "1")' in failure.value.message
    assert "the call already ended (hangup)" in failure.value.message


def test_running_out_of_steps_while_the_ivr_waits_fails() -> None:
    app = account_app()
    with pytest.raises(ScriptFailure) as failure:
        run_script(app, script({"expect": "welcome"}))
    assert "waiting for input" in failure.value.message
    assert "no steps left" in failure.value.message
    assert hits(app)[-1].path == "/voice/status"


def test_expect_end_checks_how_the_call_ended() -> None:
    with pytest.raises(ScriptFailure) as failure:
        run_script(account_app(), script("silence", {"expect": "goodbye"},
                                         {"expect_end": "transfer"}))
    assert "ended with hangup by the ivr, not transfer" in failure.value.message
    run_script(account_app(), script("hangup", {"expect_end": "caller-hangup"}))


def test_expect_end_before_the_call_ends_fails() -> None:
    with pytest.raises(ScriptFailure, match="the call has not ended"):
        run_script(account_app(), script({"expect_end": "hangup"}))


def test_application_errors_fail_scripts_unless_expected() -> None:
    app = fake_app({"/voice": lambda _p: ("boom", 500)})
    with pytest.raises(ScriptFailure, match="application-error: HTTP 500"):
        run_script(app, script({"expect": "hello"}, "hangup"))
    run_script(app, script({"expect_end": "application-error"}))


def test_settings_and_today_apply_during_the_call_only() -> None:
    def voice(_params: dict[str, str]) -> VoiceResponse:
        response = VoiceResponse()
        response.say(f"Today is {current_app.config['IVR_TODAY']}, "
                     f"agent {current_app.config['IVR_AGENT_NUMBER']}.")
        return response

    app = fake_app({"/voice": voice}, IVR_TODAY="2020-01-01")
    run_script(app, script({"expect": "today is 2026-11-21, agent +18005550123"},
                           today="2026-11-21", settings={"IVR_AGENT_NUMBER": "+18005550123"}))
    assert app.config["IVR_TODAY"] == "2020-01-01"
    assert "IVR_AGENT_NUMBER" not in app.config


def test_expect_sms_reads_the_outbox_rows_created_during_the_call(tmp_path: Path) -> None:
    def voice(params: dict[str, str]) -> VoiceResponse:
        with db.transaction() as session:
            session.add(SmsMessage(to_number=params["From"], body="Confirmation number AB12."))
        response = VoiceResponse()
        response.say("We sent you a text.")
        return response

    app = fake_app({"/voice": voice}, IVR_DATABASE_URL=f"sqlite:///{tmp_path / 'sms.db'}")
    db.init_app(app, app.config["IVR_DATABASE_URL"])
    SmsMessage.metadata.create_all(create_engine(app.config["IVR_DATABASE_URL"]),
                                   tables=[SmsMessage.metadata.tables[SmsMessage.__tablename__]])
    with db.transaction(app) as session:  # an older text must not count
        session.add(SmsMessage(to_number="+14155550100", body="Old reminder."))
    result = run_script(app, script({"expect_sms": "confirmation number AB12"}))
    assert result.sms == ["Confirmation number AB12."]
    with pytest.raises(ScriptFailure, match="texts queued during the call:\n  Confirmation"):
        run_script(app, script({"expect_sms": "old reminder"}))


def test_from_and_to_numbers_come_from_the_script() -> None:
    app = menu_app()
    run_script(app, script("silence", **{"from": "+12125550100", "to": "+18005550111"}))
    assert hits(app)[0].params["From"] == "+12125550100"
    assert hits(app)[0].params["To"] == "+18005550111"


def test_yaml_keeps_numbers_as_written(tmp_path: Path) -> None:
    path = tmp_path / "pin.yaml"
    path.write_text("steps:\n  - press: 0123\n  - press: 1 2 3#\n  - silence\n"
                    "from: +14155550111\ntoday: 2026-11-21\nsettings: {IVR_MIN: 250}\n")
    loaded = load_script(path)
    assert [s.value for s in loaded.steps] == ["0123", "123#", ""]
    assert (loaded.name, loaded.from_number, loaded.today) == ("pin", "+14155550111", "2026-11-21")
    assert loaded.settings == {"IVR_MIN": 250}
    assert type(loaded.settings["IVR_MIN"]) is int


@pytest.mark.parametrize(("data", "message"), [
    ({"steps": ["wait"]}, "step 1: expected 'silence'"),
    ({"steps": [{"press": "12a"}]}, "not keypad keys"),
    ({"steps": [{"expect_end": "maybe"}]}, "expect_end must be one of"),
    ({"steps": [{"shout": "hi"}]}, "unknown step 'shout'"),
    ({"steps": []}, "non-empty list"),
    ({"steps": ["silence"], "today": "tomorrow"}, "not a YYYY-MM-DD date"),
    ({"steps": ["silence"], "tday": "2026-11-21"}, "unknown script keys: tday"),
])
def test_malformed_scripts_are_reported(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ScriptError, match=message):
        load_script(data)
