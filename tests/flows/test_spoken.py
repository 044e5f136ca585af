"""What steps do with words said, and slower prompts, in the call state machine."""

from __future__ import annotations

import json

from flows.keys import SLOWER
from flows.state import Event, Step
from tests.flow_helpers import NOW_BY_CARD, VISA, Caller, at_main_menu, make_ports, verified
from tests.menu_helpers import OTHER_AMOUNT

UNCLEAR = "Sorry, I didn't catch that. You can also use your keypad."
KEYPAD = "Please use your keypad."


def test_a_menu_option_named_is_taken_as_if_its_key_was_pressed() -> None:
    caller = at_main_menu(make_ports())
    assert "one hundred twenty dollars and forty-five cents" in caller.say("pay my bill")
    assert caller.state.step is Step.PAY_NOW
    caller.say("a different amount")  # other amounts or dates ...
    assert caller.state.step is Step.PAY_CHOICE
    caller.say("a different amount")  # ... and there, a different amount
    assert caller.state.step is Step.PAY_OTHER_AMOUNT
    assert "You are paying fifty dollars." in caller.say("fifty dollars")


def test_words_not_understood_count_as_a_failed_answer() -> None:
    caller = verified(make_ports())
    for _ in range(2):
        assert UNCLEAR in caller.say("mumble mumble")
    assert caller.reply.end is None
    caller.say("pay my bill", confidence=0.2)
    assert caller.reply.end is not None and "trouble with your entries" in caller.text


def test_words_are_heard_in_the_calls_language() -> None:
    caller = Caller(make_ports())  # the line speaks English; the caller chooses Spanish
    caller.press("9")
    assert caller.state.language == "es-US"
    assert "Por favor, use el teclado." in caller.say("sí, soy yo")
    assert caller.state.step is Step.PIN
    caller.press("1234")
    caller.say("más opciones")
    assert caller.state.step is Step.MAIN_MENU
    assert "ciento veinte dólares" in caller.say("quiero pagar mi factura")
    assert caller.state.step is Step.PAY_NOW


def test_the_pin_is_keypad_only_and_words_there_are_not_checked() -> None:
    ports = make_ports()
    caller = Caller(ports)
    assert KEYPAD in caller.say("yes")
    assert UNCLEAR in caller.say("one two three four")
    assert caller.state.step is Step.PIN and ports.pin_failures.get(1, 0) == 0
    caller.press("1234")
    assert caller.state.verified


def test_card_and_bank_numbers_said_are_not_taken() -> None:
    caller = verified(make_ports())
    caller.press(NOW_BY_CARD)
    assert caller.state.step is Step.CARD_NUMBER and KEYPAD not in caller.text  # keys so far
    assert UNCLEAR in caller.say("four two four two four two four two four two four two")
    assert KEYPAD in caller.text and caller.state.step is Step.CARD_NUMBER
    caller.press(VISA)
    assert caller.state.step is Step.CARD_EXPIRY and KEYPAD in caller.text


def test_agreeing_to_terms_is_by_key_only() -> None:
    caller = verified(make_ports())
    caller.press_all(NOW_BY_CARD, VISA, "1230", "123", "94105")
    assert caller.state.step is Step.PAY_CONFIRM
    assert caller.reply.ask is not None and not caller.reply.ask.speech
    assert UNCLEAR in caller.say("yes, authorize it")
    assert caller.state.step is Step.PAY_CONFIRM and caller.state.payment_attempts == 0


def test_cancel_said_at_the_amount_drops_the_payment() -> None:
    caller = verified(make_ports())
    caller.press_all(*OTHER_AMOUNT)
    assert caller.state.step is Step.PAY_OTHER_AMOUNT
    caller.say("never mind")
    assert caller.state.step is Step.MAIN_MENU and caller.state.draft is None


def test_that_the_caller_spoke_is_kept_but_never_what_they_said() -> None:
    caller = verified(make_ports())
    assert not caller.state.spoken
    caller.say("my card is 5105105105105100")
    saved = json.dumps(caller.state.to_dict())
    assert caller.state.spoken and "5105" not in saved and "card is" not in saved


def test_empty_words_are_silence() -> None:
    assert Event(None, speech="  ").silent and not Event(None, speech="hi").silent
    caller = verified(make_ports())
    assert "didn't hear anything" in caller.say(" ")


def test_slower_is_offered_at_the_greeting_only_and_8_works_at_any_menu() -> None:
    caller = Caller(make_ports())
    assert caller.reply.ask is not None
    ids = [prompt.id for prompt in caller.reply.ask.prompts]
    assert ids.count("option.slower") == 1 and not caller.reply.slow
    timeout = caller.reply.ask.timeout
    assert "Okay, I will speak more slowly." in caller.press(SLOWER)
    assert caller.state.slower and caller.reply.slow
    assert caller.reply.ask.timeout == timeout + 5
    assert "press 8" not in caller.text
    caller.press_all("1", "1234")
    assert caller.reply.slow and caller.state.step is Step.PAY_NOW
    assert "Okay, I will speak more slowly." in caller.say("slower please")


def test_a_lone_8_is_slower_only_at_the_first_question_of_the_entries() -> None:
    caller = Caller(make_ports(), caller=None)
    assert caller.state.step is Step.ACCOUNT_NUMBER
    caller.press(SLOWER)
    assert caller.state.slower and caller.state.step is Step.ACCOUNT_NUMBER
    caller.press("10001234")
    assert caller.state.step is Step.PIN
    caller.press(SLOWER)
    assert "Sorry, your PIN has 4 digits." in caller.text
