"""Speech as well as keys at the webhooks: which questions listen for words (and how), what
the words pick, and what is said when they are not understood. TwiML is parsed as XML."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from flask import Flask
from sqlalchemy import update

from flows.state import CallState, Step
from ivr.config import override_settings
from ivr.db import db
from ivr.security.pins import pins_of
from models import Account
from tests.app_helpers import call_row
from tests.menu_helpers import OTHER_AMOUNT
from tests.prompt_paths import (
    ASKING_STEPS,
    PATHS,
    PAY_STEPS,
    PIN,
    RECORD_STEPS,
    SCHEDULE_ONE,
    settings_for,
    walk,
)
from tests.twilio_helpers import Answer, TwilioCaller

S = Step
# The questions a caller may answer by voice: every menu but the three that agree to terms
# (the key pressed is what the authorisation records), the account number and the amount.
SPEECH_STEPS = frozenset({
    S.CONFIRM_ACCOUNT, S.ACCOUNT_NUMBER, S.PAY_NOW, S.MAIN_MENU, S.NEXT_STEPS, S.PAY_CHOICE,
    S.PAY_OTHER_AMOUNT, S.PAY_WHEN, S.PAY_METHOD, S.AFTER_PAYMENT, S.AFTER_DECLINE, S.BANK_TYPE,
    S.MANAGE, S.CANCEL_SCHEDULED, S.AUTOPAY_METHOD, S.ARRANGE_COUNT, S.DISPUTE_EMPTY,
    S.DISPUTE_DONE, S.CALLBACK_OFFER, S.CALLBACK_NUMBER, S.CALLBACK_CONFIRM})
# Keypad only: the PIN, card and bank numbers, security codes, dates, and agreeing to terms.
KEYPAD_STEPS = frozenset({
    S.PIN, S.CARD_NUMBER, S.CARD_EXPIRY, S.CARD_CODE, S.CARD_ZIP, S.BANK_ROUTING,
    S.BANK_ACCOUNT, S.BANK_ACCOUNT_AGAIN, S.SCHEDULE_DATE, S.ARRANGE_DATE, S.PAY_CONFIRM,
    S.AUTOPAY_CONFIRM, S.ARRANGE_CONFIRM, S.CALLBACK_ENTRY})
SPEECH_ATTRIBUTES = ("hints", "language", "speechModel", "speechTimeout")
UNCLEAR = "Sorry, I didn't catch that. You can also use your keypad."
JORDAN_NUMBER_WORDS = "one zero zero zero one two three four"


@pytest.fixture
def line(demo_app: Flask) -> Flask:
    """The demo line, every account's PIN set to the paths' PIN."""
    with db.transaction(demo_app) as session:
        session.execute(update(Account).values(pin_hash=pins_of(demo_app).hash(PIN)))
    return demo_app


def state_of(app: Flask, call_sid: str) -> CallState:
    """The call's saved state."""
    return CallState.from_dict(call_row(app, call_sid).flow_state)


def hints(answer: Answer) -> list[str]:
    """The phrases the answer's <Gather> gives Twilio as hints."""
    assert answer.gather is not None
    return [phrase.strip() for phrase in answer.gather.get("hints", "").split(",")]


def test_every_asking_step_is_either_spoken_or_keypad_only() -> None:
    assert SPEECH_STEPS | KEYPAD_STEPS | PAY_STEPS | RECORD_STEPS == ASKING_STEPS
    assert not SPEECH_STEPS & KEYPAD_STEPS


def test_speech_is_heard_exactly_where_it_may_be(line: Flask) -> None:
    walk(line, "CA" + "a" * 32, SCHEDULE_ONE)  # so there is a scheduled payment to cancel
    for n, (step, path) in enumerate(PATHS.items()):
        if step in PAY_STEPS | RECORD_STEPS:
            continue  # <Pay> (keypad only by nature): see the next test; <Record> hears none
        override_settings(line, **settings_for(step))
        caller, answer = walk(line, f"CA{n:02d}{'b' * 30}", path)
        assert call_row(line, caller.call_sid).state == step
        gather = answer.gather
        assert gather is not None, step
        if step in SPEECH_STEPS:
            assert gather.get("input") == "dtmf speech", step
            assert gather.get("language") == "en-US", step
            assert gather.get("speechModel") == "numbers_and_commands", step
            assert int(gather.get("speechTimeout", "")) > 0, step
        else:
            assert gather.get("input") == "dtmf", step
            assert not any(gather.get(name) for name in SPEECH_ATTRIBUTES), step


def test_pay_collects_keys_only(line: Flask) -> None:
    override_settings(line, IVR_CARD_CAPTURE="pay")
    _, answer = walk(line, "CA" + "c" * 32, PATHS[S.CARD_CAPTURE])
    pay = answer.root.find("Pay")
    assert pay is not None and pay.get("input") == "dtmf"
    assert answer.gather is None


