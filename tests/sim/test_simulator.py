"""The call simulator against a small fake IVR that validates Twilio signatures.

The fake app is in ``tests/sim/sim_helpers.py`` (the real webhooks are tested in tests/web).
"""

from __future__ import annotations

import re
from email.utils import parsedate_to_datetime
from typing import Any

import pytest
from flask import Flask
from twilio.twiml.voice_response import Gather, VoiceResponse

from ivr.sim.simulator import Action, SimulatedCall
from ivr.sim.transport import InProcessTransport
from tests.sim.sim_helpers import (
    ACCOUNT_SID,
    SILENCE,
    Scripted,
    call,
    fake_app,
    hits,
    menu_app,
    press,
)


def test_gather_posts_digits_without_finish_key_and_signs_every_request() -> None:
    app = menu_app()
    result = call(app, press("12#"))
    assert result.transcript == ["IVR: Press 1 to pay.", "caller presses 12#",
                                 "IVR: You entered [12].", "[IVR hangs up]"]
    first, second, status = hits(app)
    assert (first.path, second.path, status.path) == ("/voice", "/voice/menu", "/voice/status")
    assert first.params["CallStatus"] == "ringing"
    assert second.params["CallStatus"] == "in-progress"
    assert second.params["Digits"] == "12"
    assert re.fullmatch(r"CA[0-9a-f]{32}", first.params["CallSid"])
    assert {h.params["CallSid"] for h in hits(app)} == {result.call_sid}
    assert first.params["AccountSid"] == ACCOUNT_SID
    assert first.params["From"] == first.params["Caller"] == "+14155550100"
    assert first.params["To"] == first.params["Called"] == "+18005550199"
    assert (first.params["Direction"], first.params["ApiVersion"]) == ("inbound", "2010-04-01")
    assert "Digits" not in first.params
    assert (result.outcome, result.hangup_by) == ("hangup", "ivr")


@pytest.mark.parametrize(("attrs", "keys", "digits"), [
    ({"num_digits": 4}, "123456", "1234"),
    ({"num_digits": 4}, "12#", "12"),
    ({"finish_on_key": "*"}, "12*34", "12"),
    ({"finish_on_key": "*"}, "12#", "12#"),
    ({"finish_on_key": ""}, "12#", "12#"),
    ({}, "1*2", "1*2"),
])
def test_digits_respect_num_digits_and_finish_on_key(attrs: dict[str, Any], keys: str,
                                                     digits: str) -> None:
    app = menu_app(**attrs)
    result = call(app, press(keys))
    assert hits(app)[1].params["Digits"] == digits
    assert f"IVR: You entered [{digits}]." in result.transcript


def test_silence_falls_through_to_the_next_verb() -> None:
    app = menu_app()
    result = call(app, SILENCE)
    assert result.transcript[1:] == ["caller stays silent", "IVR: We did not hear anything.",
                                     "[IVR hangs up]"]
    assert [h.path for h in hits(app)] == ["/voice", "/voice/status"]


def test_only_the_finish_key_is_an_empty_result_too() -> None:
    app = menu_app()
    result = call(app, press("#"))
    assert "IVR: We did not hear anything." in result.transcript


def test_action_on_empty_result_posts_empty_digits() -> None:
    app = menu_app(action_on_empty_result=True)
    result = call(app, SILENCE)
    assert hits(app)[1].path == "/voice/menu"
    assert hits(app)[1].params["Digits"] == ""
    assert "IVR: You entered []." in result.transcript


def turn_app() -> Flask:
    """/voice redirects to turn?t=1; each turn gathers with a relative action to t+1."""

    def voice(_params: dict[str, str]) -> VoiceResponse:
        response = VoiceResponse()
        response.redirect("voice/turn?t=1")
        return response

    def turn(params: dict[str, str]) -> VoiceResponse:
        response = VoiceResponse()
        number = int(params["t"])
        if number == 3:
            response.dial("+18005550123")
            return response
        gather = Gather(action=f"turn?t={number + 1}", num_digits=1)
        gather.say(f"Turn {number}.")
        response.append(gather)
        return response

    return fake_app({"/voice": voice, "/voice/turn": turn})


def test_relative_actions_and_redirects_resolve_against_the_current_url() -> None:
    app = turn_app()
    result = call(app, press("5"), press("6"))
    turns = [h for h in hits(app) if h.path == "/voice/turn"]
    assert [h.query for h in turns] == [{"t": "1"}, {"t": "2"}, {"t": "3"}]
    assert "Digits" not in turns[0].params  # a Redirect carries no Digits
    assert [h.params.get("Digits") for h in turns[1:]] == ["5", "6"]
    assert result.outcome == "transfer"
    assert result.transferred_to == "+18005550123"
    assert result.transcript[-1] == "[transferred to +18005550123]"


def test_redirect_with_get_puts_parameters_in_the_signed_query() -> None:
    def voice(_params: dict[str, str]) -> VoiceResponse:
        response = VoiceResponse()
        response.redirect("/voice/next?x=1", method="GET")
        return response

    def next_(params: dict[str, str]) -> VoiceResponse:
        response = VoiceResponse()
        response.say(f"x is {params['x']}")
        return response

    app = fake_app({"/voice": voice, "/voice/next": next_})
    result = call(app)
    get = hits(app)[1]
    assert get.method == "GET"
    assert get.query["x"] == "1" and get.query["CallStatus"] == "in-progress"
    assert result.transcript == ["IVR: x is 1", "[end of TwiML: Twilio hangs up]"]
    assert (result.outcome, result.hangup_by) == ("hangup", "ivr")


def test_status_callback_reports_completed_with_a_duration() -> None:
    app = menu_app()
    result = call(app, press("1#"))
    status = hits(app)[-1]
    assert status.path == "/voice/status"
    assert status.params["CallStatus"] == "completed"
    assert status.params["CallbackSource"] == "call-progress-events"
    assert status.params["SequenceNumber"] == "0"
    assert status.params["CallSid"] == result.call_sid
    assert int(status.params["CallDuration"]) == result.duration > 0
    assert parsedate_to_datetime(status.params["Timestamp"]).tzinfo is not None
    assert result.status_callback_status == 204


def test_caller_hanging_up_ends_the_call_and_still_posts_the_status() -> None:
    app = menu_app()
    result = call(app, Action("hangup"))
    assert result.transcript[-1] == "caller hangs up"
    assert (result.outcome, result.hangup_by) == ("hangup", "caller")
    assert [h.path for h in hits(app)] == ["/voice", "/voice/status"]


def test_a_500_is_an_application_error() -> None:
    app = fake_app({"/voice": lambda _p: ("Traceback: boom", 500)})
    result = call(app)
    assert result.outcome == "application-error"
    assert "HTTP 500 from POST http://localhost/voice" in (result.error or "")
    assert "Traceback: boom" in (result.error or "")
    assert hits(app)[-1].path == "/voice/status"  # the call still completes


def test_a_wrong_signature_is_rejected_by_the_app() -> None:
    app = menu_app()
    transport = InProcessTransport(app)
    transport.token = "some-other-token"
    result = SimulatedCall(transport, Scripted()).run()
    assert result.outcome == "application-error"
    assert "HTTP 403" in (result.error or "")


def test_redirect_loops_are_cut_off() -> None:
    def voice(_params: dict[str, str]) -> VoiceResponse:
        response = VoiceResponse()
        response.redirect("/voice")
        return response

    app = fake_app({"/voice": voice})
    result = SimulatedCall(InProcessTransport(app), Scripted(), max_requests=20).run()
    assert result.outcome == "loop"
    assert len(hits(app)) == 21  # 20 webhooks and the status callback
