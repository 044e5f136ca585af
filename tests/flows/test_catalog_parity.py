"""Every language is a set of catalog files and nothing else: the same ids, the same
placeholders, and the few entries that describe the language itself (its numbers, its voice,
the language it offers) well formed. A third language is one more set of files."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import yaml
from num2words import CONVERTER_CLASSES

from flows import speech
from flows.languages import offered, switch
from flows.speech import CATALOG_DIR, date_words, languages, load_catalog, money_words
from flows.state import CallState
from ivr.errors import ConfigError
from ivr.settings_values import language as read_language
from ivr.settings_values import voice as read_voice
from tests.language_helpers import catalog_problems


def test_every_catalog_has_every_id_with_the_same_placeholders() -> None:
    assert {"en-US", "es-US"} <= languages()
    assert catalog_problems(CATALOG_DIR) == []


def test_a_missing_id_or_a_changed_placeholder_is_caught(tmp_path: Path) -> None:
    for path in CATALOG_DIR.glob("*.yaml"):
        (tmp_path / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    spanish = tmp_path / "es-US.short.yaml"  # the part that holds these two
    entries = yaml.safe_load(spanish.read_text(encoding="utf-8"))
    del entries["ask.pin"]
    entries["info.balance_due"] = "Su saldo es de {amount}."
    spanish.write_text(yaml.safe_dump(entries, allow_unicode=True), encoding="utf-8")
    (tmp_path / "en-US.extra.yaml").write_text('extra.only_english: "Hello."\n')
    problems = catalog_problems(tmp_path)
    assert "es-US lacks ask.pin" in problems
    assert "es-US lacks extra.only_english" in problems
    assert any(p.startswith("info.balance_due has different placeholders") for p in problems)


@pytest.mark.parametrize("language", sorted(languages()))
def test_each_language_describes_itself(language: str) -> None:
    catalog = load_catalog(language)
    assert catalog["language.number_words"] in CONVERTER_CLASSES
    assert all(pair.count("=") == 1 for pair in catalog["language.before_noun"].split())
    assert catalog["language.offered"] in languages() - {language}
    family = language.split("-")[0]
    assert read_voice("language.voice", catalog["language.voice"], family)


@pytest.fixture
def third_language(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The shipped catalogs and a copy of the Spanish ones as "es-MX": a new language."""
    folder = tmp_path / "prompts"
    folder.mkdir()
    for path in CATALOG_DIR.glob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        (folder / path.name).write_text(text, encoding="utf-8")
        if path.name.startswith("es-US"):
            (folder / path.name.replace("es-US", "es-MX")).write_text(text, encoding="utf-8")
    monkeypatch.setattr(speech, "CATALOG_DIR", folder)
    speech.load_catalog.cache_clear()
    yield "es-MX"
    speech.load_catalog.cache_clear()


def test_a_third_language_is_its_catalog_files(third_language: str) -> None:
    assert third_language in languages()
    assert read_language(third_language) == third_language
    assert money_words(4550, third_language) == "cuarenta y cinco dólares con cincuenta centavos"
    assert date_words(date(2026, 12, 5), third_language) == "cinco de diciembre"


def test_a_language_without_its_catalog_is_refused() -> None:
    with pytest.raises(ConfigError, match="es-MX"):
        read_language("es-MX")


def test_with_three_languages_9_offers_the_next_and_always_leads_back(
        third_language: str) -> None:
    # A line speaking the new language offers the one its catalog names (English); a call in
    # any other language is offered the line's own, so 9 always leads back to it.
    state = CallState(call_sid="CA1", language=third_language)
    assert offered(third_language, third_language) == "en-US"
    assert switch(state, third_language) and state.language == "en-US"
    assert switch(state, third_language) and state.language == third_language
    assert offered("es-US", third_language) == third_language
    assert offered("en-US", "en-US") == "es-US" and offered("es-US", "en-US") == "en-US"
