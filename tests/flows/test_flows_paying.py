"""Every way to pay, as data in and decision out: bank accounts, methods on file,
scheduled payments, AutoPay, arrangements and the convenience fee."""

from __future__ import annotations

import json
from datetime import date

import pytest

from flows.ports import SavedMethod, ScheduledPayment
from flows.spec import Menu
from flows.state import Step
from flows.table import STEPS
from tests.fake_ports import FakePorts
from tests.flow_helpers import (
    NOW_BY_BANK,
    NOW_BY_CARD,
    OTHER,
    VISA,
    Caller,
    at_main_menu,
    verified,
)

ROUTING = "110000000"
BANK_ACCOUNT = "000123456789"
FULL_LATER = (OTHER, "2")  # the full balance, on a later date


def past_due(ports: FakePorts) -> Caller:
    """Account 20005678 (past due, no bank debits: no payer named), verified."""
    caller = Caller(ports, caller="+12125550199")
    caller.press_all("1", "5678")
    return caller


def past_due_menu(ports: FakePorts) -> Caller:
    """Account 20005678, at the main menu."""
    caller = past_due(ports)
    caller.choose("more options")
    return caller


def test_bank_account_payment_reads_the_authorisation_and_keeps_no_number(
        ports: FakePorts) -> None:
    caller = verified(ports)
    assert "By bank account, press 2." in caller.text
    caller.press_all(NOW_BY_BANK, "1", ROUTING, BANK_ACCOUNT)
    assert BANK_ACCOUNT not in json.dumps(caller.state.to_dict())
    text = caller.press(BANK_ACCOUNT)
    assert "with the checking account ending in 6 7 8 9" in text
    assert ("Jordan Rivera, authorize the biller to make a one-time electronic debit of one "
            "hundred twenty dollars and forty-five cents from the checking account ending in "
            "6 7 8 9 on or after November twenty-first.") in text
    assert "To authorize this debit, press 1." in text
    assert BANK_ACCOUNT not in json.dumps(caller.state.to_dict())
    text = caller.press("1")
    assert "has been submitted" in text and "2 to 3 business days" in text
    [order] = ports.orders
    assert order.source.kind == "bank" and order.source.last4 == "6789"
    assert order.authorization_text and "one-time electronic debit" in order.authorization_text


@pytest.mark.parametrize(("routing", "says"), [
    ("11000000", "a routing number has 9 digits"),
    ("110000001", "that routing number is not valid"),
])
def test_bad_routing_numbers(ports: FakePorts, routing: str, says: str) -> None:
    caller = verified(ports)
    assert says in caller.press_all(NOW_BY_BANK, "1", routing)
    assert caller.state.step is Step.BANK_ROUTING


def test_mismatched_account_numbers_are_asked_again(ports: FakePorts) -> None:
    caller = verified(ports)
    text = caller.press_all(NOW_BY_BANK, "2", ROUTING, BANK_ACCOUNT, "000123456788")
    assert "the two account numbers did not match" in text
    assert caller.state.step is Step.BANK_ACCOUNT
    assert caller.state.payment.bank_entry.fingerprint is None
    caller.press_all(BANK_ACCOUNT, BANK_ACCOUNT)
    assert caller.state.step is Step.PAY_CONFIRM
    assert caller.state.payment.source.label == "savings"


def test_a_new_card_can_be_kept_on_file_after_paying(ports: FakePorts) -> None:
    caller = verified(ports)
    text = caller.press_all(NOW_BY_CARD, VISA, "1230", "123", "94105", "1")
    assert "To keep this card on file, press 3." in text
    assert "We now have the Visa card ending in 4 2 4 2 on file" in caller.press("3")
    assert "press 3" not in caller.text
    [saved] = ports.saved[1]
    assert (saved.kind, saved.label, saved.last4, saved.expiry_mmyy) == ("card", "Visa", "4242",
                                                                         "1230")


def test_paying_with_a_card_on_file(ports: FakePorts) -> None:
    ports.saved[1] = [SavedMethod(7, "card", "Visa", "4242", "1230")]
    caller = verified(ports)
    text = caller.text
    assert "To pay now by card, press 1. By bank account, press 2. With the Visa card " \
        "ending in 4 2 4 2 on file, press 3. For other amounts or dates, press 4. " \
        "For more options, press 5." in text
    assert "with the Visa card ending in 4 2 4 2." in caller.press("3")
    caller.press("1")
    [order] = ports.orders
    assert order.source.kind == "saved" and order.source.saved_id == 7


