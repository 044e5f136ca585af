"""Every call script in fixtures/calls replayed through the simulator against the real app."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from ivr.sim.script import run_script

SCRIPTS = sorted((Path(__file__).resolve().parents[2] / "fixtures" / "calls").glob("*.yaml"))


def test_there_is_a_script_for_each_path() -> None:
    assert len(SCRIPTS) >= 20


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.stem for s in SCRIPTS])
def test_call_script(demo_app: Flask, script: Path) -> None:
    result = run_script(demo_app, script, quiet=True)
    assert result.outcome in {"hangup", "transfer"}
    assert result.status_callback_status == 200
