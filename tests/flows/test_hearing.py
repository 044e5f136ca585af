"""Words matched to menu options, and numbers read from speech, in English and Spanish; and
the speech catalogs: every option that may be named by voice has phrases in each."""

from __future__ import annotations

import string

import pytest

from flows import table
from flows.hearing import (
    MIN_CONFIDENCE,
    confident,
    hear_id,
    hint_phrases,
    phrases,
    pick,
    said_key,
    spoken_amount,
    spoken_digits,
)
from flows.spec import Each, Menu, Option
from flows.speech import CATALOG_DIR, load_catalog
from flows.state import Event
from flows.wording import prompt_ids

MAIN_MENU = {"1": "hear.balance", "2": "hear.pay", "3": "hear.history", "4": "hear.manage",
             "0": "hear.agent", "9": "hear.end_call", "8": "hear.slower", "*": "hear.repeat"}
LANGUAGES = ("en-US", "es-US")


@pytest.mark.parametrize(("words", "key"), [
    ("pay my bill", "2"), ("I want to make a payment.", "2"), ("What's my balance?", "1"),
    ("I'd like to pay my balance", "2"),  # the longer phrase wins over "balance"
    ("payment history", "3"), ("REPRESENTATIVE", "0"), ("can I talk to someone", "0"),
    ("goodbye", "9"), ("could you slow down", "8"), ("say that again", "*"),
    ("press four", "4"), ("three", "3"), ("option 1", "1"),
    ("the weather tomorrow", None), ("twenty", None), ("one two", None), ("", None),
])
def test_english_words_pick_an_option(words: str, key: str | None) -> None:
    assert pick(words, MAIN_MENU, "en-US") == key


@pytest.mark.parametrize(("words", "key"), [
    ("quiero pagar mi factura", "2"), ("¿Cuánto debo?", "1"), ("cuanto debo", "1"),
    ("un representante, por favor", "0"), ("más despacio", "8"), ("mas despacio", "8"),
    ("oprima tres", "3"), ("adiós", "9"), ("repita", "*"), ("el clima de mañana", None),
])
def test_spanish_words_pick_an_option(words: str, key: str | None) -> None:
    assert pick(words, MAIN_MENU, "es-US") == key


def test_options_that_share_their_words_are_told_apart_by_the_key_said() -> None:
    instalments = {"2": "hear.instalments", "3": "hear.instalments"}
    assert pick("payments", instalments, "en-US") is None
    assert pick("three payments", instalments, "en-US") == "3"
    assert said_key("en dos pagos", "es-US") == "2"


@pytest.mark.parametrize(("words", "language", "keys"), [
    ("fifty dollars", "en-US", "50"), ("$50", "en-US", "50"), ("50.25", "en-US", "50*25"),
    ("fifty dollars and twenty five cents", "en-US", "50*25"),
    ("one hundred five dollars", "en-US", "105"), ("$1,250.75", "en-US", "1250*75"),
    ("ninety nine cents", "en-US", "0*99"), ("twelve point five", "en-US", "12*50"),
    ("cincuenta dólares", "es-US", "50"), ("cincuenta dolares", "es-US", "50"),
    ("cincuenta dólares con veinticinco centavos", "es-US", "50*25"),
    ("ciento veintitrés dólares", "es-US", "123"), ("50,25", "es-US", "50*25"),
    ("fifty twenty five", "en-US", None),  # fifty and twenty-five, or fifty twenty-five?
    ("$50.255", "en-US", None), ("five dollars and 250 cents", "en-US", None),
    ("4242 4242 4242 4242", "en-US", None), ("12345678 dollars", "en-US", None),
    ("the full amount", "en-US", None),
])
def test_amounts_said_become_keys(words: str, language: str, keys: str | None) -> None:
    assert spoken_amount(words, language) == keys


@pytest.mark.parametrize(("words", "language", "digits"), [
    ("one zero zero zero one two three four", "en-US", "10001234"),
    ("one oh oh oh one two three four", "en-US", "10001234"),
    ("my account number is 1000 1234", "en-US", "10001234"),
    ("uno cero cero cero uno dos tres cuatro", "es-US", "10001234"),
    ("I don't know it", "en-US", None),
])
def test_account_numbers_said_become_digits(words: str, language: str,
                                            digits: str | None) -> None:
    assert spoken_digits(words, language) == digits


def test_numbers_in_a_language_text2num_does_not_read_are_digits_only() -> None:
    assert spoken_digits("1 2 3 vier", "xx-XX") == "123"


@pytest.mark.parametrize(("confidence", "sure"), [
    (None, True), (MIN_CONFIDENCE, True), (0.9, True), (MIN_CONFIDENCE - 0.01, False),
    (0.0, False)])
def test_confidence_below_the_threshold_is_not_enough(confidence: float | None,
                                                      sure: bool) -> None:
    assert confident(Event(None, speech="balance", confidence=confidence)) is sure


def _spoken_option_ids() -> set[str]:
    """The prompt ids of every option of every menu that listens for words."""
    ids: set[str] = set()
    for spec in table.STEPS.values():
        if isinstance(spec, Menu) and spec.speech:
            for choice in spec.options:
                ids.update(prompt_ids(choice.prompt) if isinstance(choice, Option | Each)
                           else ())
    return ids


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_option_said_by_voice_has_phrases(language: str) -> None:
    ids = _spoken_option_ids()
    assert {"option.pay", "option.agent", "option.now_by_card", "option.use_saved"} <= ids
    missing = sorted(i for i in ids if not phrases(hear_id(i), language))
    assert not missing, f"{language} has no hear.* phrases for {missing}"
    for catalog_id in ("hear.repeat", "hear.slower", "hear.dollars", "hear.cents",
                       "hear.cancel_entry"):
        assert phrases(catalog_id, language), catalog_id


def test_the_speech_catalogs_have_the_same_ids_and_placeholders() -> None:
    parts = {language: _part(language) for language in LANGUAGES}
    english, spanish = parts["en-US"], parts["es-US"]
    assert set(english) == set(spanish)
    for prompt_id, text in english.items():
        assert _fields(text) == _fields(spanish[prompt_id]), prompt_id


def _part(language: str) -> dict[str, str]:
    """The entries of ``<language>.speech.yaml``, as the catalog reads them."""
    catalog = load_catalog(language)
    ids = [line.split(":")[0] for line in
           (CATALOG_DIR / f"{language}.speech.yaml").read_text(encoding="utf-8").splitlines()
           if line and not line.startswith(("#", " "))]
    return {prompt_id: catalog[prompt_id] for prompt_id in ids}


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("language", LANGUAGES)
def test_phrases_fit_twilio_hints(language: str) -> None:
    every = hint_phrases([i for i in load_catalog(language) if i.startswith("hear.")], language)
    assert every and all(0 < len(phrase) <= 100 and "," not in phrase for phrase in every)
