"""Spoken values, the prompt catalog, card checks and keyed amounts."""

from __future__ import annotations

import re
import string
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from flows.cards import (
    Brand,
    CardProblem,
    card_brand,
    check_card_number,
    check_expiry,
    check_security_code,
    check_zip,
)
from flows.errors import AmountError
from flows.money import (
    cents_to_decimal,
    decimal_to_cents,
    parse_keyed_amount,
)
from flows.payment_steps import BANK_DECLINES
from flows.ports import DeclineReason
from flows.speech import (
    Digits,
    Key,
    Money,
    Phone,
    Prompt,
    date_words,
    digit_words,
    load_catalog,
    money_words,
    phone_words,
)

FLOWS_DIR = Path(__file__).resolve().parents[2] / "flows"


@pytest.mark.parametrize(("cents", "words"), [
    (0, "zero dollars"),
    (1, "one cent"),
    (100, "one dollar"),
    (101, "one dollar and one cent"),
    (4550, "forty-five dollars and fifty cents"),
    (120410, "one thousand two hundred four dollars and ten cents"),
])
def test_money_in_words(cents: int, words: str) -> None:
    assert money_words(cents) == words


def test_dates_as_month_and_day() -> None:
    assert date_words(date(2026, 12, 5)) == "December fifth"
    assert date_words(date(2027, 1, 22)) == "January twenty-second"


def test_digits_one_by_one_and_grouped() -> None:
    assert digit_words("4242") == "4 2 4 2"
    assert digit_words("1234567890", group=5) == "1 2 3 4 5, 6 7 8 9 0"


@pytest.mark.parametrize(("e164", "words"), [
    ("+18005550199", "8 0 0, 5 5 5, 0 1 9 9"),
    ("+442079460958", "plus 4 4 2, 0 7 9, 4 6 0, 9 5 8"),
])
def test_phone_numbers_in_the_groups_they_are_dialled_in(e164: str, words: str) -> None:
    assert phone_words(e164) == words


def _prompt_ids_used_in_code() -> set[str]:
    ids: set[str] = set()
    for path in FLOWS_DIR.glob("*.py"):
        ids |= set(re.findall(r'(?:say|option)\(\s*"([a-z_]+\.[a-z_]+)"', path.read_text()))
    return ids


def test_every_prompt_the_code_uses_is_in_the_catalog() -> None:
    catalog = load_catalog()
    ids = _prompt_ids_used_in_code()
    ids |= {f"error.{problem}" for problem in CardProblem if problem != CardProblem.EXPIRED}
    ids |= {f"decline.{reason}" for reason in DeclineReason}
    ids |= {f"decline.bank.{reason}" for reason in BANK_DECLINES}
    ids |= {f"info.history_{method}" for method in ("card", "bank", "check", "cash")}
    ids |= {"error.amount_invalid", "error.amount_cents_two_digits", "error.card_expired"}
    assert len(ids) > 50
    assert sorted(ids - set(catalog)) == []


def test_every_catalog_entry_renders_and_menus_follow_the_pattern() -> None:
    day = date(2026, 1, 1)
    sample = {"key": Key("1"), "amount": Money(100), "balance": Money(100),
              "minimum": Money(100), "fee": Money(100), "total": Money(100), "due": day,
              "paid_on": day, "date": day, "latest": day, "last4": Digits("4242"),
              "number": Digits("1"), "confirmation": Digits("1"), "brand": "Visa",
              "label": "Visa", "length": 3, "count": 3, "biller": "Acme",
              "method": Prompt("method.card", {"label": "Visa", "last4": Digits("4242")}),
              "account_last4": "1234", "card_last4": "4242", "plan": "x", "reason": "x",
              "confirmation_number": "1234567890", "minutes": 30,
              "scheduled": Money(100), "credit": Money(100),
              # the parts values are said and written with (en-US.values.yaml)
              "n": "one", "dollars": "x", "cents": "x", "month": "x", "day": "x",
              "day_number": "x", "year": "2026", "type": "checking", "account": "10001234",
              # bank debit authorisations and their written notices
              "today": day, "start": day, "payer": "you", "name": "Jordan Rivera",
              "phone": Phone("+18005550199"), "authorized_on": "Jan 1, 2026",
              "revoke": "x"}
    for prompt_id, template in load_catalog().items():
        fields = {name for _, name, _, _ in string.Formatter().parse(template) if name}
        assert fields <= set(sample), prompt_id
        if prompt_id.startswith("option."):
            # "To pay now by card, press 1." and the options that shorten one before them:
            # "By bank account, press 2.", "With ... on file, press 3.", "For more options, ..."
            assert re.fullmatch(r"(To|By|With|For) [^,]+, press \{key\}\.", template), \
                prompt_id


@pytest.mark.parametrize(("number", "brand"), [
    ("4242424242424242", Brand.VISA),
    ("5555555555554444", Brand.MASTERCARD),
    ("2223003122003222", Brand.MASTERCARD),
    ("378282246310005", Brand.AMEX),
    ("6011111111111117", Brand.DISCOVER),
    ("3530111333300000", None),
])
def test_brands(number: str, brand: Brand | None) -> None:
    assert card_brand(number) == brand


def test_card_number_checks() -> None:
    assert check_card_number("4242424242424242") == (Brand.VISA, None)
    assert check_card_number("4242424242424241") == (None, CardProblem.INVALID_NUMBER)
    assert check_card_number("42424242424242*2") == (None, CardProblem.INVALID_NUMBER)
    assert check_card_number("3530111333300000") == (None, CardProblem.UNSUPPORTED_BRAND)


@pytest.mark.parametrize(("mmyy", "problem"), [
    ("1126", None), ("0127", None), ("1026", CardProblem.EXPIRED),
    ("1325", CardProblem.INVALID_EXPIRY), ("0030", CardProblem.INVALID_EXPIRY),
    ("123", CardProblem.INVALID_EXPIRY),
])
def test_expiry(mmyy: str, problem: CardProblem | None) -> None:
    assert check_expiry(mmyy, date(2026, 11, 21)) == problem


def test_security_code_length_by_brand() -> None:
    assert check_security_code("123", Brand.VISA) is None
    assert check_security_code("1234", Brand.VISA) == CardProblem.CODE_LENGTH
    assert check_security_code("1234", Brand.AMEX) is None
    assert check_security_code("123", Brand.AMEX) == CardProblem.CODE_LENGTH


def test_zip() -> None:
    assert check_zip("94105") is None
    assert check_zip("9410") == CardProblem.INVALID_ZIP


@pytest.mark.parametrize(("keys", "cents"), [("10", 1000), ("10*50", 1050), ("0*07", 7)])
def test_keyed_amounts(keys: str, cents: int) -> None:
    assert parse_keyed_amount(keys) == cents


@pytest.mark.parametrize(("keys", "problem"), [
    ("10*5", "amount_cents_two_digits"), ("10*500", "amount_cents_two_digits"),
    ("", "amount_invalid"), ("*50", "amount_invalid"), ("1*2*3", "amount_cents_two_digits"),
    ("12345678", "amount_invalid"),
])
def test_unreadable_amounts(keys: str, problem: str) -> None:
    with pytest.raises(AmountError) as error:
        parse_keyed_amount(keys)
    assert error.value.problem == problem


def test_decimal_conversions_never_use_float() -> None:
    assert cents_to_decimal(120410) == Decimal("1204.10")
    assert decimal_to_cents(Decimal("1204.10")) == 120410
    with pytest.raises(ValueError, match="fractions of a cent"):
        decimal_to_cents(Decimal("1.005"))
