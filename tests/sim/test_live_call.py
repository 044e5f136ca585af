"""The live call: the simulator driven one action at a time, and never left waiting."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from flask import Flask

from ivr.sim.live import LiveCall
from tests.sim.sim_helpers import fake_app, hits, menu_app

SAY_THEN_RECORD = ('<Response><Say language="en-US">Tell us what is wrong.</Say>'
                   '<Record action="/voice/recorded" finishOnKey="#"/></Response>')


def recording_app() -> Flask:
    """/voice says a line and records; its action says how long the message was."""
    return fake_app({
        "/voice": lambda _params: SAY_THEN_RECORD,
        "/voice/recorded": lambda params: (
            f"<Response><Gather action='/voice/next'><Say>Got {params['RecordingDuration']} "
            "seconds.</Say></Gather></Response>"),
    })


def test_each_action_returns_what_followed_it(demo_app: Flask) -> None:
    with LiveCall(demo_app) as live:
        first = live.start()
        assert "For the account ending in 1 2 3 4, press 1." in first.texts
        [offer] = [heard for heard in first.heard if heard.language == "es-US"]
        assert offer.prompt_ids == ("option.language",)
        assert first.question is not None and not first.ended
        after = live.press("1")
        assert after.lines[0] == "caller presses 1"
        assert after.texts == ["Enter your PIN."] and after.prompt_ids == ["ask.pin"]
        assert after.question is not None and not after.question.speech
        goodbye = live.hang_up()
    assert goodbye.ended and (goodbye.outcome, goodbye.hangup_by) == ("hangup", "caller")
    assert goodbye.heard == () and goodbye.lines == ("caller hangs up",)
    assert live.turns == [first, after, goodbye]


def test_a_call_that_ends_reports_how(demo_app: Flask) -> None:
    with LiveCall(demo_app) as live:
        live.start()
        for keys in ("1", "2468", "4"):
            live.press(keys)
        end = live.press("9")
    assert end.ended and (end.outcome, end.hangup_by, end.error) == ("hangup", "ivr", None)
    assert end.texts == ["Thank you for calling. Goodbye."]
    with pytest.raises(RuntimeError, match=r"the call has ended \(hangup by the ivr\)"):
        live.press("1")


def test_what_cannot_be_done_is_refused_before_the_line_hears_it() -> None:
    app = menu_app(input="dtmf")
    live = LiveCall(app)
    with pytest.raises(RuntimeError, match="start"):
        live.press("1")
    live.start()
    with pytest.raises(RuntimeError, match="already been placed"):
        live.start()
    with pytest.raises(ValueError, match="not keypad keys"):
        live.press("1a")
    with pytest.raises(ValueError, match="takes keys only"):
        live.say("pay")
    with pytest.raises(ValueError, match="not recording"):
        live.record(10)
    assert [hit.path for hit in hits(app)] == ["/voice"]
    assert live.press("7").texts == ["You entered [7]."]
    live.close()


def test_words_said_at_a_recording_are_the_message() -> None:
    with LiveCall(recording_app()) as live:
        assert live.start().texts == ["Tell us what is wrong."]
        turn = live.say("you charged me twice for the same month and I want it back")
        # 13 words at 150 a minute: 6 seconds, then the caller stops talking.
        assert turn.lines[0] == "caller speaks for 6 seconds, then stops talking"
        # The line's words before the recording were reported already, not again.
        assert turn.texts == ["Got 6 seconds."]


def test_a_recording_may_end_with_a_key() -> None:
    with LiveCall(recording_app()) as live:
        live.start()
        assert live.record(30, "#").texts == ["Got 30 seconds."]


def test_a_slow_line_times_out_with_a_clear_error_and_the_call_stops() -> None:
    release = threading.Event()

    def slow(_params: dict[str, str]) -> Any:
        release.wait(10)
        return "<Response><Hangup/></Response>"

    app = fake_app({"/voice": lambda _params: "<Response><Gather action='/voice/slow'>"
                                             "<Say>Hi</Say></Gather></Response>",
                    "/voice/slow": slow})
    live = LiveCall(app, answer_seconds=0.1)
    live.start()
    with pytest.raises(TimeoutError, match=r"the line neither asked for input nor ended the "
                                           r"call within 0.1 s after 'caller presses 1'"):
        live.press("1")
    with pytest.raises(RuntimeError, match="the call cannot go on: the line neither asked"):
        live.press("2")
    live.close()  # returns at once, the line still stuck
    assert live.running
    release.set()
    deadline = time.monotonic() + 10  # a bound, not a measure
    while live.running and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not live.running and live.call.result.outcome == "hangup"


def test_a_caller_who_does_nothing_is_hung_up_by_the_line() -> None:
    app = menu_app(input="dtmf")
    with LiveCall(app, idle_seconds=0) as live:
        live.start()
        end = live.press("1")  # too late: the caller's side had already hung up
    assert end.ended and end.hangup_by == "caller"
    assert end.lines == ("[the caller did nothing for 0 s and hangs up]", "caller hangs up")
    assert [hit.path for hit in hits(app)] == ["/voice", "/voice/status"]


def test_closing_hangs_up_a_call_still_going() -> None:
    app = menu_app(input="dtmf")
    live = LiveCall(app)
    live.start()
    live.close()
    assert live.call.result.outcome == "hangup" and live.call.result.hangup_by == "caller"
    assert hits(app)[-1].path == "/voice/status"


def test_an_application_error_ends_the_call_and_says_why() -> None:
    app = fake_app({"/voice": lambda _params: "<Response><Gather action='/voice/boom'>"
                                             "<Say>Hi</Say></Gather></Response>",
                    "/voice/boom": lambda _params: ("no", 500)})
    with LiveCall(app) as live:
        live.start()
        end = live.press("1")
    assert end.ended and end.outcome == "application-error"
    assert end.error is not None and end.error.startswith("HTTP 500 from POST")


def test_an_exception_in_the_app_is_raised_to_the_caller() -> None:
    def boom(_params: dict[str, str]) -> str:
        raise LookupError("the app broke")

    app = fake_app({"/voice": lambda _params: "<Response><Gather action='/voice/boom'>"
                                             "<Say>Hi</Say></Gather></Response>",
                    "/voice/boom": boom}, TESTING=True)
    with LiveCall(app) as live:
        live.start()
        with pytest.raises(LookupError, match="the app broke"):
            live.press("1")
        assert live.ended and live.last is not None
        assert live.last.error == "LookupError: the app broke"
