"""Issue 10's targets for the shortest paths, kept: a path that grows past one fails here.

The card payment (caller-ID match, PIN, the full balance today with a new card) takes at
most 9 key entries and 230 spoken words; a balance check at most 3 and 70. These are counts
(the simulator's ``CallResult.entries`` and ``.words``), not seconds, so a slow machine
cannot fail them nor a fast one hide a longer path.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from tests.language_helpers import pseudo_language

ROOT = Path(__file__).resolve().parents[2]
# Issue 10: (most key entries, most words) for each path it sets a target for.
TARGETS = {"card_payment": (9, 230), "balance_check": (3, 70)}


def _load_call_paths() -> ModuleType:
    spec = importlib.util.spec_from_file_location("call_paths",
                                                  ROOT / "benchmarks" / "call_paths.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


call_paths = _load_call_paths()


def test_the_benchmark_prints_issue_10s_targets() -> None:
    printed = {name: (entries, words) for name, _, entries, words in call_paths.PATH_TARGETS
               if entries is not None}
    assert printed == TARGETS


# The targets hold for a caller in English and for one whose account is saved in Spanish (every
# call but the first); choosing Spanish at the greeting costs a first call an entry more and the
# way back offered (the benchmark prints it beside them).
@pytest.mark.parametrize("language", ["en-US", "es-US"])
@pytest.mark.parametrize("name", sorted(TARGETS))
def test_a_short_path_stays_within_its_target(name: str, language: str) -> None:
    result = call_paths.replay(name, language)
    most_entries, most_words = TARGETS[name]
    assert result.entries <= most_entries, result.transcript
    assert result.words <= most_words, result.transcript
    assert call_paths.within(result, most_entries, most_words)


def test_a_path_one_word_over_its_target_is_not_met() -> None:
    result = call_paths.replay("balance_check")
    assert call_paths.within(result, result.entries, result.words)
    assert not call_paths.within(result, result.entries, result.words - 1)
    assert not call_paths.within(result, result.entries - 1, result.words)
    assert "NOT met" in call_paths.verdict(result, result.entries, result.words - 1)


def test_every_language_is_measured_saved_and_chosen_at_the_greeting(tmp_path: Path) -> None:
    assert call_paths.runs() == [("en-US", "en-US", True), ("es-US", "es-US", True),
                                 ("es-US, chosen", "es-US", False)]
    with pseudo_language(tmp_path / "prompts") as language:
        assert (f"{language}, chosen", language, False) in call_paths.runs()
        assert call_paths.runs(language) == [(language, language, True),
                                             (f"{language}, chosen", language, False)]


def test_a_path_replays_in_another_language_with_the_same_keys() -> None:
    english = call_paths.replay("card_payment")  # each on fresh demo data
    spanish = call_paths.replay("card_payment", "es-US")
    chosen = call_paths.replay("card_payment", "es-US", saved=False)
    assert spanish.entries == english.entries and chosen.entries == english.entries + 1
    assert "Para pagar con tarjeta, oprima 1." in spanish.heard
    assert "caller presses 9 (for es-US)" in chosen.transcript


def test_a_language_without_a_catalog_is_one_error_line(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert call_paths.main(["--language", "xx-XX"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: no prompt catalog for 'xx-XX'") and err.count("\n") == 1
