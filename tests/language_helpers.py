"""A second language for tests: US English with every word in capitals, so a word a test
hears in lower case came from somewhere other than the catalogs of the language asked for."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml

from flows import speech
from ivr import settings_values

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
        patch.setattr(settings_values, "CATALOG_DIR", folder)
        speech.load_catalog.cache_clear()
        try:
            yield PSEUDO
        finally:
            speech.load_catalog.cache_clear()