def test_keys_8_and_9_stay_free_at_the_first_menus_even_with_three_methods_on_file(
        ports: FakePorts) -> None:
    # 8 and 9 are kept for what every caller may be offered at any menu (slower prompts,
    # another language): the offer to pay now numbers at most seven options.
    ports.saved[1] = [SavedMethod(7, "card", "Visa", "4242", "1230"),
                      SavedMethod(8, "bank", "checking", "6789"),
                      SavedMethod(9, "card", "Mastercard", "4444", "1230")]
    caller = Caller(ports)
    # At the greeting, 8 and 9 are those offers themselves, and no option's key.
    assert [key for key in ("8", "9") if f"press {key}." in caller.text] == ["8"]
    assert "oprima 9." in caller.text
    first = STEPS[caller.state.step]
    assert isinstance(first, Menu)
    keys = [offer.key for offer in first.offers(caller.state, caller.ctx)]
    assert "8" not in keys and "9" not in keys
    caller.press_all("1", "1234")
    assert "Mastercard card ending in 4 4 4 4 on file, press 5." in caller.text
    assert caller.text.endswith("For more options, press 7.")


def test_an_expired_card_on_file_is_refused_with_the_reason(ports: FakePorts) -> None:
    ports.saved[1] = [SavedMethod(7, "card", "Visa", "1111", "1025")]
    caller = verified(ports)
    text = caller.press("3")
    assert "the Visa card ending in 1 1 1 1 has expired. Please choose another way to pay." \
        in text
    assert caller.state.step is Step.PAY_NOW


def test_scheduling_a_payment_up_to_the_due_date(ports: FakePorts) -> None:
    caller = verified(ports)
    text = caller.press_all(*FULL_LATER)
    assert "The latest date is December fifth." in text
    assert "not a date" in caller.press("1332")
    assert "Sorry, that date is too late. The latest date is December fifth." \
        in caller.press("1206")
    assert "The date is December first." in caller.press("1201")
    text = caller.press_all("1", VISA, "1230", "123", "94105")
    assert "schedule a payment of one hundred twenty dollars and forty-five cents with the Visa " \
        "card ending in 4 2 4 2, on December first" in text
    assert "We will keep the Visa card ending in 4 2 4 2 on file for this." in text
    text = caller.press("1")
    assert "is scheduled for December first" in text
    [order] = ports.orders
    assert order.scheduled_for == date(2026, 12, 1)
    assert "To keep" not in text  # already kept on file for the schedule


def test_a_payment_cannot_be_scheduled_for_today(ports: FakePorts) -> None:
    caller = verified(ports)
    assert "Sorry, the date must be after today." in caller.press_all(*FULL_LATER, "1121")
    assert caller.state.step is Step.SCHEDULE_DATE and caller.state.payment.scheduled_for is None


def test_a_date_already_passed_is_said_so(ports: FakePorts) -> None:
    caller = verified(ports)
    text = caller.press_all(*FULL_LATER, "1101")
    assert "Sorry, that date has already passed." in text and "November first" not in text


def test_a_past_due_balance_is_paid_today_not_scheduled(ports: FakePorts) -> None:
    caller = past_due(ports)
    assert "To pay now by card, press 1. For a different amount, press 3." in caller.text
    assert "date" not in caller.text.split("past due.")[1]
    assert "Enter the amount" in caller.press(OTHER)
    caller.press_all("50", "1")
    assert caller.state.step is Step.CARD_NUMBER  # today, no question asked


def test_convenience_fee_is_stated_before_authorising(ports: FakePorts) -> None:
    caller = verified(ports, fee_flat_cents=150)
    text = caller.press_all(NOW_BY_CARD, VISA, "1230", "123", "94105")
    assert ("A convenience fee of one dollar and fifty cents applies, for a total of one "
            "hundred twenty-one dollars and ninety-five cents.") in text
    caller.press("1")
    assert ports.orders[0].fee_cents == 150 and ports.orders[0].amount_cents == 12045


def test_manage_lists_and_cancels_scheduled_payments(ports: FakePorts) -> None:
    ports.scheduled[1] = [ScheduledPayment(41, 5000, date(2026, 12, 1), "card", "Visa", "4242"),
                          ScheduledPayment(42, 2000, date(2026, 12, 3), "bank", "checking",
                                           "6789")]
    caller = at_main_menu(ports)
    text = caller.press("4")
    assert "You have 2 scheduled payments." in text
    assert "fifty dollars on December first, with the Visa card ending in 4 2 4 2." in text
    assert "AutoPay is off." in text
    text = caller.press("1")
    assert "To cancel the payment of twenty dollars on December third, press 2." in text
    assert "The payment of twenty dollars scheduled for December third is cancelled." \
        in caller.press("2")
    assert [p.id for p in ports.scheduled[1]] == [41]
    assert "You have one scheduled payment." in caller.text


def test_autopay_needs_a_method_on_file(ports: FakePorts) -> None:
    caller = at_main_menu(ports)
    assert "you first need a card or bank account on file" in caller.press_all("4", "2")
    assert caller.state.step is Step.MANAGE and 1 not in ports.autopay


