"""What a call costs the caller, as the simulator counts it: key entries, words, seconds.

benchmarks/call_paths.py prints these for the scripts in benchmarks/paths; here each script
is replayed and the simulator's counts are checked against ones made independently, from
the script's own steps and the transcript's lines, so the benchmark cannot silently drift.
Issue 10's targets for these paths are kept by tests/benchmarks/test_call_paths.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from flask import Flask
from sqlalchemy import update

from ivr.db import db
from ivr.sim.results import CallResult
from ivr.sim.scratch import scratch_demo_app
from ivr.sim.script import run_script
from models import Account

ROOT = Path(__file__).resolve().parents[2]
PATHS = sorted((ROOT / "benchmarks" / "paths").glob("*.yaml"))


def presses_in(script: Path) -> int:
    """How many ``press`` steps the script file holds (silences and checks are not)."""
    steps = yaml.safe_load(script.read_text())["steps"]
    return sum(1 for step in steps if isinstance(step, dict) and "press" in step)


def words_in_transcript(result: CallResult) -> int:
    """Words on the transcript's "IVR: ..." lines, the way a reader of it would count."""
    return sum(len(line.removeprefix("IVR: ").split()) for line in result.transcript
               if line.startswith("IVR: "))


def test_the_benchmark_has_its_four_paths() -> None:
    assert [path.stem for path in PATHS] == ["balance_check", "bank_payment", "card_payment",
                                             "history_check"]


def test_words_are_counted_as_spoken_and_timed_at_150_a_minute() -> None:
    result = CallResult(call_sid="CA" + "0" * 32,
                        heard=["Your PIN is correct.", "Card ending in 4 2 4 2."])
    assert result.words == 4 + 7  # each digit read out is a word
    assert result.speech_seconds == pytest.approx(11 / 150 * 60)


@pytest.mark.parametrize("script", PATHS, ids=[path.stem for path in PATHS])
def test_a_benchmark_path_counts_what_was_keyed_and_said(demo_app: Flask, script: Path) -> None:
    result = run_script(demo_app, script, quiet=True)
    pressed_lines = [line for line in result.transcript if line.startswith("caller presses ")]
    assert result.entries == presses_in(script) == len(pressed_lines)
    assert result.words == words_in_transcript(result) > 0
    assert result.speech_seconds == pytest.approx(result.words / 150 * 60)


def test_pay_fields_count_as_entries_and_silence_does_not(demo_app: Flask) -> None:
    # <Pay> asks for its fields itself (one of them twice); every field keyed is an entry.
    paying = ROOT / "fixtures" / "calls" / "pay_mode_card_payment.yaml"
    assert run_script(demo_app, paying, quiet=True).entries == presses_in(paying)
    silent = run_script(demo_app, ROOT / "fixtures" / "calls" / "no_input_ends_call.yaml",
                        quiet=True)
    assert silent.entries == 0
    assert silent.words == words_in_transcript(silent) > 0


@pytest.mark.parametrize("script", PATHS, ids=[path.stem for path in PATHS])
def test_a_benchmark_path_runs_in_spanish_too(demo_app: Flask, script: Path) -> None:
    # A caller who chooses Spanish at the greeting keys one entry more (the 9); a call from an
    # account saved in Spanish is in Spanish from the start, with the same entries as English.
    # Each on fresh demo data: a payment would change the next.
    english = run_script(demo_app, script, quiet=True)
    with scratch_demo_app(demo_app) as app:
        chosen = run_script(app, script, quiet=True, language="es-US")
    assert chosen.entries == english.entries + 1
    with scratch_demo_app(demo_app) as app:
        with db.transaction(app) as session:
            session.execute(update(Account).values(language="es-US"))
        saved = run_script(app, script, quiet=True, language="es-US")
    assert saved.entries == english.entries
    assert "caller presses 9 (for es-US)" not in saved.transcript
