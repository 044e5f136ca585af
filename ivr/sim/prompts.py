"""Which prompt a ``<Say>`` said, told from its words: the simulator's ``expect_prompt``.

A script that asserts by prompt id (``expect_prompt: ask.pin``) holds in every language, so
one script runs in English and in Spanish. The simulator tells which prompts were said the
way a caller does, from what is heard: each ``<Say>`` is matched against the catalog of the
language its ``language`` attribute names, every entry a pattern whose ``{placeholders}``
match any words. The line says each prompt in a ``<Say>`` of its own, so a prompt is said
when a ``<Say>``'s whole text matches its pattern.

Why not have the line send the ids it said (a header, or an attribute)? Everything in a
response goes to Twilio, which warns of attributes it does not know, and the saved TwiML a
redelivered webhook replays would have to carry them too; this way nothing is added to the
protocol, a script checks a line running anywhere (``--url``) exactly as a caller would hear
it, and what is checked is the words and the language actually spoken. The one thing it
cannot do is tell apart two prompts that say the same words ("To turn on AutoPay" is both
``option.autopay_on`` and ``option.autopay_confirm_on``): either id passes, as the caller
cannot tell them apart either.
"""

from __future__ import annotations

import re
import string
from functools import cache
from pathlib import Path

from flows import speech
from flows.speech import DEFAULT_LANGUAGE, languages, load_catalog
from ivr.sim.results import Spoken

# Catalog entries that are parts of other prompts or of texts, never a <Say> of their own.
_PARTS = ("value.", "text.", "sms.", "language.")


def _words(text: str) -> str:
    """Text as compared: runs of space as one, no space before punctuation, any case."""
    return re.sub(r"\s+([.,!?;:])", r"\1", " ".join(text.split())).casefold()


@cache
def _pattern(language: str, prompt_id: str) -> re.Pattern[str]:
    """The words of one catalog entry, each placeholder a named group of any words (the same
    placeholder twice, the same words)."""
    parts: list[str] = []
    names: set[str] = set()
    for literal, name, _, _ in string.Formatter().parse(load_catalog(language)[prompt_id]):
        parts.append(re.escape(re.sub(r"\s+", " ", literal).casefold()))
        if name:
            parts.append(f"(?P={name})" if name in names else f"(?P<{name}>.*?)")
            names.add(name)
    return re.compile("".join(parts))


def _languages() -> frozenset[str]:
    """The languages with a catalog, listed once per catalog folder (a test may read the
    catalogs from another): every ``<Say>`` heard is matched, thousands a second in a load
    run, and listing the folder for each was most of ``ivr load``'s own work."""
    return _languages_in(speech.CATALOG_DIR)


@cache
def _languages_in(folder: Path) -> frozenset[str]:
    """:func:`languages` while the catalogs are read from ``folder``."""
    return languages()


def known(prompt_id: str) -> bool:
    """Whether some catalog has ``prompt_id``."""
    return any(prompt_id in load_catalog(language) for language in _languages())


def match(prompt_id: str, spoken: Spoken) -> dict[str, str] | None:
    """The placeholders' words when ``spoken`` is ``prompt_id`` said whole, else None."""
    language = spoken.language if spoken.language in _languages() else DEFAULT_LANGUAGE
    if prompt_id not in load_catalog(language):
        return None
    found = _pattern(language, prompt_id).fullmatch(_words(spoken.text))
    return found.groupdict() if found else None


def said(prompt_id: str, heard: list[Spoken], language: str | None = None) -> bool:
    """Whether ``prompt_id`` is among ``heard`` (in ``language``, when given)."""
    return any(match(prompt_id, spoken) is not None for spoken in heard
               if language is None or spoken.language == language)


def written(prompt_id: str, text: str, language: str) -> bool:
    """Whether a text message holds ``prompt_id`` written in ``language`` (one of the
    sentences it is made of)."""
    if prompt_id not in load_catalog(language):
        return False
    return _pattern(language, prompt_id).search(_words(text)) is not None


def prompts_in(spoken: Spoken) -> list[str]:
    """Every prompt id ``spoken`` may be (for a failure's report)."""
    language = spoken.language if spoken.language in _languages() else DEFAULT_LANGUAGE
    return [prompt_id for prompt_id in load_catalog(language)
            if not prompt_id.startswith(_PARTS) and match(prompt_id, spoken) is not None]
