"""Every word a caller hears or reads comes from the prompt catalogs, of the call's language.

The catalogs are replaced by a pseudo-translation (every word of every entry in capitals,
placeholders untouched) and calls are walked to every step, paying by card and by bank,
scheduling and agreeing an arrangement. A word still in lower case was built in code. Then
again with every account in Spanish and only the Spanish catalogs in capitals: a word in
lower case came from the English catalogs (or code) into a Spanish call.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml
from flask import Flask
from num2words import num2words
from sqlalchemy import select, update

from flows import speech
from flows.state import Step
from ivr.config import override_settings, settings_of
from ivr.db import db
from ivr.security.pins import pins_of
from models import Account, SmsMessage
from tests.language_helpers import capitals
from tests.prompt_paths import (
    _ARRANGE,
    _BANK,
    _CARD,
    PATHS,
    PIN,
    SCHEDULE_ONE,
    VISA,
    settings_for,
)
from tests.twilio_helpers import TwilioCaller

LETTERS = re.compile(r"[^\W\d_]+")  # a word's letters, accented ones too
# Words that are values, not wording: numbers said by num2words and the brands on cards.
NUMBER_WORDS = {word for n in [*range(101), 1000, 10**6] for kind in ("cardinal", "ordinal")
                for word in LETTERS.findall(num2words(n, to=kind))}
# In Spanish, with the forms a number takes before a noun ("un dólar", "veintiún dólares").
SPANISH_NUMBER_WORDS = {word for n in [*range(102), *range(100, 1001, 100), 10**6]
                        for kind in ("cardinal", "ordinal")
                        for word in LETTERS.findall(num2words(n, lang="es", to=kind))}
SPANISH_NUMBER_WORDS |= {"un", "veintiún"}
PROPER_NAMES = {"Visa", "Mastercard", "American", "Express", "Discover"}
# Paths that end by authorising, so texts are written too.
FINISHED_PATHS = [
    [*_CARD, "1"],
    [*_BANK, "000123456789", "1"],
    [*_ARRANGE, "1125", "1201", "1", VISA, "1230", "123", "94105", "1"],
]


def pseudo_catalogs(folder: Path, loud: Callable[[str, str], bool]) -> None:
    """The real catalogs' ids in ``folder``, the words of those ``loud(file, id)`` picks in
    capitals (never ``language.*``, which are not words said)."""
    folder.mkdir()
    for path in speech.CATALOG_DIR.glob("*.yaml"):
        entries = yaml.safe_load(path.read_text(encoding="utf-8"))
        pseudo = {key: capitals(text) if loud(path.name, key) and not key.startswith(
            "language.") else text for key, text in entries.items()}
        (folder / path.name).write_text(yaml.safe_dump(pseudo, allow_unicode=True),
                                        encoding="utf-8")


@pytest.fixture
def pseudo_catalog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The real catalogs' ids with pseudo-translated words, in place of the real ones."""
    pseudo_catalogs(tmp_path / "prompts", lambda _file, _id: True)
    monkeypatch.setattr(speech, "CATALOG_DIR", tmp_path / "prompts")
    speech.load_catalog.cache_clear()
    yield tmp_path / "prompts"
    speech.load_catalog.cache_clear()


@pytest.fixture
def spanish_in_capitals(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Only the Spanish words in capitals (and the English offer at the greeting, which a
    Spanish call says in English): an English word in a Spanish call stays in lower case."""
    pseudo_catalogs(tmp_path / "prompts",
                    lambda file, key: file.startswith("es-US") or key == "option.language")
    monkeypatch.setattr(speech, "CATALOG_DIR", tmp_path / "prompts")
    speech.load_catalog.cache_clear()
    yield tmp_path / "prompts"
    speech.load_catalog.cache_clear()


def words_from_code(text: str, biller: str, payers: frozenset[str] = frozenset(),
                    numbers: frozenset[str] | set[str] = NUMBER_WORDS) -> set[str]:
    """Words of ``text`` that are neither pseudo-translated nor values (``payers``: the words
    of account holders' names, which bank debit authorisations say; ``numbers``: the words
    of numbers in the call's language)."""
    allowed = numbers | PROPER_NAMES | set(biller.split()) | payers
    return {word for word in LETTERS.findall(text)
            if not word.isupper() and word not in allowed}


def said_along(app: Flask, call_sid: str, path: list[str]) -> list[str]:
    """Everything said on a call from ``path[0]`` pressing the rest of ``path``."""
    caller = TwilioCaller(app, call_sid=call_sid, caller=path[0])
    answers = [caller.start()]
    for keys in path[1:]:
        answers.append(caller.press(answers[-1], keys))
    return [answer.said for answer in answers]


def test_the_pseudo_translation_leaves_placeholders() -> None:
    assert capitals("To pay {amount}, press {key}.") == "TO PAY {amount}, PRESS {key}."


def test_a_word_built_in_code_is_caught() -> None:
    assert words_from_code("YOUR CARD ending IN 4 2 4 2", "Acme") == {"ending"}
    assert words_from_code("FORTY-five DOLLARS, Visa, Acme", "Acme") == set()


def test_every_word_heard_or_texted_comes_from_a_catalog(demo_app: Flask,
                                                         pseudo_catalog: Path) -> None:
    check_every_path(demo_app, NUMBER_WORDS)


def test_every_word_of_a_spanish_call_comes_from_the_spanish_catalogs(
        demo_app: Flask, spanish_in_capitals: Path) -> None:
    # A Spanish line (calls start in Spanish before an account is known) and Spanish accounts.
    override_settings(demo_app, IVR_LANGUAGE="es-US")
    with db.transaction(demo_app) as session:
        session.execute(update(Account).values(language="es-US"))
    check_every_path(demo_app, SPANISH_NUMBER_WORDS)


def check_every_path(demo_app: Flask, numbers: set[str]) -> None:
    """Walk every path; no word heard or texted is in lower case but values."""
    biller = settings_of(demo_app).biller_name
    with db.transaction(demo_app) as session:
        session.execute(update(Account).values(pin_hash=pins_of(demo_app).hash(PIN)))
    heard = said_along(demo_app, "CA" + "e" * 32, SCHEDULE_ONE)
    paths = [*PATHS.items(), *((Step.ENDED, path) for path in FINISHED_PATHS)]
    for n, (step, path) in enumerate(paths):
        override_settings(demo_app, **settings_for(step))
        try:
            heard += said_along(demo_app, f"CA{n:02d}{'f' * 30}", path)
        except AssertionError as e:
            raise AssertionError((step, path, heard[-3:])) from e
    with db.transaction(demo_app) as session:
        texts = list(session.scalars(select(SmsMessage.body)))
        payers = frozenset(word for name in session.scalars(select(Account.name))
                           for word in name.split())
    assert len(texts) >= 4, texts
    for text in [*heard, *texts]:
        assert not words_from_code(text, biller, payers, numbers), text
