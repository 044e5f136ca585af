"""What the caller hears: prompt ids with typed values, rendered from a catalog.

Values are typed so each is spoken the one right way: ``Money`` as dollars and
cents in words, ``date`` as month and day, ``Digits`` one digit at a time, ``Phone`` in
the groups it is dialled in, ``Clock`` as a time of day.

A language is its catalog files and nothing else: how its numbers are said (the num2words
language, and how a number changes before a noun, as Spanish "uno" becomes "un dólar"), its
amounts, dates and keys are catalog entries, so no code here names a language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from num2words import num2words

CATALOG_DIR = Path(__file__).parent / "prompts"
# The catalog every line has: what a value falls back to when its language has none.
DEFAULT_LANGUAGE = "en-US"
_LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*")


@dataclass(frozen=True)
class Money:
    """An amount in integer cents."""

    cents: int


@dataclass(frozen=True)
class Digits:
    """A number read digit by digit (account, card ending, confirmation number).

    ``group`` > 0 puts a short pause after every ``group`` digits, so a long
    number can be written down as it is heard.
    """

    digits: str
    group: int = 0


@dataclass(frozen=True)
class Key:
    """A telephone key named in a menu: digits as themselves, ``*`` star, ``#`` pound."""

    key: str


_KEY_IDS = {"*": "value.key.star", "#": "value.key.pound"}


@dataclass(frozen=True)
class Phone:
    """A telephone number in E.164, read in groups as it is dialled ("8 0 0, 5 5 5, ...")."""

    e164: str


@dataclass(frozen=True)
class Clock:
    """A time of day in minutes after midnight (1440: the midnight that ends the day), said
    as the catalog's ``value.time.*`` say it ("eight thirty AM", "noon")."""

    minutes: int


@dataclass(frozen=True)
class Prompt:
    """A catalog entry to speak, with the values its placeholders need.

    ``language``: said in that language whatever the call's (the greeting offers another
    language in its own words and voice); None, the call's.
    """

    id: str
    params: dict[str, Any] = field(default_factory=dict)
    language: str | None = None


def say(prompt_id: str, **params: Any) -> Prompt:
    """Shorthand for ``Prompt(prompt_id, params)``."""
    return Prompt(prompt_id, params)


def say_in(language: str, prompt_id: str, **params: Any) -> Prompt:
    """A prompt said in ``language``, whatever the call's."""
    return Prompt(prompt_id, params, language)


def languages() -> frozenset[str]:
    """Every language with a catalog: ``<language>.yaml`` in the catalog folder."""
    return _languages_in(CATALOG_DIR)


@cache
def _languages_in(folder: Path) -> frozenset[str]:
    """The languages of the catalogs in ``folder``, listed once: a turn asks a dozen times,
    and catalogs are read once anyway (:func:`load_catalog`)."""
    return frozenset(path.stem for path in folder.glob("*.yaml")
                     if "." not in path.stem and _LANGUAGE_TAG.fullmatch(path.stem))


def spoken_language(language: str | None) -> str:
    """``language`` when it has a catalog, else :data:`DEFAULT_LANGUAGE` (a stored language
    whose catalog was since removed must not stop a text or a call)."""
    return language if language and language in languages() else DEFAULT_LANGUAGE


def number_words(n: int, language: str = "en-US", ordinal: bool = False,
                 before_noun: bool = False) -> str:
    """``n`` in words in ``language`` (its catalog names the num2words language).

    ``before_noun``: as said before a noun, with the catalog's ``language.before_noun``
    word changes ("from=to" pairs; Spanish: "veintiuno mil" -> "veintiún mil dólares").
    """
    catalog = load_catalog(language)
    lang = catalog["language.number_words"]
    words: str = num2words(n, lang=lang, to="ordinal" if ordinal else "cardinal")
    if lang == "en":
        # num2words writes British English; US English drops the "and" ("one hundred twenty")
        # and reads without commas.
        words = words.replace(" and ", " ").replace(",", "")
    if before_noun:
        changes = dict(pair.split("=", 1) for pair in catalog["language.before_noun"].split())
        words = re.sub(r"\w+", lambda word: changes.get(word[0], word[0]), words)
    return words


def _amount_form(n: int) -> str:
    """Which of a unit's catalog forms says ``n`` of it: ``one``, ``millions`` (a whole
    number of millions: Spanish "un millón de dólares"), or ``other``."""
    if n == 1:
        return "one"
    return "millions" if n and n % 1_000_000 == 0 else "other"


def money_words(cents: int, language: str = "en-US") -> str:
    """``4550`` -> "forty-five dollars and fifty cents"; ``100`` -> "one dollar"."""
    catalog = load_catalog(language)

    def amount(unit: str, n: int) -> str:
        form = catalog[f"value.{unit}.{_amount_form(n)}"]
        return form.format(n=number_words(n, language, before_noun=True))

    dollars, rest = divmod(cents, 100)
    if rest == 0:
        return amount("dollars", dollars)
    if dollars == 0:
        return amount("cents", rest)
    return catalog["value.dollars_and_cents"].format(
        dollars=amount("dollars", dollars), cents=amount("cents", rest))


