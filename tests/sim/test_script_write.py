"""Scripts written from caller actions and what was heard: read back and run as written."""

from __future__ import annotations

from pathlib import Path

import pytest

from ivr.errors import ScriptError
from ivr.sim.results import BY_HANGING_UP, Action, Spoken
from ivr.sim.script import load_script, run_script
from ivr.sim.script_write import (
    Header,
    Line,
    action_line,
    heard_lines,
    parsed_script,
    prompt_lines,
    save_script,
    script_yaml,
)
from tests.sim.sim_helpers import menu_app


def test_a_written_script_loads_and_runs(tmp_path: Path) -> None:
    lines = [Line("expect", "Press 1 to pay."), action_line(Action("press", "0123#")),
             Line("expect", "You entered [0123]."), Line("expect_end", "hangup")]
    path = tmp_path / "written.yaml"
    save_script(path, script_yaml(Header("Keys kept as written", from_number="+14155550100"),
                                  lines))
    script = load_script(path)
    assert [(step.kind, step.value) for step in script.steps][:2] == \
        [("expect", "Press 1 to pay."), ("press", "0123#")]  # not the octal number 83
    assert script.from_number == "+14155550100"
    result = run_script(menu_app(), path, quiet=True)
    assert "IVR: You entered [0123]." in result.transcript


def test_every_action_is_written_as_the_step_that_does_it() -> None:
    actions = [Action("say", words='pay "my" bill: now', confidence=0.3), Action("silence"),
               Action("record", BY_HANGING_UP, seconds=12), Action("record", "#", seconds=3),
               Action("hangup")]
    text = script_yaml(Header("all"), [action_line(action, comment="why\nnot") for action in
                                       actions])
    steps = parsed_script(text).steps
    assert [step.describe() for step in steps] == [
        'step 1 (say: "pay "my" bill: now", confidence 0.3)', "step 2 (silence)",
        "step 3 (record: 12 seconds, then hangup)", "step 4 (record: 3 seconds, then #)",
        "step 5 (hangup)"]
    assert "# why not" in text


def test_what_was_heard_is_checked_by_prompt_id_where_the_words_tell_it() -> None:
    heard = [Spoken("Enter your PIN.", "en-US"), Spoken("Something else entirely.", "en-US"),
             Spoken("Para español, oprima 9.", "es-US")]
    assert heard_lines(heard) == [Line("expect_prompt", "ask.pin"),
                                  Line("expect", "Something else entirely."),
                                  Line("expect_prompt", "option.language")]
    # A script in one language checks what was said in it (the offers of others are not).
    assert Line("expect_prompt", "option.language") not in heard_lines(heard, "en-US")


def test_prompt_ids_no_catalog_has_are_left_out_and_a_bad_script_is_refused() -> None:
    assert prompt_lines(["ask.pin", "no.such.prompt"]) == [Line("expect_prompt", "ask.pin")]
    with pytest.raises(ScriptError, match="not a prompt id"):
        script_yaml(Header("bad"), [Line("expect_prompt", "no.such.prompt")])


def test_an_existing_file_is_kept_unless_forced(tmp_path: Path) -> None:
    path = tmp_path / "kept.yaml"
    path.write_text("mine\n")
    text = script_yaml(Header("new"), [Line("hangup")])
    with pytest.raises(ScriptError, match="already exists"):
        save_script(path, text)
    assert path.read_text() == "mine\n"
    save_script(path, text, force=True)
    assert load_script(path).name == "new"
