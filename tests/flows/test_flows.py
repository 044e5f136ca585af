"""The call state machine as data in, decision out: no Flask, no Twilio, no database."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import date

import pytest

from flows import machine
from flows.cards import Brand
from flows.context import Context
from flows.draft import CardEntry
from flows.keys import BACK
from flows.ports import FlowSettings, PaymentRecord
from flows.state import CallState, EndKind, Event, Reply, Step
from tests.fake_ports import FakePorts
from tests.flow_helpers import (
    NOW_BY_CARD,
    OTHER,
    TODAY,
    TODAY_NEW_CARD,
    VISA,
    Caller,
    at_main_menu,
    verified,
)
from tests.menu_helpers import OTHER_AMOUNT


def test_caller_id_match_offers_the_account_by_its_last_four_digits(ports: FakePorts) -> None:
    caller = Caller(ports)
    assert caller.state.step is Step.CONFIRM_ACCOUNT
    assert "For the account ending in 1 2 3 4, press 1." in caller.text


@pytest.mark.parametrize("number", ["+13125550142", "+16505550000", None])
def test_no_single_caller_id_match_asks_for_the_account_number(
        ports: FakePorts, number: str | None) -> None:
    caller = Caller(ports, caller=number)
    assert caller.state.step is Step.ACCOUNT_NUMBER
    assert "Enter your account number, then press pound." in caller.text


def test_unknown_account_number_is_not_read_back(ports: FakePorts) -> None:
    caller = Caller(ports, caller=None)
    text = caller.press("99999")
    assert "Sorry, we could not find that account number. Please check it and try" in text
    assert "9 9" not in text
    assert caller.state.step is Step.ACCOUNT_NUMBER


def test_choosing_a_different_account_then_its_pin(ports: FakePorts) -> None:
    caller = Caller(ports)
    caller.press_all("2", "20005678", "5678")
    assert caller.state.verified and caller.state.account_id == 2


def test_nothing_about_the_account_is_spoken_before_the_pin(ports: FakePorts) -> None:
    caller = Caller(ports)
    caller.press_all("1", "0000", "1111")
    before_pin = " ".join(caller.heard)
    for secret in ("dollars", "balance", "due", "jordan", "paid"):
        assert secret not in before_pin.lower()


def test_three_wrong_pins_end_the_call(ports: FakePorts) -> None:
    caller = Caller(ports)
    caller.press_all("1", "0000", "1111")
    assert "PIN is not correct" in caller.text
    caller.press("2222")
    assert caller.reply.end is EndKind.HANGUP
    assert "cannot continue" in caller.text and "Goodbye" in caller.text
    assert caller.state.step is Step.ENDED


def test_three_wrong_pins_transfer_when_an_agent_is_configured(ports: FakePorts) -> None:
    caller = Caller(ports, agent=True)
    caller.press_all("1", "0000", "1111", "2222")
    assert caller.reply.end is EndKind.TRANSFER
    assert "connect you to an agent" in caller.text


def test_wrong_pins_are_counted_per_call_across_accounts(ports: FakePorts) -> None:
    caller = Caller(ports)
    caller.press_all("1", "0000", "1111")
    assert caller.state.pin_failures == 2
    caller.press("1234")
    assert caller.state.verified


def test_locked_account_ends_without_details(ports: FakePorts) -> None:
    ports.locked.add(1)
    caller = Caller(ports)
    caller.press_all("1", "1234")
    assert caller.reply.end is EndKind.HANGUP
    assert "this account is locked for 30 minutes" in caller.text
    assert "Customer service can unlock it sooner." in caller.text
    assert "balance" not in caller.text


def test_a_throttled_caller_id_is_told_and_transferred(ports: FakePorts) -> None:
    ports.throttled_callers.add("+14155550100")
    caller = Caller(ports, agent=True)
    caller.press_all("1", "1234")
    assert caller.reply.end is EndKind.TRANSFER
    assert "cannot check more PINs from this phone right now" in caller.text


def test_short_pin_is_a_format_error_not_a_wrong_pin(ports: FakePorts) -> None:
    caller = Caller(ports)
    caller.press_all("1", "12")
    assert "PIN has 4 digits" in caller.text
    assert caller.state.pin_failures == 0


def test_menus_say_each_option_as_to_something_press_n(ports: FakePorts) -> None:
    caller = at_main_menu(ports, agent=True)
    sentences = [s.strip() for s in re.split(r"(?<=\.)\s", caller.text) if "press" in s]
    assert len(sentences) == 7  # seven options ("to repeat" was said at the first menu)
    for sentence in sentences:
        assert re.fullmatch(r"To [^,]+, press (\d|star)\.", sentence), sentence
    assert "To speak with an agent, press 0." in caller.text


def test_no_agent_option_without_an_agent_number(ports: FakePorts) -> None:
    caller = at_main_menu(ports)
    assert "agent" not in caller.text
    assert "not one of the options" in caller.press("0")


def test_the_pin_is_followed_by_the_balance_and_the_offer_to_pay_it_now(
        ports: FakePorts) -> None:
    caller = Caller(ports)
    caller.press("1")
    text = caller.press("1234")
    # "To repeat" was said at the first menu of the call; not again here.
    assert text == ("You owe one hundred twenty dollars and forty-five cents, "
                    "due December fifth. To pay now by card, press 1. "
                    "By bank account, press 2. For other amounts or dates, press 3. "
                    "For more options, press 4.")


def test_the_balance_from_the_main_menu_leads_to_paying_it(ports: FakePorts) -> None:
    caller = at_main_menu(ports)
    text = caller.press("1")
    assert text.startswith("You owe one hundred twenty dollars and forty-five cents")
    assert "To pay now by card, press 1." in text and "To repeat" not in text
    assert caller.state.step is Step.PAY_NOW


def test_past_due_balance_is_said_plainly(ports: FakePorts) -> None:
    caller = Caller(ports, caller="+12125550199")
    caller.press("1")
    text = caller.press("5678")
    assert "was due on November first. It is now past due." in text
    assert "For a different amount, press 3." in text  # it cannot be paid later


@pytest.mark.parametrize(("balance", "held", "says"), [
    (0, 0, "Your balance is zero dollars. Nothing is due."),
    (-500, 0, "Your account has a credit of five dollars. Nothing is due."),
    (12045, 12045, "We are still confirming a payment of one hundred twenty dollars"),
])
def test_nothing_to_pay_gets_the_main_menu_without_paying(
        ports: FakePorts, monkeypatch: pytest.MonkeyPatch, balance: int, held: int,
        says: str) -> None:
    ports.accounts[1] = replace(ports.accounts[1], balance_cents=balance)
    hold(ports, monkeypatch, held)
    caller = Caller(ports)
    caller.press("1")
    text = caller.press("1234")
    assert says in text and caller.state.step is Step.MAIN_MENU
    assert not re.search(r"make a payment|pay now|pay it", text)  # no offer to pay nothing
    assert "To hear your recent payments, press 3." in text


def hold(ports: FakePorts, monkeypatch: pytest.MonkeyPatch, cents: int) -> None:
    """Account 1 as if a payment of ``cents`` were still being confirmed."""
    looked_up = ports.get_account
    monkeypatch.setattr(ports, "get_account",
                        lambda account_id: replace(looked_up(account_id), held_cents=cents))


def test_part_of_a_balance_being_confirmed_offers_the_rest(
        ports: FakePorts, monkeypatch: pytest.MonkeyPatch) -> None:
    hold(ports, monkeypatch, 2045)
    caller = Caller(ports)
    caller.press("1")
    text = caller.press("1234")
    assert "We are still confirming a payment of twenty dollars and forty-five cents." in text
    assert "You can pay one hundred dollars now. To pay now by card, press 1." in text
    caller.press_all(NOW_BY_CARD, VISA, "1230", "123", "94105", "1")
    assert ports.charges[0].amount_cents == 10000


def test_star_repeats_the_menu_without_counting_a_failure(ports: FakePorts) -> None:
    caller = at_main_menu(ports)
    caller.press(None)
    menu = caller.press("*")
    assert menu.startswith("To hear your balance")
    assert caller.state.prompt_failures == 0


def test_the_offer_to_repeat_is_said_at_the_first_menu_and_after_a_wrong_answer(
        ports: FakePorts) -> None:
    caller = Caller(ports)
    assert caller.text.endswith("To repeat, press star.")
    assert caller.press("*").endswith("For another account, press 2.")
    assert caller.press("5").endswith("To repeat, press star.")  # not an option: said again
    caller.press_all("1", "1234")
    assert caller.text.endswith("For more options, press 4.")  # the next menu: not again
    assert caller.press(None).endswith("To repeat, press star.")  # silence: said again
    assert "To repeat" not in caller.press("*")
    assert caller.state.hints_said == ["repeat"]


def test_history_lists_the_last_three_payments(ports: FakePorts) -> None:
    ports.history[1] = [
        PaymentRecord(date(2026, 10, 5), 9500, "card", "Visa", "4242"),
        PaymentRecord(date(2026, 9, 4), 11020, "bank"),
        PaymentRecord(date(2026, 8, 6), 10100, "check"),
        PaymentRecord(date(2026, 7, 6), 10000, "check"),
    ]
    caller = at_main_menu(ports)
    text = caller.press("3")
    assert ("On October fifth, ninety-five dollars, "
            "paid with the Visa card ending in 4 2 4 2.") in text
    assert "On September fourth, one hundred ten dollars and twenty cents, by bank account." in text
    assert "On August sixth, one hundred one dollars, by check." in text
    assert "July" not in text
    assert text.endswith("To pay your balance now, press 1. For more options, press 2.")
    assert "To pay now by card" in caller.press("1")


def test_empty_history(ports: FakePorts) -> None:
    assert "no payments on record" in at_main_menu(ports).press("3")


def test_paying_the_full_balance(ports: FakePorts) -> None:
    caller = verified(ports)
    text = caller.press_all(NOW_BY_CARD, VISA, "1230", "123", "94105")
    assert ("paying one hundred twenty dollars and forty-five cents "
            "with the Visa card ending in 4 2 4 2") in text
    text = caller.press("1")
    assert "has been approved" in text
    assert "confirmation number is 1 2 3 4 5, 6 7 8 9 0" in text
    assert "text message" in text
    assert text.endswith("To hear it again, press 1. For more options, press 2. "
                         "To keep this card on file, press 3.")
    [charge] = ports.charges
    assert charge.amount_cents == 12045 and charge.source.postal_code == ""
    assert charge.idempotency_key == "CA1-1" and charge.notify_number == "+14155550100"


def test_card_number_and_code_never_enter_the_saved_state(ports: FakePorts) -> None:
    caller = verified(ports)
    caller.press_all(NOW_BY_CARD, VISA, "1230", "987")
    saved = json.dumps(caller.state.to_dict())
    assert VISA not in saved and "987" not in saved
    # Held by the ports (the card store, encrypted, in the app) for this call instead.
    assert ports.held["CA1"] == {"number": VISA, "expiry_mmyy": "1230", "security_code": "987"}
    assert caller.state.payment.method == CardEntry(Brand.VISA, "4242")


def test_other_amount_keyed_with_star(ports: FakePorts) -> None:
    caller = verified(ports)
    assert "You are paying ten dollars and fifty cents." in caller.press_all(*OTHER_AMOUNT, "10*50")
    assert caller.state.payment.amount_cents == 1050


@pytest.mark.parametrize(("keys", "cents"), [("10", 1000), ("10*05", 1005), ("120*45", 12045)])
def test_amount_forms(ports: FakePorts, keys: str, cents: int) -> None:
    caller = verified(ports)
    caller.press_all(*OTHER_AMOUNT, keys)
    assert caller.state.payment.amount_cents == cents


@pytest.mark.parametrize(("keys", "says"), [
    ("10*5", "cents as two digits"),
    ("*50", "not an amount"),
    ("0*50", "less than the smallest payment we can take, which is one dollar"),
    ("120*46", "more than your balance of one hundred twenty dollars and forty-five cents"),
])
def test_amounts_refused_with_the_reason(ports: FakePorts, keys: str, says: str) -> None:
    caller = verified(ports)
    assert says in caller.press_all(*OTHER_AMOUNT, keys)
    assert caller.state.step is Step.PAY_OTHER_AMOUNT and caller.state.draft is None


def test_minimum_is_configurable(ports: FakePorts) -> None:
    caller = verified(ports, minimum=2000)
    assert "which is twenty dollars" in caller.press_all(*OTHER_AMOUNT, "19*99")


def test_zero_balance_has_nothing_to_pay(ports: FakePorts) -> None:
    caller = Caller(ports, caller=None)
    assert "Nothing is due." in caller.press_all("40007890", "7890")
    assert "make a payment" not in caller.text
    assert "not one of the options" in caller.press("2")
    assert caller.state.step is Step.MAIN_MENU


@pytest.mark.parametrize(("card", "says"), [
    ("4242424242424241", "card number is not valid"),
    ("3530111333300000", "accept only Visa, Mastercard, American Express and Discover"),
    ("12", "card number is not valid"),
])
def test_bad_card_numbers(ports: FakePorts, card: str, says: str) -> None:
    caller = verified(ports)
    assert says in caller.press_all(NOW_BY_CARD, card)
    assert caller.state.step is Step.CARD_NUMBER


def test_expired_card_goes_back_to_the_card_number(ports: FakePorts) -> None:
    caller = verified(ports)
    text = caller.press_all(NOW_BY_CARD, VISA, "1026")
    assert "card has expired" in text and "Enter the card number" in text
    assert caller.state.payment.method is None


def test_card_valid_through_its_expiry_month(ports: FakePorts) -> None:
    caller = verified(ports)
    caller.press_all(NOW_BY_CARD, VISA, "1126")
    assert caller.state.step is Step.CARD_CODE


def test_invalid_expiry_month(ports: FakePorts) -> None:
    text = verified(ports).press_all(NOW_BY_CARD, VISA, "1330")
    assert "not a valid expiration date" in text


def test_amex_asks_for_four_digits_on_the_front(ports: FakePorts) -> None:
    caller = verified(ports)
    text = caller.press_all(NOW_BY_CARD, "378282246310005", "1230")
    assert "4 digit security code on the front" in text
    assert caller.reply.ask is not None and caller.reply.ask.num_digits == 4
    assert "American Express card has 4 digits" in caller.press("123#")


@pytest.mark.parametrize(("card", "says"), [
    ("4000000000000002", "card issuer declined"),
    ("4000000000009995", "insufficient funds"),
])
def test_declines_say_why_and_offer_another_card(ports: FakePorts, card: str, says: str) -> None:
    caller = verified(ports)
    text = caller.press_all(*OTHER_AMOUNT, "50", *TODAY_NEW_CARD, card, "1230", "123", "94105", "1")
    assert says in text and "No payment was taken" in text
    assert "To try a different card or a bank account, press 1." in text
    assert "You are paying fifty dollars." in caller.press("1")
    assert caller.state.step is Step.PAY_METHOD and caller.state.payment.amount_cents == 5000
    caller.press_all("1", VISA, "1230", "123", "94105", "1")
    assert [c.idempotency_key for c in ports.charges] == ["CA1-1", "CA1-2"]


def test_cancelling_at_the_read_back_takes_nothing(ports: FakePorts) -> None:
    caller = verified(ports)
    text = caller.press_all(NOW_BY_CARD, VISA, "1230", "123", "94105", "2")
    assert "No payment was taken" in text
    assert ports.charges == [] and caller.state.step is Step.MAIN_MENU


def test_three_silences_end_the_call_politely(ports: FakePorts) -> None:
    caller = Caller(ports)
    assert "didn't hear anything" in caller.press(None)
    caller.press(None)
    caller.press(None)
    assert caller.reply.end is EndKind.HANGUP
    assert "trouble with your entries" in caller.text


def test_three_failures_transfer_when_an_agent_is_configured(ports: FakePorts) -> None:
    caller = Caller(ports, agent=True)
    caller.press_all("7", "6", "5")
    assert caller.reply.end is EndKind.TRANSFER


def test_a_good_entry_resets_the_failure_count(ports: FakePorts) -> None:
    caller = Caller(ports)
    caller.press_all("7", "6", "1", "12", "34")
    assert caller.reply.end is None


def test_agent_and_end_call_from_the_main_menu(ports: FakePorts) -> None:
    assert at_main_menu(ports, agent=True).press("0") and True
    caller = at_main_menu(ports)
    assert "Goodbye" in caller.press(BACK)
    assert caller.reply.end is EndKind.HANGUP
    assert machine.handle(caller.state, Event("1"), caller.ctx).end is EndKind.HANGUP


def test_unverified_state_cannot_reach_account_steps(ports: FakePorts) -> None:
    state = CallState(call_sid="CA1", step=Step.MAIN_MENU, account_id=1)
    ctx = Context(ports, FlowSettings(TODAY))
    with pytest.raises(machine.FlowError):
        machine.handle(state, Event("1"), ctx)


def test_state_survives_a_round_trip_through_json(ports: FakePorts) -> None:
    caller = verified(ports)
    caller.press_all(*OTHER_AMOUNT, "10*50", *TODAY_NEW_CARD)
    restored = CallState.from_dict(json.loads(json.dumps(caller.state.to_dict())))
    assert restored == caller.state
    reply: Reply = machine.handle(restored, Event(VISA), caller.ctx)
    assert restored.step is Step.CARD_EXPIRY and reply.ask is not None


@pytest.mark.parametrize("keys", [
    OTHER_AMOUNT,                             # at the amount
    (NOW_BY_CARD,),                           # at the card number
    (NOW_BY_CARD, VISA),                      # at the expiry
    (NOW_BY_CARD, VISA, "1230"),              # at the security code
    (NOW_BY_CARD, VISA, "1230", "123"),       # at the ZIP code
    (OTHER, "2"),                             # at the schedule date
])
def test_a_lone_star_cancels_the_payment_during_entry(ports: FakePorts,
                                                      keys: tuple[str, ...]) -> None:
    caller = verified(ports)
    caller.press_all(*keys)
    assert caller.state.step in machine.CANCELLABLE_STEPS
    text = caller.press("*")
    assert "The payment was cancelled. No payment was taken." in text
    assert caller.state.step is Step.MAIN_MENU
    assert caller.state.draft is None  # neither an amount nor a method is kept
    assert ports.charges == []


def test_the_first_entry_of_a_payment_offers_to_cancel_once_a_call(ports: FakePorts) -> None:
    caller = verified(ports)
    assert caller.press_all(*OTHER_AMOUNT).endswith("To cancel, press star.")
    caller = verified(ports)
    assert caller.press(NOW_BY_CARD).endswith("Enter the card number, then press pound. "
                                              "To cancel, press star.")
    assert "cancel" not in caller.press(VISA)  # star still cancels: see above
    caller.press("*")
    caller.choose("make a payment")
    assert "cancel" not in caller.press(NOW_BY_CARD)


def test_a_restored_state_never_changes_the_data_it_came_from(ports: FakePorts) -> None:
    caller = Caller(ports, caller="+12125550199")  # past due: offered an arrangement
    caller.press_all("1", "5678")
    caller.choose("more options")
    caller.press_all("5", "2", "1201")
    saved = caller.state.to_dict()
    kept = json.loads(json.dumps(saved))
    state = CallState.from_dict(saved)
    machine.handle(state, Event("1215"), caller.ctx)
    assert state.payment.plan.dates == (date(2026, 12, 1), date(2026, 12, 15))
    assert saved == kept
