"""What the call log keeps of each input: the keys and words, never a secret's digits."""

from __future__ import annotations

import pytest

from flows.capture import CaptureKind, CaptureReport
from flows.logged import LoggedInput, logged_input
from flows.recording import RecordingReport
from flows.spec import Entry, Menu
from flows.state import CallState, Event, Step
from flows.table import STEPS
from tests.fake_ports import FakePorts
from tests.flow_helpers import verified

EN = "en-US"
SECRET_STEPS = sorted(step for step, spec in STEPS.items()
                      if isinstance(spec, Entry) and spec.secret is not None)


def test_every_number_a_caller_keeps_to_themselves_is_declared_secret() -> None:
    assert set(SECRET_STEPS) == {
        Step.ACCOUNT_NUMBER, Step.PIN, Step.CARD_NUMBER, Step.CARD_EXPIRY, Step.CARD_CODE,
        Step.CARD_ZIP, Step.BANK_ROUTING, Step.BANK_ACCOUNT, Step.BANK_ACCOUNT_AGAIN,
        Step.CALLBACK_ENTRY}


@pytest.mark.parametrize("step", SECRET_STEPS)
def test_a_secret_is_kept_as_its_kind_and_length(step: Step) -> None:
    digits = "4242424242424242"
    logged = logged_input(step, Event(digits), step, EN)
    secret = STEPS[step].secret  # type: ignore[attr-defined]
    assert logged == LoggedInput("entry", f"<{secret}, 16 digits>")
    assert "4242" not in str(logged.entry)


def test_pins_and_card_numbers_read_as_an_operator_expects() -> None:
    assert logged_input(Step.PIN, Event("2468"), Step.PAY_NOW, EN).entry == "<PIN, 4 digits>"
    assert logged_input(Step.CARD_CODE, Event("7"), Step.CARD_CODE, EN).entry == \
        "<security code, 1 digit>"


def test_an_account_number_is_kept_only_when_it_matched_an_account() -> None:
    found = logged_input(Step.ACCOUNT_NUMBER, Event("10001234"), Step.PIN, EN)
    unknown = logged_input(Step.ACCOUNT_NUMBER, Event("99999999"), Step.ACCOUNT_NUMBER, EN)
    too_many = logged_input(Step.ACCOUNT_NUMBER, Event("99999999"), Step.ENDED, EN)
    assert found.entry == "10001234"
    assert unknown.entry == too_many.entry == "<account number, 8 digits>"


@pytest.mark.parametrize(("step", "key"), [(Step.CARD_NUMBER, "*"), (Step.ACCOUNT_NUMBER, "9"),
                                           (Step.ACCOUNT_NUMBER, "8"), (Step.PIN, "*")])
def test_keys_the_machine_reads_itself_are_kept_so_a_replay_can_press_them(
        step: Step, key: str) -> None:
    assert logged_input(step, Event(key), step, EN).entry == key


def test_a_lone_9_or_8_at_a_pin_is_part_of_a_pin() -> None:
    assert logged_input(Step.PIN, Event("9"), Step.PIN, EN).entry == "<PIN, 1 digit>"


def test_a_menu_key_is_kept_and_a_number_keyed_at_a_menu_is_not() -> None:
    assert logged_input(Step.MAIN_MENU, Event("3"), Step.NEXT_STEPS, EN) == \
        LoggedInput("key", "3")
    assert logged_input(Step.MAIN_MENU, Event("4242424242424242"), Step.MAIN_MENU, EN) == \
        LoggedInput("key", "<keys, 16 digits>")


def test_words_are_kept_unless_they_hold_a_number_or_answer_a_secret() -> None:
    def said(step: Step, words: str, after: Step) -> str | None:
        return logged_input(step, Event(None, speech=words), after, EN).entry

    assert said(Step.PAY_NOW, "pay by card", Step.CARD_NUMBER) == "pay by card"
    assert said(Step.PAY_NOW, "my card is four two four two", Step.PAY_NOW) == \
        "<words with a number, 7 words>"
    assert said(Step.PAY_OTHER_AMOUNT, "fifty dollars and twenty five cents", Step.PAY_WHEN) \
        == "fifty dollars and twenty five cents"
    assert said(Step.PAY_OTHER_AMOUNT, "five one zero five one zero five one zero five",
                Step.PAY_OTHER_AMOUNT) == "<words with a number, 10 words>"
    assert said(Step.PAY_OTHER_AMOUNT, "my card is 4 2 4 2", Step.PAY_OTHER_AMOUNT) == \
        "<words with a number, 7 words>"
    assert said(Step.ACCOUNT_NUMBER, "one two three", Step.ACCOUNT_NUMBER) == \
        "<account number, said in 3 words>"
    assert said(Step.ACCOUNT_NUMBER, "one zero zero zero one two three four", Step.PIN) == \
        "one zero zero zero one two three four"


