"""What the caller hears: prompt ids with typed values, rendered from a catalog.

Values are typed so each is spoken the one right way: ``Money`` as dollars and
cents in words, ``date`` as month and day, ``Digits`` one digit at a time, ``Phone`` in
the groups it is dialled in, ``Clock`` as a time of day.
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
    """A catalog entry to speak, with the values its placeholders need."""

    id: str
    params: dict[str, Any] = field(default_factory=dict)


def say(prompt_id: str, **params: Any) -> Prompt:
    """Shorthand for ``Prompt(prompt_id, params)``."""
    return Prompt(prompt_id, params)


def number_words(n: int, language: str = "en-US", ordinal: bool = False) -> str:
    """``n`` in words in ``language`` (its catalog names the num2words language)."""
    lang = load_catalog(language)["language.number_words"]
    words: str = num2words(n, lang=lang, to="ordinal" if ordinal else "cardinal")
    if lang == "en":
        # num2words writes British English; US English drops the "and" ("one hundred twenty")
        # and reads without commas.
        words = words.replace(" and ", " ").replace(",", "")
    return words


def money_words(cents: int, language: str = "en-US") -> str:
    """``4550`` -> "forty-five dollars and fifty cents"; ``100`` -> "one dollar"."""
    catalog = load_catalog(language)

    def amount(unit: str, n: int) -> str:
        form = catalog[f"value.{unit}.{'one' if n == 1 else 'other'}"]
        return form.format(n=number_words(n, language))

    dollars, rest = divmod(cents, 100)
    if rest == 0:
        return amount("dollars", dollars)
    if dollars == 0:
        return amount("cents", rest)
    return catalog["value.dollars_and_cents"].format(
        dollars=amount("dollars", dollars), cents=amount("cents", rest))


def date_words(day: date, language: str = "en-US") -> str:
    """``2026-12-05`` -> "December fifth" (``{day}`` is the ordinal, ``{day_number}`` not)."""
    catalog = load_catalog(language)
    return catalog["value.date"].format(
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
    for path in sorted(CATALOG_DIR.glob(f"{language}*.yaml")):
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
    """The sentence a prompt speaks; a missing id or placeholder raises KeyError."""
    template = load_catalog(language)[prompt.id]
    return template.format(**{name: speak_value(v, language) for name, v in prompt.params.items()})


def charge_description(kind: str, account_number: str, language: str = "en-US") -> str:
    """What a charge is called at the gateway (the payer may read it on a receipt).

    ``kind`` is one of the catalog's ``text.charge.*``: ``phone``, ``card_kept``,
    ``bank_capture``, ``scheduled``, ``autopay``.
    """
    return render(say(f"text.charge.{kind}", account=account_number), language)