def date_words(day: date, language: str = "en-US") -> str:
    """``2026-12-05`` -> "December fifth" (``{day}`` is the ordinal, ``{day_number}`` not);
    the first of a month has a form of its own (Spanish "primero de diciembre")."""
    catalog = load_catalog(language)
    form = "value.date_first" if day.day == 1 else "value.date"
    return catalog[form].format(
        month=catalog[f"value.month.{day.month}"], day=number_words(day.day, language, True),
        day_number=number_words(day.day, language))


def digit_words(digits: str, group: int = 0) -> str:
    """``"4242"`` -> "4 2 4 2", which every text-to-speech voice reads digit by digit.

    With ``group=5``, ``"1234567890"`` -> "1 2 3 4 5, 6 7 8 9 0".
    """
    if group <= 0:
        return " ".join(digits)
    chunks = [digits[i : i + group] for i in range(0, len(digits), group)]
    return ", ".join(" ".join(chunk) for chunk in chunks)


def phone_words(e164: str, language: str = "en-US") -> str:
    """``+18005550100`` -> "8 0 0, 5 5 5, 0 1 0 0" (a North American number as dialled at
    home); any other country's number digit by digit after the catalog's word for "+"."""
    digits = e164.removeprefix("+")
    if e164.startswith("+1") and len(digits) == 11:
        return ", ".join(digit_words(part) for part in (digits[1:4], digits[4:7], digits[7:]))
    return load_catalog(language)["value.phone_international"].format(
        number=digit_words(digits, group=3))


def clock_words(minutes: int, language: str = "en-US") -> str:
    """``510`` -> "eight thirty AM"; ``720`` -> "noon"; ``0`` and ``1440`` -> "midnight"."""
    catalog = load_catalog(language)
    hour, minute = divmod(minutes % (24 * 60), 60)
    if minute == 0 and hour in (0, 12):
        return catalog["value.time.midnight" if hour == 0 else "value.time.noon"]
    period = "morning" if hour < 12 else "afternoon" if hour < 18 else "evening"
    twelve = hour % 12 or 12
    words = catalog["value.time.hour_one"] if twelve == 1 else number_words(twelve, language)
    if minute == 0:
        return catalog["value.time.on_the_hour"].format(
            hour=words, period=catalog[f"value.time.{period}"])
    minute_words = number_words(minute, language)
    if minute < 10:
        minute_words = catalog["value.time.minute_under_ten"].format(minute=minute_words)
    return catalog["value.time.hour_minute"].format(
        hour=words, minute=minute_words, period=catalog[f"value.time.{period}"])


def key_words(key: str, language: str = "en-US") -> str:
    """A key as it is named in a menu: digits as themselves, ``*`` and ``#`` by name."""
    return load_catalog(language)[_KEY_IDS[key]] if key in _KEY_IDS else key


def speak_value(value: Any, language: str = "en-US") -> str:
    """Render one typed value as words; a nested Prompt renders from the catalog."""
    if isinstance(value, Prompt):
        return render(value, language)
    if isinstance(value, Money):
        return money_words(value.cents, language)
    if isinstance(value, Digits):
        return digit_words(value.digits, value.group)
    if isinstance(value, Key):
        return key_words(value.key, language)
    if isinstance(value, Phone):
        return phone_words(value.e164, language)
    if isinstance(value, Clock):
        return clock_words(value.minutes, language)
    if isinstance(value, date):
        return date_words(value, language)
    return str(value)


@cache
def load_catalog(language: str = "en-US") -> dict[str, str]:
    """The prompt catalog for ``language``: prompt id -> text with {placeholders}.

    A language's catalog is ``<language>.yaml`` (speech) plus any
    ``<language>.<part>.yaml`` (e.g. ``.sms`` for texts); an id may appear once.
    """
    catalog: dict[str, str] = {}
    parts = [*CATALOG_DIR.glob(f"{language}.yaml"), *CATALOG_DIR.glob(f"{language}.*.yaml")]
    for path in sorted(parts):
        with path.open(encoding="utf-8") as handle:
            part = yaml.safe_load(handle)
        if not isinstance(part, dict):
            raise ValueError(f"prompt catalog {path.name} is not a mapping")
        for key, text in part.items():
            if key in catalog:
                raise ValueError(f"prompt {key!r} is defined twice ({path.name})")
            # Line breaks and runs of spaces become one space; a space at either end stays
            # (a list separator such as "; " needs its own).
            catalog[str(key)] = re.sub(r"\s+", " ", str(text))
    return catalog


def render(prompt: Prompt, language: str = "en-US") -> str:
    """The sentence a prompt speaks, in its own language if it has one, else ``language``;
    a missing id or placeholder raises KeyError."""
    language = prompt.language or language
    template = load_catalog(language)[prompt.id]
    return template.format(**{name: speak_value(v, language) for name, v in prompt.params.items()})


def charge_description(kind: str, account_number: str, language: str = "en-US") -> str:
    """What a charge is called at the gateway (the payer may read it on a receipt).

    ``kind`` is one of the catalog's ``text.charge.*``: ``phone``, ``card_kept``,
    ``bank_capture``, ``scheduled``, ``autopay``.
    """
    return render(say(f"text.charge.{kind}", account=account_number), language)
