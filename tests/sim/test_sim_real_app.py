"""Smoke test: the simulator's signatures and parameters satisfy the real webhooks.

Deliberately loose about wording: the call flow's prompts belong to its own tests.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from flask import Flask

from ivr.cli.call import call_command
from ivr.config import settings_of
from ivr.errors import ScriptError
from ivr.sim.callers import run_interactive
from ivr.sim.script import run_script


def test_real_app_answers_a_signed_call_and_takes_the_status_callback(demo_app: Flask) -> None:
    result = run_interactive(demo_app, stream=io.StringIO("h\n"), echo=lambda _l: None,
                             prompt=lambda _p: None)
    assert result.outcome == "hangup"
    assert result.hangup_by == "caller"
    assert result.heard, "the caller heard nothing: was the request refused?"
    assert result.error is None
    assert result.status_callback_status == 200


def test_ivr_call_script_runs_inside_the_real_app(demo_app: Flask, tmp_path: Path) -> None:
    script = tmp_path / "hang_up.yaml"
    script.write_text("name: Hang up at once\nsteps:\n  - hangup\n"
                      "  - expect_end: caller-hangup\n")
    result = demo_app.test_cli_runner().invoke(call_command, ["--script", str(script)])
    assert result.exit_code == 0, result.output
    assert "PASS Hang up at once (2 steps)" in result.output


def test_a_scripts_settings_apply_to_the_real_app_during_the_call_only(demo_app: Flask) -> None:
    before = settings_of(demo_app)
    seen: list[str] = []
    script = {"name": "agent", "settings": {"IVR_AGENT_NUMBER": "+18005550123"},
              "steps": ["hangup", {"expect_end": "caller-hangup"}]}
    demo_app.before_request(lambda: seen.append(settings_of(demo_app).agent_number))
    run_script(demo_app, script, quiet=True)
    assert seen and set(seen) == {"+18005550123"}
    assert settings_of(demo_app) == before
    bad = {**script, "settings": {"IVR_TIMEZONE": "Mars/Olympus_Mons"}}
    with pytest.raises(ScriptError, match="IVR_TIMEZONE must be a time zone name"):
        run_script(demo_app, bad, quiet=True)
    assert settings_of(demo_app) == before
