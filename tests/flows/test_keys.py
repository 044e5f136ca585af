"""Only ASCII digits, star and pound are keys: other scripts' digits are invalid input.

Python's ``str.isdigit()`` is true for them all, and ``int()`` reads most of them.
"""

from __future__ import annotations

import pytest
from flask import Flask

from flows.keys import is_digits, is_keypad
from ivr.security.pins import is_valid_pin
from tests.menu_helpers import ALEX_MORE, OTHER_AMOUNT
from tests.twilio_helpers import TwilioCaller


def arabic_indic(digits: str) -> str:
    """``"12"`` in Arabic-Indic digits (U+0660 to U+0669)."""
    return "".join(chr(0x0660 + int(d)) for d in digits)


def superscript(digits: str) -> str:
    """``"23"`` as superscripts, which ``int()`` refuses although ``isdigit()`` is true."""
    return digits.translate(str.maketrans("0123456789", "\u2070\u00b9\u00b2\u00b3\u2074"
                                                         "\u2075\u2076\u2077\u2078\u2079"))


PIN = "2468"  # demo account 10001234, matched by caller ID +14155550100
AMOUNT_INVALID = "Sorry, that is not an amount we can read."
NOT_AN_OPTION = "Sorry, that is not one of the options."
OTHER_DIGITS = [arabic_indic("3"), "\u06f3", superscript("3"), "\uff11",
                "12" + arabic_indic("3") + "4"]


@pytest.mark.parametrize("text", [*OTHER_DIGITS, "", "1 2", "12*"])
def test_only_ascii_digits_are_digits(text: str) -> None:
    assert not is_digits(text)
    assert is_digits("0123456789")


def test_keypad_keys() -> None:
    assert is_keypad("0123456789*#") and is_keypad("")
    assert not any(is_keypad(text) for text in [*OTHER_DIGITS, "A", "1 2"])


def test_a_pin_in_other_digits_is_not_a_pin() -> None:
    assert arabic_indic(PIN).isdigit() and superscript(PIN).isdigit()
    assert not is_valid_pin(arabic_indic(PIN)) and not is_valid_pin(superscript(PIN))
    assert is_valid_pin(PIN)


@pytest.mark.parametrize(("caller_id", "keys", "heard"), [
    ("+16505550123", [arabic_indic("10001234")], "Sorry, an account number has only digits."),
    ("+16505550123", ["10001234", arabic_indic(PIN)], "Sorry, your PIN has 4 digits."),
    ("+14155550100", ["1", PIN, arabic_indic("3")], NOT_AN_OPTION),
    ("+14155550100", ["1", PIN, *OTHER_AMOUNT, arabic_indic("10")], AMOUNT_INVALID),
    ("+14155550100", ["1", PIN, *OTHER_AMOUNT, superscript("3")], AMOUNT_INVALID),
    ("+14155550100", ["1", PIN, *OTHER_AMOUNT, "1", "2", arabic_indic("1201")],
     "Sorry, that is not a date."),
    # AutoPay's method menu (flows/plan_steps.py still uses str.isdigit and int()): the
    # webhook hands it no such keys, so an Arabic-Indic 2 does not pick option 2, and a
    # superscript 3 does not crash the turn.
    ("+13125550142", ["30009012", "8024", ALEX_MORE, "4", "2", arabic_indic("2")], NOT_AN_OPTION),
    ("+13125550142", ["30009012", "8024", ALEX_MORE, "4", "2", superscript("3")], NOT_AN_OPTION),
])
def test_other_scripts_digits_are_invalid_input_at_the_webhook(
        demo_app: Flask, caller_id: str, keys: list[str], heard: str) -> None:
    caller = TwilioCaller(demo_app, caller=caller_id)

    answer = caller.walk(*keys)

    assert answer.status == 200
    assert answer.said.startswith(heard), answer.said
    assert answer.gather is not None, "the caller is asked again, not cut off"