def test_menu_hints_are_the_catalog_phrases_of_its_options(line: Flask) -> None:
    _, answer = walk(line, "CA" + "d" * 32, PATHS[S.MAIN_MENU])
    phrases = hints(answer)
    assert {"pay my bill", "balance", "payment history", "goodbye", "repeat", "slower"} \
        <= set(phrases)
    assert "representative" not in phrases  # no agent configured: no agent option
    assert len(phrases) <= 500 and all(0 < len(phrase) <= 100 for phrase in phrases)
    _, amount = walk(line, "CA" + "e" * 32, PATHS[S.PAY_OTHER_AMOUNT])
    assert {"dollars", "cents", "cancel"} <= set(hints(amount))


def test_words_pick_the_option_they_name(line: Flask) -> None:
    caller, menu = walk(line, "CA" + "f" * 32, PATHS[S.MAIN_MENU])
    heard = caller.say(menu, "I'd like to pay my bill, please")
    assert "one hundred twenty dollars and forty-five cents" in heard.said  # the balance
    assert "December fifth" in heard.said  # and its due date
    assert "To pay now by card, press 1." in heard.said
    assert call_row(line, caller.call_sid).state == S.PAY_NOW
    heard = caller.say(heard, "from my bank account")
    assert call_row(line, caller.call_sid).state == S.BANK_TYPE
    assert "For checking, press 1." in heard.said


@pytest.mark.parametrize("words", ["pay my bill", "the full amount", "I want to pay it all"])
def test_wanting_to_pay_without_saying_how_hears_the_offer_again(line: Flask,
                                                                 words: str) -> None:
    caller, offer = walk(line, "CA" + "e1" * 16, PATHS[S.PAY_NOW])
    heard = caller.say(offer, words)
    assert "Sorry" not in heard.said and "To pay now by card, press 1." in heard.said
    assert call_row(line, caller.call_sid).state == S.PAY_NOW
    assert state_of(line, caller.call_sid).prompt_failures == 0
    assert "the full amount" in hints(offer) and "pay my bill" in hints(offer)


def test_the_key_may_be_said_and_star_repeats(line: Flask) -> None:
    caller, menu = walk(line, "CA" + "1" * 32, PATHS[S.MAIN_MENU])
    again = caller.say(menu, "say that again")
    assert "To make a payment, press 2." in again.said and "Sorry" not in again.said
    caller.say(again, "press two")
    assert call_row(line, caller.call_sid).state == S.PAY_NOW


@pytest.mark.parametrize("words", ["pay my bill", "the weather tomorrow"])
def test_words_unsure_or_unmatched_are_asked_again_mentioning_the_keypad(
        line: Flask, words: str) -> None:
    caller, menu = walk(line, "CA" + "2" * 32, PATHS[S.MAIN_MENU])
    confidence = "0.31" if words == "pay my bill" else "0.95"
    heard = caller.say(menu, words, confidence=confidence)
    assert UNCLEAR in heard.said and "To make a payment, press 2." in heard.said
    assert call_row(line, caller.call_sid).state == S.MAIN_MENU
    assert state_of(line, caller.call_sid).prompt_failures == 1


def test_confidence_at_the_threshold_or_not_given_is_enough(line: Flask) -> None:
    caller, menu = walk(line, "CA" + "3" * 32, PATHS[S.MAIN_MENU])
    assert UNCLEAR not in caller.say(menu, "balance", confidence="0.5").said
    caller, menu = walk(line, "CA" + "4" * 32, PATHS[S.MAIN_MENU])
    heard = caller.post(menu.action, SpeechResult="balance")
    assert "one hundred twenty dollars and forty-five cents" in heard.said  # the balance


def test_an_amount_said_is_taken_as_keyed(line: Flask) -> None:
    caller, amount = walk(line, "CA" + "5" * 32, PATHS[S.PAY_OTHER_AMOUNT])
    assert "You are paying fifty dollars and twenty-five cents." in \
        caller.say(amount, "fifty dollars and twenty five cents").said
    caller, amount = walk(line, "CA" + "6" * 32, PATHS[S.PAY_OTHER_AMOUNT])
    too_much = caller.say(amount, "$500")
    assert "more than your balance" in too_much.said
    assert UNCLEAR in caller.say(too_much, "fifty twenty five").said  # which amount?


def test_an_account_number_said_is_looked_up(line: Flask) -> None:
    caller = TwilioCaller(line, call_sid="CA" + "7" * 32, caller="+16505550123")
    question = caller.start()
    assert question.gather is not None and question.gather.get("input") == "dtmf speech"
    pin = caller.say(question, f"my account number is {JORDAN_NUMBER_WORDS}")
    assert "Enter your PIN. Please use your keypad." in pin.said
    assert pin.gather is not None and pin.gather.get("input") == "dtmf"
    assert state_of(line, caller.call_sid).spoken


