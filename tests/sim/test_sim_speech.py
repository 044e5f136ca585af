"""The simulator's caller may speak: ``say:`` in scripts and words typed interactively, posted
as Twilio posts them, and refused where the question takes keys only, as Twilio would."""

from __future__ import annotations

import io
from typing import Any

import pytest
from flask import Flask

from ivr.errors import ScriptError, ScriptFailure
from ivr.sim.callers import parse_keys, run_interactive
from ivr.sim.results import DEFAULT_CONFIDENCE, Action
from ivr.sim.script import load_script, run_script
from ivr.sim.twiml import GatherSpec, parse_twiml
from tests.sim.sim_helpers import ACCOUNT_SID, call, hits, menu_app, pay_app

SPEECH = {"input": "dtmf speech", "speech_timeout": "2", "language": "en-US"}


def script(*steps: Any) -> dict[str, Any]:
    """A script mapping with ``steps``."""
    return {"name": "speech", "steps": list(steps)}


def test_say_steps_are_read_with_or_without_a_confidence() -> None:
    loaded = load_script(script({"say": "pay my bill"},
                                {"say": {"words": "  pay  it ", "confidence": 0.3}},
                                {"say": {"words": 50, "confidence": 1}}))
    assert [(s.kind, s.value, s.confidence) for s in loaded.steps] == [
        ("say", "pay my bill", None), ("say", "pay it", 0.3), ("say", "50", 1.0)]
    assert loaded.steps[1].describe() == 'step 2 (say: "pay it", confidence 0.3)'


@pytest.mark.parametrize(("step", "message"), [
    ({"say": ""}, "say needs the words"),
    ({"say": {"confidence": 0.5}}, "say needs the words"),
    ({"say": {"words": "hi", "confidence": 1.5}}, "number from 0 to 1"),
    ({"say": {"words": "hi", "confidence": "high"}}, "number from 0 to 1"),
    ({"say": {"words": "hi", "confidence": True}}, "number from 0 to 1"),
    ({"say": {"words": "hi", "loudly": True}}, "not loudly"),
])
def test_a_malformed_say_step_is_refused(step: dict[str, Any], message: str) -> None:
    with pytest.raises(ScriptError, match=message):
        load_script(script(step))


def test_a_gather_that_hears_words_is_read_as_such() -> None:
    verbs = parse_twiml('<Response><Gather input="dtmf speech" speechTimeout="3" '
                        'numDigits="1"/><Gather/><Gather input="speech" '
                        'speechTimeout="auto"/></Response>')
    spoken, keys, auto = (GatherSpec.from_element(verb) for verb in verbs)
    assert spoken.speech and spoken.speech_timeout == 3 and not keys.speech
    assert auto.speech and auto.speech_timeout == 1
    assert "or words" in spoken.describe() and "keys only" in keys.describe()
    assert spoken.keys_prompt() == "keys or words> " and keys.keys_prompt() == "keys> "


def test_words_are_posted_as_speech_result_and_confidence() -> None:
    app = menu_app(**SPEECH)
    result = call(app, Action("say", words="pay my bill", confidence=0.42))
    posted = hits(app)[1].params
    assert posted["SpeechResult"] == "pay my bill" and posted["Confidence"] == "0.42"
    assert "Digits" not in posted and posted["AccountSid"] == ACCOUNT_SID
    assert 'caller says "pay my bill" (confidence 0.42)' in result.transcript
    assert result.entries == 0  # nothing keyed


def test_a_script_saying_words_where_only_keys_are_taken_fails() -> None:
    with pytest.raises(ScriptFailure, match=r"takes keys only .*Twilio would not deliver"):
        run_script(menu_app(), script({"say": "one"}, {"expect_end": "hangup"}), quiet=True)


def test_a_script_saying_words_at_a_pay_field_fails() -> None:
    with pytest.raises(ScriptFailure, match="takes keys only"):
        run_script(pay_app(charge_amount="1"), script({"say": "four two four two"}),
                   quiet=True)


def test_a_script_says_words_where_they_are_heard() -> None:
    app = menu_app(**SPEECH)
    result = run_script(app, script({"say": "pay"}, {"expect": "You entered"},
                                    {"expect_end": "hangup"}), quiet=True)
    assert 'caller says "pay"' in result.transcript
    assert hits(app)[1].params["Confidence"] == f"{DEFAULT_CONFIDENCE:.2f}"


def test_typed_words_are_said_where_words_are_heard_and_refused_elsewhere() -> None:
    assert parse_keys("pay my bill", speech=True) == Action("say", words="pay my bill")
    assert parse_keys("12#", speech=True) == Action("press", "12#")
    assert parse_keys("pay my bill") is None
    lines: list[str] = []
    spoken = run_interactive(menu_app(**SPEECH), stream=io.StringIO("pay  my bill\n"),
                             echo=lines.append, prompt=lines.append)
    assert 'caller says "pay my bill"' in spoken.transcript and "keys or words> " in lines
    lines.clear()
    run_interactive(menu_app(), stream=io.StringIO("pay my bill\n1\n"), echo=lines.append,
                    prompt=lines.append)
    assert any("this question takes keys only" in line for line in lines)


def test_the_real_line_hears_a_scripted_caller(demo_app: Flask) -> None:
    balance = "one hundred twenty dollars and forty-five cents"
    steps = [{"say": "yes"}, {"press": "2468"}, {"expect": balance}, {"say": "more options"},
             {"say": "what's my balance"}, {"expect": balance}, {"say": "more options"},
             {"say": "goodbye"}, {"expect_end": "ivr-hangup"}]
    run_script(demo_app, {"name": "balance by voice", "from": "+14155550100",
                          "today": "2026-11-21", "steps": steps}, quiet=True)
    with pytest.raises(ScriptFailure, match=r"(?s)step 2 .*takes keys only"):
        run_script(demo_app, {"name": "PIN said", "from": "+14155550100",
                              "steps": [{"say": "yes"}, {"say": "two four six eight"}]},
                   quiet=True)