def test_turning_autopay_on_and_off(ports: FakePorts) -> None:
    ports.saved[1] = [SavedMethod(7, "bank", "checking", "6789")]
    caller = at_main_menu(ports)
    text = caller.press_all("4", "2")
    assert "To use the checking account ending in 6 7 8 9 for AutoPay, press 1." in text
    text = caller.press("1")
    assert "we will pay your full balance on each due date" in text
    assert ("authorize the biller to debit the checking account ending in 6 7 8 9 on each due "
            "date, starting December fifth, for the full balance due") in text
    assert "To authorize these debits and turn on AutoPay, press 1." in text
    assert "AutoPay is now on" in caller.press("1")
    assert ports.autopay == {1: 7}
    assert ports.authorizations[1] is not None and ports.authorizations[1].key == "1"
    assert "AutoPay is on, using the checking account ending in 6 7 8 9." in caller.text
    assert "AutoPay is now off." in caller.press_all("2", "1")
    assert ports.autopay == {}


def test_arrangement_offered_only_for_a_past_due_balance(ports: FakePorts) -> None:
    assert "payment arrangement" not in at_main_menu(ports).text
    caller = past_due_menu(ports)
    assert "To set up a payment arrangement for your past-due balance, press 5." in caller.text


def test_setting_up_an_arrangement(ports: FakePorts) -> None:
    caller = past_due_menu(ports)
    ports.accounts[2] = type(ports.accounts[2])(2, "20005678", 8911, date(2026, 11, 1))
    text = caller.press_all("5")
    assert "pay your past-due balance of eighty-nine dollars and eleven cents in 2 or 3" in text
    text = caller.press("3")
    assert "payment 1 of 3, twenty-nine dollars and seventy-one cents" in text
    assert "The last payment must be by January twentieth." in text
    caller.press("1201")
    assert "must come after the one before, December first" in caller.press("1130")
    assert "payment 2 of 3, twenty-nine dollars and seventy cents" in caller.text
    caller.press_all("1215", "0120")
    assert caller.state.step is Step.PAY_METHOD
    text = caller.press_all("1", VISA, "1230", "123", "94105")
    assert "Your payment arrangement is 3 payments with the Visa card ending in 4 2 4 2." in text
    assert "Payment 3: twenty-nine dollars and seventy cents on January twentieth." in text
    text = caller.press("1")
    assert "Your payment arrangement is set up." in text
    assert "The confirmation number for payment 2 is 7 7 7 0 0, 0 0 0 0 2." in text
    [(account_id, plan, source)] = ports.arrangements
    assert source.kind == "card" and source.last4 == "4242"
    assert account_id == 2 and [cents for _, cents in plan] == [2971, 2970, 2970]
    assert [when.isoformat() for when, _ in plan] == ["2026-12-01", "2026-12-15", "2027-01-20"]
    assert caller.state.draft is None  # neither an arrangement nor anything else in progress


def test_arrangement_dates_stay_within_the_limit(ports: FakePorts) -> None:
    caller = past_due_menu(ports)
    caller.ctx = type(caller.ctx)(caller.ctx.ports, type(caller.ctx.settings)(
        caller.ctx.settings.today, arrangement_max_days=30))
    caller.press_all("5", "2", "1201")
    assert "The latest date is December twenty-first." in caller.press("1222")


def test_declined_new_card_can_be_retried_with_a_bank_account(ports: FakePorts) -> None:
    caller = verified(ports)
    caller.press_all(NOW_BY_CARD, "4000000000000002", "1230", "123", "94105", "1")
    assert caller.state.step is Step.AFTER_DECLINE
    caller.press_all("1", "2", "1", ROUTING, BANK_ACCOUNT, BANK_ACCOUNT, "1")
    assert [o.source.kind for o in ports.orders] == ["card", "bank"]
    assert ports.orders[0].idempotency_key != ports.orders[1].idempotency_key


def test_no_bank_option_when_the_gateway_cannot_debit_banks(ports: FakePorts) -> None:
    caller = verified(ports, bank_payments=False)
    text = caller.text
    # The keys after the bank account's stay put: more options is 4 on every line.
    assert "To pay now by card, press 1. For other amounts or dates, press 3. " \
        "For more options, press 4." in text
    assert "bank account" not in text
    assert "not one of the options" in caller.press(NOW_BY_BANK)
    caller.press("1")
    assert caller.state.step is Step.CARD_NUMBER


def test_scheduling_more_than_is_owed_is_refused(ports: FakePorts) -> None:
    ports.scheduled[1] = [ScheduledPayment(41, 10000, date(2026, 12, 1), "card", "Visa", "4242")]
    caller = verified(ports)
    text = caller.press_all(OTHER, "1", "30", "2")
    assert "you already have one hundred dollars in scheduled payments" in text
    assert caller.state.step is Step.PAY_WHEN
    caller.press("1")
    assert caller.state.step is Step.PAY_METHOD  # paying today is still possible