def test_keypad_only_prompts_say_so_to_a_caller_who_has_spoken(line: Flask) -> None:
    caller, menu = walk(line, "CA" + "8" * 32, PATHS[S.CONFIRM_ACCOUNT])
    assert "keypad" not in caller.press(menu, "1").said  # keys so far: nothing to say
    caller, menu = walk(line, "CA" + "9" * 32, PATHS[S.CONFIRM_ACCOUNT])
    pin = caller.say(menu, "yes, that's me")
    assert "Please use your keypad." in pin.said


def test_words_are_neither_logged_nor_kept(line: Flask, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG")
    spoken = "my card is 5555 5555 5555 4444 and my pin is 1 0 1 5"
    caller, menu = walk(line, "CA" + "0" * 32, PATHS[S.MAIN_MENU])
    heard = caller.say(menu, spoken)
    assert UNCLEAR in heard.said
    row = call_row(line, caller.call_sid)
    kept = f"{row.flow_state} {row.last_response} {row.state}"
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for text in (kept, logged):
        for piece in ("5555 5555", "5555555555554444", "4444", "card is", "1 0 1 5"):
            assert piece not in text


def test_slower_is_offered_once_at_the_greeting_inside_its_question(line: Flask) -> None:
    caller = TwilioCaller(line, call_sid="CA" + "a1" * 16)
    greeting = caller.start()
    assert greeting.gather is not None
    said = [say.text for say in greeting.gather.iter("Say")]
    assert said.count("For slower prompts, press 8.") == 1
    later = caller.press(caller.press(greeting, "1"), PIN)
    assert "slower" not in later.said and "press 8" not in later.said


def _spoken_slowly(answer: Answer) -> bool:
    """Every <Say> speaks its words inside <prosody rate="80%">, and none outside."""
    says = list(answer.root.iter("Say"))
    return bool(says) and all(
        not (say.text or "").strip() and [child.tag for child in say] == ["prosody"]
        and say[0].get("rate") == "80%" and (say[0].text or "").strip() for say in says)


def _timeouts(gather: ET.Element | None) -> tuple[int, int]:
    assert gather is not None
    return int(gather.get("timeout", "0")), int(gather.get("speechTimeout", "0"))


def test_pressing_8_slows_the_rest_of_the_call(line: Flask) -> None:
    caller = TwilioCaller(line, call_sid="CA" + "b2" * 16)
    greeting = caller.start()
    assert not any(say.find("prosody") is not None for say in greeting.root.iter("Say"))
    normal = _timeouts(greeting.gather)
    slower = caller.press(greeting, "8")
    assert "Okay, I will speak more slowly." in slower.said
    assert "For the account ending in 1 2 3 4, press 1." in slower.said
    assert _spoken_slowly(slower)
    assert _timeouts(slower.gather) == (normal[0] + 5, normal[1] + 1)
    pin = caller.press(slower, "1")
    assert _spoken_slowly(pin) and _timeouts(pin.gather)[0] == 10 + 5
    menu = caller.press(pin, PIN)
    amount = caller.press(caller.press(menu, OTHER_AMOUNT[0]), OTHER_AMOUNT[1])
    assert _spoken_slowly(menu) and _spoken_slowly(amount)
    assert _timeouts(amount.gather) == (10 + 5, 3 + 1)
    assert state_of(line, caller.call_sid).slower
    goodbye = caller.press(caller.press(amount, "*"), "9")
    assert _spoken_slowly(goodbye) and goodbye.verbs()[-1] == "Hangup"


def test_8_at_the_account_number_question_slows_and_asks_it_again(line: Flask) -> None:
    caller = TwilioCaller(line, call_sid="CA" + "c3" * 16, caller="+16505550123")
    again = caller.press(caller.start(), "8")
    assert "Okay, I will speak more slowly." in again.said and _spoken_slowly(again)
    assert "Enter your account number" in again.said
    assert call_row(line, caller.call_sid).state == S.ACCOUNT_NUMBER
    assert "Enter your PIN." in caller.press(again, "10001234").said


@pytest.mark.parametrize("confidence", ["abc", "nan", "inf", "9" * 5000])
def test_a_confidence_that_is_not_a_number_is_no_confidence(line: Flask,
                                                            confidence: str) -> None:
    caller = TwilioCaller(line, call_sid="CA" + "c7" * 16)
    answer = caller.press(caller.start(), "1")
    answer = caller.press(answer, PIN)
    heard = caller.say(answer, "more options", confidence=confidence)
    assert heard.status == 200 and UNCLEAR in heard.said
