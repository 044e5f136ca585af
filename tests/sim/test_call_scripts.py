"""Every call script in fixtures/calls replayed through the simulator against the real app."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from flows.speech import languages
from ivr.errors import ScriptFailure
from ivr.security import card_store
from ivr.sim.script import load_script, run_script

SCRIPTS = sorted((Path(__file__).resolve().parents[2] / "fixtures" / "calls").glob("*.yaml"))


def test_there_is_a_script_for_each_path() -> None:
    assert len(SCRIPTS) >= 20


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.stem for s in SCRIPTS])
def test_call_script(demo_app: Flask, script: Path) -> None:
    result = run_script(demo_app, script, quiet=True)
    assert result.outcome in {"hangup", "transfer"}
    assert result.status_callback_status == 200


# A script that checks prompt ids, never words, is played in every language the line has.
BILINGUAL = [(path, language) for path in SCRIPTS if load_script(path).bilingual
             for language in sorted(languages())]


def test_the_main_paths_have_a_script_in_every_language() -> None:
    covered = {path.stem for path, _ in BILINGUAL}
    assert {"bilingual_balance", "bilingual_card_payment", "bilingual_bank_payment",
            "bilingual_history"} <= covered
    assert {language for _, language in BILINGUAL} >= {"en-US", "es-US"}


@pytest.mark.parametrize(("script", "language"), BILINGUAL,
                         ids=[f"{path.stem}-{language}" for path, language in BILINGUAL])
def test_call_script_in_each_language(demo_app: Flask, script: Path, language: str) -> None:
    result = run_script(demo_app, script, quiet=True, language=language)
    assert result.outcome in {"hangup", "transfer"}
    pressed = "9 (for es-US)" if language == "es-US" else None
    assert (f"caller presses {pressed}" in result.transcript) is (pressed is not None)


def test_a_script_fails_when_what_the_caller_keyed_outlives_the_call(
        demo_app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    # The check every script above passes: with the card store never emptied, it fails.
    monkeypatch.setattr(card_store, "delete", lambda *args, **kwargs: False)
    with pytest.raises(ScriptFailure, match="card store still holds 1 card"):
        run_script(demo_app, SCRIPTS[0].parent / "pay_full_balance.yaml", quiet=True)