def test_every_other_kind_of_input_is_named() -> None:
    captured = Event(None, captured=CaptureReport(CaptureKind.SUCCESS, brand="Visa",
                                                  last4="4242", token="tok_1"))
    recorded = Event(None, recording=RecordingReport("RE1", "https://x/RE1", 12))
    assert logged_input(None, None, Step.PIN, EN) == LoggedInput("start")
    assert logged_input(Step.CARD_CAPTURE, captured, Step.AFTER_PAYMENT, EN) == \
        LoggedInput("pay", "success Visa")
    assert logged_input(Step.DISPUTE_RECORD, recorded, Step.DISPUTE_DONE, EN) == \
        LoggedInput("recording", "<message, 12 seconds>")
    assert logged_input(Step.MAIN_MENU, Event(None), Step.MAIN_MENU, EN) == \
        LoggedInput("silence")
    assert logged_input(Step.CHARGING, Event(None), Step.AFTER_PAYMENT, EN) == \
        LoggedInput("hold")


def test_a_key_named_by_voice_is_kept_so_a_replay_can_say_it() -> None:
    def said(words: str) -> str | None:
        return logged_input(Step.PAY_NOW, Event(None, speech=words), Step.PAY_CHOICE, EN).entry

    assert said("press three") == "press three"
    assert said("press three four") == "<words with a number, 3 words>"


def test_a_turn_notes_the_steps_it_moved_to_and_the_option_chosen(ports: FakePorts) -> None:
    caller = verified(ports)  # at the offer to pay now
    caller.say("more options")
    assert (caller.state.moved, caller.state.chosen) == (["main_menu"], "next option.more")
    caller.press("*")  # the menu again: no move, no option
    assert (caller.state.moved, caller.state.chosen) == ([], None)


def test_the_notes_on_a_turn_are_never_saved() -> None:
    state = CallState(call_sid="CA1", moved=["pin"], chosen="1 option.this_account")
    saved = state.to_dict()
    assert "moved" not in saved and "chosen" not in saved
    restored = CallState.from_dict({**saved, "moved": ["pin"], "chosen": "x"})
    assert (restored.moved, restored.chosen) == ([], None)


def test_every_menu_option_has_a_name_of_its_own_in_its_menu() -> None:
    # The call log and coverage tell options apart by name.
    for step, spec in STEPS.items():
        if isinstance(spec, Menu):
            names = [choice.name for choice in spec.options]
            assert len(set(names)) == len(names), step
    # <Dial>'s report that no agent took the call: the caller was not silent, they waited.
    assert logged_input(Step.AGENT, Event(None), Step.CALLBACK_OFFER, EN) == \
        LoggedInput("unanswered")


@pytest.mark.parametrize("step", [Step.PAY_OTHER_AMOUNT, Step.SCHEDULE_DATE, Step.ARRANGE_DATE])
def test_a_card_number_keyed_at_a_question_that_is_no_secret_is_not_kept(step: Step) -> None:
    logged = logged_input(step, Event("4242424242424242"), step, EN)
    assert logged == LoggedInput("entry", "<keys, 16 digits>")


def test_an_amount_or_a_date_keyed_is_kept_as_it_is() -> None:
    assert logged_input(Step.PAY_OTHER_AMOUNT, Event("1234567*89"), Step.PAY_WHEN, EN).entry \
        == "1234567*89"
    assert logged_input(Step.SCHEDULE_DATE, Event("1205"), Step.PAY_METHOD, EN).entry == "1205"


def test_a_number_said_at_the_amount_question_is_kept_only_when_it_is_an_amount() -> None:
    def said(words: str, language: str = EN) -> str | None:
        step = Step.PAY_OTHER_AMOUNT
        return logged_input(step, Event(None, speech=words), step, language).entry

    assert said("fifty dollars and twenty five cents") == "fifty dollars and twenty five cents"
    assert said("cincuenta dólares", "es-US") == "cincuenta dólares"
    card = "four two four two four two four two four two four two four two four two"
    assert said(card) == "<words with a number, 16 words>"
    assert said("4242 4242 4242 4242 dollars") == "<words with a number, 5 words>"
    assert said("my card is 4242424242424242") == "<words with a number, 4 words>"


def test_a_number_said_in_another_of_the_lines_languages_is_not_kept() -> None:
    assert logged_input(Step.MAIN_MENU, Event(None, speech="my pin is two four six eight"),
                        Step.MAIN_MENU, "es-US").entry == "<words with a number, 7 words>"
    assert logged_input(Step.MAIN_MENU, Event(None, speech="mi pin es dos cuatro seis ocho"),
                        Step.MAIN_MENU, EN).entry == "<words with a number, 7 words>"


def test_one_word_said_is_one_word() -> None:
    assert logged_input(Step.ACCOUNT_NUMBER, Event(None, speech="nine"), Step.ACCOUNT_NUMBER,
                        EN).entry == "<account number, said in 1 word>"
    assert logged_input(Step.MAIN_MENU, Event(None, speech="twelve"), Step.MAIN_MENU,
                        EN).entry == \
        "<words with a number, 1 word>"
