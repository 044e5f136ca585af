"""Demo values standing in for secrets: the line's own checks take or refuse them as it did
the caller's."""

from __future__ import annotations

from datetime import date

import pytest
from stdnum.us import rtn

from flows.agent_steps import callable_number
from flows.cards import CardProblem, check_card_number, check_expiry, check_zip
from ivr.sim import demo_values as demo

TODAY = date(2026, 11, 21)


def stand_ins() -> demo.StandIns:
    return demo.StandIns(TODAY, demo.demo_account("50002468"))


def test_the_demo_accounts_are_read_from_the_shipped_file() -> None:
    jordan = demo.demo_accounts()[0]
    assert (jordan.number, jordan.phone, jordan.pin) == ("10001234", "+14155550100", "2468")
    assert demo.caller_account("+13125550142") is None  # two accounts share that phone
    assert demo.demo_caller("es-US").number == "50002468"
    assert demo.demo_caller("fr-FR").number == "10001234"
    assert all(account.phone != demo.UNKNOWN_CALLER for account in demo.demo_accounts())


def test_a_pin_taken_is_the_accounts_own_and_a_refused_one_is_refused_alike() -> None:
    values = stand_ins()
    assert values.value("PIN", 4, None, accepted=True) == "1590"  # Lucía's
    assert values.value("PIN", 4, "error.pin_wrong", accepted=False) not in \
        {account.pin for account in demo.demo_accounts()}
    assert values.value("PIN", 3, "error.pin_format", accepted=False) == "7*7"
    # A star keyed among five keys: the line reads the first four, so the star must be there.
    assert values.value("PIN", 5, "error.pin_format", accepted=False)[:4] == "77*7"
    assert "*" in values.value("PIN", 4, "error.pin_format", accepted=False)
    assert values.account_number("99998888") == "10001234"  # not a demo account: Jordan's
    assert values.value("PIN", 4, None, accepted=True) == "2468"


@pytest.mark.parametrize("length", [13, 15, 16])
def test_an_accepted_card_number_is_a_test_card_of_that_length(length: int) -> None:
    card = stand_ins().value("card number", length, None, accepted=True)
    assert len(card) == length and check_card_number(card)[1] is None


@pytest.mark.parametrize(("fault", "problem"), [
    ("error.card_number_invalid", CardProblem.INVALID_NUMBER),
    ("error.card_brand_unsupported", CardProblem.UNSUPPORTED_BRAND)])
def test_a_refused_card_number_is_refused_for_the_same_reason(fault: str,
                                                              problem: CardProblem) -> None:
    card = stand_ins().value("card number", 16, fault, accepted=False)
    assert len(card) == 16 and check_card_number(card)[1] is problem


def test_a_card_declined_is_the_test_card_for_that_decline() -> None:
    values = stand_ins()
    values.decline = "decline.insufficient_funds"
    assert values.value("card number", 16, None, accepted=True) == "4000000000009995"
    assert values.value("card number", 16, None, accepted=True) == "4242424242424242"
    assert values.card_for_brand("American Express") == "378282246310005"


def test_expiry_zip_and_code_stand_ins() -> None:
    values = stand_ins()
    assert check_expiry(values.value("card expiry", 4, None, accepted=True), TODAY) is None
    assert check_expiry(values.value("card expiry", 4, "error.card_expired", accepted=False),
                        TODAY) is CardProblem.EXPIRED
    assert check_expiry(values.value("card expiry", 4, "error.card_expiry_invalid",
                                     accepted=False), TODAY) is CardProblem.INVALID_EXPIRY
    assert check_zip(values.value("ZIP code", 5, None, accepted=True)) is None
    assert values.value("security code", 4, None, accepted=True) == "1234"


def test_bank_numbers_match_when_they_did_and_differ_when_they_did_not() -> None:
    values = stand_ins()
    assert rtn.is_valid(values.value("routing number", 9, None, accepted=True))
    assert not rtn.is_valid(values.value("routing number", 9, "error.routing_invalid",
                                         accepted=False))
    first = values.value("bank account number", 10, None, accepted=True)
    assert len(first) == 10
    assert values.value("bank account number", 10, None, accepted=True) == first
    other = values.value("bank account number", 10, "error.bank_account_mismatch",
                         accepted=False)
    assert len(other) == 10 and other != first


def test_account_and_callback_numbers() -> None:
    values = stand_ins()
    unknown = values.value("account number", 8, "error.account_not_found", accepted=False)
    assert demo.demo_account(unknown) is None and len(unknown) == 8
    assert "*" in values.value("account number", 5, "error.account_number_digits",
                               accepted=False)
    assert callable_number(values.value("phone number", 10, None, accepted=True))
    assert callable_number(values.value("phone number", 10, "error.callback_number",
                                        accepted=False)) is None
