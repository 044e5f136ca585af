"""What a caller says instead of pressing keys: words matched to a menu's options, and the
numbers of an account number or an amount read from speech.

A menu option whose prompt id is ``option.X`` is picked by the phrases of ``hear.X`` in the
catalog of the call's language: synonyms separated by "|" ("pay my bill | make a payment").
A phrase matches as whole words anywhere in what was heard, and the longest phrase matched
wins; when options tie, or none matches, saying the key ("one", "press two") still works.
The same phrases go to Twilio as hints for its recogniser.

Numbers said in words become digits with text2num's ``alpha2digit`` in the languages it
reads (English, Spanish and a few more); in any other language only digits the recogniser
wrote as digits count. Nothing here keeps or logs what was heard.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation

from text_to_num import alpha2digit

from flows.context import Context
from flows.speech import load_catalog
from flows.state import CallState, Event

# Below this, the recogniser itself rates its words more likely wrong than right. Matching a
# catalog phrase (or reading a whole number) is a second check, so a moderate bar suffices;
# a stricter one would turn away callers on poor lines who were heard correctly.
MIN_CONFIDENCE = 0.5
SEPARATOR = "|"
_TEXT2NUM_LANGUAGES = frozenset({"en", "es", "fr", "pt", "de", "nl", "da", "it"})
# Where an amount's units were said; no language's number words look like these.
_DOLLARS, _CENTS = "zzdollars", "zzcents"
_AMOUNT_PART = re.compile(rf"\d+(?:\.\d+)?|{_DOLLARS}|{_CENTS}")
MAX_AMOUNT_DIGITS = 7  # as many dollar digits as a keyed amount may have


def call_language(state: CallState, ctx: Context) -> str:
    """The language the caller is spoken to, and heard, in: the call's own (the line's, the
    account's, or the caller's choice)."""
    return state.language


def hear_id(prompt_id: str) -> str:
    """The catalog id of the phrases that pick an option: ``option.pay`` -> ``hear.pay``."""
    return "hear." + prompt_id.removeprefix("option.")


def phrases(catalog_id: str, language: str) -> list[str]:
    """The phrases listed under ``catalog_id`` (none when the catalog has no such id)."""
    listed = load_catalog(language).get(catalog_id, "")
    return [phrase.strip() for phrase in listed.split(SEPARATOR) if phrase.strip()]


def confident(event: Event) -> bool:
    """Whether the recogniser was sure enough of the words (no score given: trust them)."""
    return event.confidence is None or event.confidence >= MIN_CONFIDENCE


def _plain(text: str) -> str:
    """Lower case, without accents or punctuation, one space between words."""
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(char for char in text if not unicodedata.combining(char))
    return " ".join(re.sub(r"[^\w]+", " ", text).split())


def _contains(heard: str, phrase: str) -> bool:
    """``phrase`` appears in ``heard`` as whole words (both already plain)."""
    return bool(phrase) and f" {phrase} " in f" {heard} "


def pick(words: str, choices: Mapping[str, str], language: str) -> str | None:
    """The key of the choice whose phrases best match ``words``; ``choices`` maps each key to
    the catalog id of its phrases. Failing a single best match, the key said ("two")."""
    heard = _plain(words)
    best: dict[str, int] = {}
    for key, catalog_id in choices.items():
        for phrase in map(_plain, phrases(catalog_id, language)):
            if _contains(heard, phrase):
                best[key] = max(best.get(key, 0), len(phrase.split()))
    longest = max(best.values(), default=0)
    winners = [key for key, length in best.items() if length == longest]
    if len(winners) == 1:
        return winners[0]
    return said_key(words, language)


def said_key(words: str, language: str) -> str | None:
    """The key named in ``words`` ("one", "press 2", "three payments", "oprima uno"): their
    only number, when it is one digit; else None."""
    numbers = re.findall(r"\d+", _numerals(words.casefold(), language))
    return numbers[0] if len(numbers) == 1 and len(numbers[0]) == 1 else None


def matches(words: str, catalog_id: str, language: str) -> bool:
    """Whether ``words`` hold one of the phrases of ``catalog_id``."""
    heard = _plain(words)
    return any(_contains(heard, _plain(phrase)) for phrase in phrases(catalog_id, language))


def _numerals(text: str, language: str) -> str:
    """``text`` with numbers said in words written as digits ("fifty five" -> "55")."""
    code = language.split("-")[0].lower()
    text = _words_as(text, "hear.zero_words", " 0 ", language)  # "one oh one" is 101
    if code not in _TEXT2NUM_LANGUAGES:
        return text
    return str(alpha2digit(text, code, threshold=0))


def _words_as(text: str, catalog_id: str, marker: str, language: str) -> str:
    """``text`` with every word listed under ``catalog_id`` (accents or not) as ``marker``."""
    listed = {_plain(word) for word in phrases(catalog_id, language)}
    return re.sub(r"\w+", lambda found: marker if _plain(found.group()) in listed
                  else found.group(), text)


def spoken_digits(words: str, language: str) -> str | None:
    """The digits said, in order, as one number ("one zero zero zero 1 2 3 4" ->
    "10001234"), or None when no digit was said."""
    digits = "".join(re.findall(r"\d", _numerals(words.casefold(), language)))
    return digits or None


def spoken_amount(words: str, language: str) -> str | None:
    """An amount said ("fifty dollars and twenty five cents", "$50.25", "cincuenta
    dólares") as it would be keyed ("50*25"), or None when no one amount was said."""
    text = _words_as(words.casefold(), "hear.dollars", f" {_DOLLARS} ", language)
    text = _words_as(text, "hear.cents", f" {_CENTS} ", language)
    text = _numerals(text.replace("$", " "), language)
    text = re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", text)  # 1,250 is one thousand two hundred...
    text = re.sub(r"(?<=\d),(?=\d{1,2}(?!\d))", ".", text)  # ... and 50,25 fifty and a quarter
    cents = _cents(_AMOUNT_PART.findall(text))
    if cents is None:
        return None
    dollars, rest = divmod(cents, 100)
    return f"{dollars}*{rest:02d}" if rest else str(dollars)


def _cents(parts: list[str]) -> int | None:
    """Cents for an amount's parts: a number of dollars (with cents after a point, or said
    after the dollars), or cents alone; None for anything else."""
    units = [part for part in parts if part in (_DOLLARS, _CENTS)]
    numbers = [part for part in parts if part not in units]
    shape = tuple("n" if part in numbers else part for part in parts)
    if shape in (("n",), ("n", _DOLLARS)):
        return _dollars(numbers[0])
    if shape in (("n", _DOLLARS, "n"), ("n", _DOLLARS, "n", _CENTS)):
        whole, rest = _dollars(numbers[0]), _whole(numbers[1])
        if whole is None or rest is None or rest >= 100 or "." in numbers[0]:
            return None
        return whole + rest
    if shape == ("n", _CENTS):
        rest = _whole(numbers[0])
        return rest if rest is not None and rest < 100 else None
    return None


def _dollars(number: str) -> int | None:
    """``"50.25"`` -> 5025; None with more than two places or too many digits."""
    try:
        amount = Decimal(number)
    except InvalidOperation:
        return None
    cents = amount * 100
    if cents != cents.to_integral_value() or len(number.split(".")[0]) > MAX_AMOUNT_DIGITS:
        return None
    return int(cents)


def _whole(number: str) -> int | None:
    return int(number) if number.isdigit() else None


def hint_phrases(catalog_ids: Iterable[str], language: str) -> list[str]:
    """Every phrase of ``catalog_ids``, once each, in order (for the recogniser's hints)."""
    seen: dict[str, None] = {}
    for catalog_id in catalog_ids:
        for phrase in phrases(catalog_id, language):
            seen.setdefault(phrase, None)
    return list(seen)


def heard_key(event: Event, choices: Mapping[str, str], language: str) -> str | None:
    """The key the caller's words stand for among ``choices`` (key -> catalog id of its
    phrases), or None when they were unsure or matched nothing."""
    return pick(event.speech or "", choices, language) if confident(event) else None
