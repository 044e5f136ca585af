"""A second language for tests: US English with every word in capitals, so a word a test
hears in lower case came from somewhere other than the catalogs of the language asked for."""

from __future__ import annotations

import re
import string
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml

from flows import speech

PSEUDO = "en-XA"


def capitals(text: object) -> str:
    """``text`` with every word outside ``{placeholders}`` in capitals."""
    return "".join(part if part.startswith("{") else part.upper()
                   for part in re.split(r"(\{[^}]*\})", str(text)))


@contextmanager
def pseudo_language(folder: Path) -> Iterator[str]:
    """Every ``en-US`` catalog, and an ``en-XA`` copy of each in capitals, in ``folder``,
    which the line reads its catalogs from meanwhile; the new language's name."""
    folder.mkdir()
    for path in speech.CATALOG_DIR.glob("en-US*.yaml"):
        entries = yaml.safe_load(path.read_text(encoding="utf-8"))
        (folder / path.name).write_text(yaml.safe_dump(entries), encoding="utf-8")
        loud = {key: text if key.startswith("language.") else capitals(text)
                for key, text in entries.items()}
        (folder / path.name.replace("en-US", PSEUDO)).write_text(yaml.safe_dump(loud),
                                                                 encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(speech, "CATALOG_DIR", folder)
        speech.load_catalog.cache_clear()
        try:
            yield PSEUDO
        finally:
            speech.load_catalog.cache_clear()


def placeholders(template: str) -> set[str]:
    """The ``{names}`` a catalog entry is filled with."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


# How a value is said may pick among the parts the code gives it: a date says its day as a
# number ("cinco de diciembre") or as an ordinal ("December fifth").
VALUE_FORMS = {"value.date": {"month", "day", "day_number"},
               "value.date_first": {"month", "day", "day_number"}}


def catalog_problems(folder: Path) -> list[str]:
    """What keeps the catalogs in ``folder`` from being interchangeable: an id one language
    has and another lacks, an id whose placeholders differ, across every catalog part."""
    catalogs: dict[str, dict[str, str]] = {}
    for path in sorted(folder.glob("*.yaml")):
        language = path.name.split(".")[0]
        entries = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        catalogs.setdefault(language, {}).update({str(k): str(v) for k, v in entries.items()})
    problems = []
    ids = set().union(*catalogs.values()) if catalogs else set()
    for language, catalog in sorted(catalogs.items()):
        problems += [f"{language} lacks {prompt_id}" for prompt_id in sorted(ids - set(catalog))]
    for prompt_id in sorted(ids):
        said = {language: placeholders(catalog[prompt_id])
                for language, catalog in catalogs.items() if prompt_id in catalog}
        if prompt_id in VALUE_FORMS:
            problems += [f"{language} {prompt_id} has {sorted(names)}"
                         for language, names in said.items()
                         if not names <= VALUE_FORMS[prompt_id]]
        elif len({frozenset(names) for names in said.values()}) > 1:
            problems.append(f"{prompt_id} has different placeholders: " + ", ".join(
                f"{language} {sorted(names)}" for language, names in sorted(said.items())))
    return problems
