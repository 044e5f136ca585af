"""Call tests written as a project using the pytest plugin writes them (the ``call`` fixture).

The plugin is loaded by its entry point (``pyproject.toml``): nothing here imports it but
its type, for mypy.
"""

from __future__ import annotations

import pytest

from ivr.sim.pytest_plugin import CallFactory, CallUnderTest
from tests.app_helpers import balance, call_payments

LUCIA = "+13055550173"  # the demo account whose calls are in Spanish


def test_a_caller_hears_the_balance_and_hangs_up(call: CallUnderTest) -> None:
    call.expect_prompt("option.this_account")
    call.expect("For the account ending in 1 2 3 4, press 1.")
    call.press("1")
    call.expect_prompt("ask.pin")
    call.press("2468")
    call.expect_prompt("info.balance_due")
    call.expect("You owe one hundred twenty dollars and forty-five cents, due December fifth.")
    call.expect_not("past due")
    call.hang_up()
    call.expect_end("caller-hangup")
    assert call.ended and call.result.outcome == "hangup"


def test_a_caller_pays_the_whole_balance_by_card(call: CallUnderTest) -> None:
    call.press("1")
    call.press("2468")
    call.press("1")
    call.expect("Enter the card number, then press pound.")
    call.press("4242424242424242#")
    call.expect_prompt("ask.card_expiry")
    call.press("1230")
    call.press("123")
    call.press("94105")
    call.expect("with the Visa card ending in 4 2 4 2")
    call.press("1")
    call.expect("Thank you, your payment has been approved.")
    call.expect("Your confirmation number is")
    call.expect_sms("Payment of $120.45 to account ending 1234 approved with Visa ending 4242.")
    assert balance(call.app) == 0
    [payment] = call_payments(call.app, call.result.call_sid)
    assert payment.status == "approved" and payment.amount_cents == 12045


def test_words_are_said_where_the_line_listens(call: CallUnderTest) -> None:
    call.say("yes")
    call.expect_prompt("ask.pin")
    with pytest.raises(ValueError, match="takes keys only"):
        call.say("two four six eight")  # a PIN is keyed
    call.press("2468")
    call.say("more options")
    call.expect("To hear your balance and due date, press 1.")


@pytest.mark.ivr_call(from_number=LUCIA)
def test_the_marker_sets_the_callers_number(call: CallUnderTest) -> None:
    call.expect("Para la cuenta terminada en 2 4 6 8, oprima 1.")
    call.press("1")
    call.expect_prompt("ask.pin", language="es-US")


@pytest.mark.ivr_call(language="es-US")
def test_the_marker_plays_the_call_in_a_language(call: CallUnderTest) -> None:
    # Jordan's account speaks English: the caller chose Spanish at the greeting (9).
    assert "caller presses 9 (for es-US)" in call.result.transcript
    call.expect_prompt("option.this_account")
    call.press("1")
    call.expect_prompt("ask.pin")
    with pytest.raises(AssertionError, match=r"expected to hear prompt ask\.pin in en-US"):
        call.expect_prompt("ask.pin", language="en-US")


def test_a_factory_places_more_calls_on_the_same_line(call_factory: CallFactory) -> None:
    first = call_factory()
    for keys in ("1", "2468", "1", "4242424242424242#", "1230", "123", "94105", "1"):
        first.press(keys)
    first.expect("has been approved")
    first.hang_up()
    again = call_factory()
    again.press("1")
    again.press("2468")
    again.expect("Your balance is zero dollars. Nothing is due.")
    spanish = call_factory(from_number=LUCIA)
    spanish.expect_prompt("option.this_account", language="es-US")
