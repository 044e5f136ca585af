"""The simulator's <Dial>: an agent who answers hears the whisper; one who does not sends the
call back through the <Dial action>, as Twilio does."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from ivr.errors import ScriptError
from ivr.sim.script import load_script, run_script
from tests.menu_helpers import JORDAN_MAIN_MENU

AGENT = {"IVR_AGENT_NUMBER": "+18005550123"}
TO_AGENT = [{"press": key} for key in (*JORDAN_MAIN_MENU, "0")]


def script(agent: str | None, *steps: dict[str, str] | str) -> dict[str, Any]:
    """A call from Jordan's phone to the agent, on a line with one."""
    return {"name": "agent", "from": "+14155550100", "today": "2026-11-21", "settings": AGENT,
            **({"agent": agent} if agent else {}), "steps": [*TO_AGENT, *steps]}


def test_an_agent_who_answers_hears_the_whisper(demo_app: Flask) -> None:
    result = run_script(demo_app, script(None, {"expect_end": "transfer"}), quiet=True)
    assert result.transferred_to == "+18005550123"
    assert result.whisper == ["Verified caller, account ending in 1 2 3 4, balance one hundred "
                              "twenty dollars and forty-five cents.",
                              "Connecting the caller now."]
    assert any(line.startswith("agent hears: Verified caller") for line in result.transcript)
    assert result.warnings == []


@pytest.mark.parametrize("outcome", ["no-answer", "busy", "failed"])
def test_an_agent_who_does_not_answer_sends_the_call_on(demo_app: Flask, outcome: str) -> None:
    result = run_script(demo_app, script(
        outcome, {"expect": "Sorry, no agent is free to take your call right now."},
        {"press": "9"}, {"expect_end": "ivr-hangup"}), quiet=True)
    assert result.whisper == []
    assert f"[+18005550123: {outcome}]" in result.transcript


def test_a_script_names_only_what_an_agent_may_do() -> None:
    with pytest.raises(ScriptError, match="agent: 'voicemail' is not one of answer, no-answer"):
        load_script(script("voicemail", {"expect_end": "transfer"}))
    assert load_script(script(None, {"expect_end": "transfer"})).agent == "answer"
