"""One contract, two implementations of :class:`flows.ports.Ports`: the in-memory
``tests/fake_ports.py`` the flow tests run on, and the database ports production runs on
(SQLite, and PostgreSQL when configured). Each case runs against both, through the protocol
only, so the fake cannot drift from what a real call gets.

A "turn" is one webhook: the database ports live in its transaction. A payment taken now is
written ahead in one turn and charged before the next (``harness.charge``), as the web layer
does; the fake charges it when its result is first asked for.
"""

from __future__ import annotations

from datetime import date

import pytest

from flows.errors import CallerThrottled
from flows.ports import (
    AccountSummary,
    Authorization,
    DeclineReason,
    KeptMethod,
    PinCheck,
    ScheduledPayment,
)
from tests.ports.contract_helpers import (
    ALEX,
    CALLER,
    CASEY,
    DECLINED,
    GUESSER,
    JORDAN,
    NO_FUNDS,
    SAM,
    Harness,
    bank,
    card,
    is_confirmation,
    kept,
    order,
    paid_with,
    pay_now,
    summary,
)

# --- accounts and PINs ------------------------------------------------------------------------


def test_accounts_are_found_by_number_and_by_phone(harness: Harness) -> None:
    with harness.turn() as ports:
        found = ports.find_account(JORDAN, CALLER)
        assert found == AccountSummary(harness.ids[JORDAN], JORDAN, 12045, date(2026, 12, 5),
                                       name=f"Name {JORDAN}", phone="+14155550100")
        assert ports.get_account(found.id) == found
        assert ports.find_account("99999999", CALLER) is None
        assert [a.number for a in ports.accounts_for_phone("+14155550100")] == [JORDAN]
        assert sorted(a.number for a in ports.accounts_for_phone("+13125550142")) == [
            CASEY, ALEX]
        assert ports.accounts_for_phone("+16465550000") == []
        assert ports.recent_payments(found.id, 3) == []


def test_an_accounts_language_is_saved_for_its_next_calls(harness: Harness) -> None:
    with harness.turn() as ports:
        jordan = ports.find_account(JORDAN, CALLER)
        assert jordan is not None and jordan.language == "en-US"
        ports.set_language(jordan.id, "es-US")
    with harness.turn() as ports:
        assert ports.get_account(jordan.id).language == "es-US"
        assert [a.language for a in ports.accounts_for_phone("+14155550100")] == ["es-US"]


def test_the_right_pin_passes_and_a_wrong_one_does_not(harness: Harness) -> None:
    with harness.turn() as ports:
        assert ports.check_pin(harness.ids[JORDAN], "2468", CALLER) is PinCheck.OK
        assert ports.check_pin(harness.ids[JORDAN], "1357", CALLER) is PinCheck.WRONG


def test_five_wrong_pins_lock_the_account_even_for_the_right_pin(harness: Harness) -> None:
    jordan = harness.ids[JORDAN]
    with harness.turn() as ports:
        assert [ports.check_pin(jordan, "0000", CALLER) for _ in range(5)] == [
            PinCheck.WRONG] * 4 + [PinCheck.LOCKED]
    with harness.turn() as ports:
        assert ports.check_pin(jordan, "2468", CALLER) is PinCheck.LOCKED
        assert ports.check_pin(harness.ids[SAM], "1357", CALLER) is PinCheck.OK


def test_the_right_pin_starts_the_count_again(harness: Harness) -> None:
    jordan = harness.ids[JORDAN]
    with harness.turn() as ports:
        assert {ports.check_pin(jordan, "0000") for _ in range(4)} == {PinCheck.WRONG}
        assert ports.check_pin(jordan, "2468") is PinCheck.OK
        assert {ports.check_pin(jordan, "0000") for _ in range(4)} == {PinCheck.WRONG}


def test_one_caller_id_guessing_across_accounts_is_throttled(harness: Harness) -> None:
    with harness.turn() as ports:
        for account, tries in ((JORDAN, 4), (SAM, 4), (ALEX, 2)):
            for _ in range(tries):
                assert ports.check_pin(harness.ids[account], "0000", GUESSER) is PinCheck.WRONG
    with harness.turn() as ports:
        assert ports.check_pin(harness.ids[CASEY], "9753", GUESSER) is PinCheck.THROTTLED
        with pytest.raises(CallerThrottled):
            ports.find_account(CASEY, GUESSER)
        assert ports.check_pin(harness.ids[CASEY], "9753", CALLER) is PinCheck.OK


def test_unknown_account_numbers_count_towards_the_throttle(harness: Harness) -> None:
    with harness.turn() as ports:
        for guess in range(10):
            assert ports.find_account(f"5555{guess:04d}", GUESSER) is None
        with pytest.raises(CallerThrottled):
            ports.find_account(JORDAN, GUESSER)
        assert ports.find_account(JORDAN, CALLER) is not None


# --- paying now -------------------------------------------------------------------------------


def test_a_card_payment_is_held_then_charged_once(harness: Harness) -> None:
    with harness.turn() as ports:
        opened = ports.open_payment(order(harness.ids[JORDAN], 2000, card(ports), "CA1-1"))
    assert (opened.approved, opened.processing) == (False, True)
    assert summary(harness, JORDAN).held_cents == 2000
    harness.charge("CA1-1")
    with harness.turn() as ports:
        result = ports.payment_result("CA1-1")
        again = ports.open_payment(order(harness.ids[JORDAN], 2000, card(ports), "CA1-1"))
    assert result.approved and not result.pending and is_confirmation(result.confirmation_number)
    assert again == result  # the same key: the same payment, not a second one
    after = summary(harness, JORDAN)
    assert (after.balance_cents, after.held_cents) == (12045 - 2000, 0)


@pytest.mark.parametrize(("number", "reason"), [(DECLINED, DeclineReason.DECLINED),
                                                (NO_FUNDS, DeclineReason.INSUFFICIENT_FUNDS)])
def test_a_declined_card_takes_nothing(harness: Harness, number: str,
                                       reason: DeclineReason) -> None:
    result = pay_now(harness, JORDAN, 2000, "CA1-1", number)
    assert (result.approved, result.decline_reason, result.retry_allowed) == (False, reason, True)
    assert result.confirmation_number is None
    assert (summary(harness, JORDAN).balance_cents, summary(harness, JORDAN).held_cents) == (
        12045, 0)


def test_three_declines_in_one_call_stop_its_attempts(harness: Harness) -> None:
    results = [pay_now(harness, JORDAN, 1000, f"CA1-{n}", DECLINED) for n in (1, 2, 3)]
    assert [r.retry_allowed for r in results] == [True, True, False]
    fourth = pay_now(harness, JORDAN, 1000, "CA1-4")
    assert (fourth.approved, fourth.decline_reason, fourth.retry_allowed) == (
        False, DeclineReason.TOO_MANY_DECLINES, False)
    assert pay_now(harness, JORDAN, 1000, "CA2-1", call_sid="CA2").approved
    assert summary(harness, JORDAN).balance_cents == 12045 - 1000


def test_never_more_than_is_payable(harness: Harness) -> None:
    too_much = pay_now(harness, JORDAN, 12046, "CA1-1")
    assert (too_much.approved, too_much.decline_reason) == (False,
                                                            DeclineReason.BALANCE_CHANGED)
    with harness.turn() as ports:
        held = ports.open_payment(order(harness.ids[JORDAN], 12045, card(ports), "CA1-2"))
        assert held.processing
        twice = ports.open_payment(order(harness.ids[JORDAN], 100,
                                         card(ports, call_sid="CA2"), "CA2-1",
                                         call_sid="CA2"))
    assert twice.decline_reason is DeclineReason.BALANCE_CHANGED  # all of it is held
    harness.charge("CA1-2")
    with harness.turn() as ports:
        assert ports.payment_result("CA1-2").approved
    assert summary(harness, JORDAN).payable_cents == 0


def test_a_bank_debit_is_approved_as_pending(harness: Harness) -> None:
    with harness.turn() as ports:
        opened = ports.open_payment(order(harness.ids[SAM], 8910, bank(ports), "CA1-1"))
    assert opened.processing
    harness.charge("CA1-1")
    with harness.turn() as ports:
        result = ports.payment_result("CA1-1")
    assert (result.approved, result.pending) == (True, True)
    assert is_confirmation(result.confirmation_number)
    assert summary(harness, SAM).payable_cents == 0


# --- methods on file, AutoPay, scheduled payments, arrangements -------------------------------


def test_methods_are_kept_on_file_oldest_first(harness: Harness) -> None:
    jordan = harness.ids[JORDAN]
    with harness.turn() as ports:
        assert ports.saved_methods(jordan) == []
    paid_card, paid_bank = paid_with(harness, JORDAN, card, "CA1-1"), \
        paid_with(harness, JORDAN, bank, "CA1-2")
    with harness.turn() as ports:
        visa = ports.save_method(jordan, paid_card)
        checking = ports.save_method(jordan, paid_bank)
    assert (visa.kind, visa.label, visa.last4, visa.expiry_mmyy) == ("card", "Visa", "4242",
                                                                     "1230")
    assert (checking.kind, checking.label, checking.last4, checking.expiry_mmyy) == (
        "bank", "checking", "6789", None)
    with harness.turn() as ports:
        assert ports.saved_methods(jordan) == [visa, checking]
        assert ports.saved_methods(harness.ids[SAM]) == []


def test_autopay_is_turned_on_with_a_method_of_the_account_and_off(harness: Harness) -> None:
    jordan, sam = harness.ids[JORDAN], harness.ids[SAM]
    paid_card = paid_with(harness, JORDAN, card, "CA1-1")
    with harness.turn() as ports:
        visa = ports.save_method(jordan, paid_card)
        assert ports.autopay_method(jordan) is None
        ports.set_autopay(jordan, visa.id)
    with harness.turn() as ports:
        assert ports.autopay_method(jordan) == visa
        with pytest.raises(PermissionError):
            ports.set_autopay(sam, visa.id)
    with harness.turn() as ports:
        ports.set_autopay(jordan, None)
        assert ports.autopay_method(jordan) is None


def test_a_scheduled_payment_is_listed_until_cancelled(harness: Harness) -> None:
    jordan = harness.ids[JORDAN]
    with harness.turn() as ports:
        result = ports.open_payment(order(jordan, 5000, card(ports), "CA1-1",
                                          on=date(2026, 12, 1)))
    assert (result.approved, result.scheduled) == (True, True)
    assert is_confirmation(result.confirmation_number)
    with harness.turn() as ports:
        [waiting] = ports.scheduled_payments(jordan)
        assert waiting == ScheduledPayment(waiting.id, 5000, date(2026, 12, 1), "card", "Visa",
                                           "4242")
        assert [m.last4 for m in ports.saved_methods(jordan)] == ["4242"]  # kept on file first
        assert ports.cancel_scheduled(harness.ids[SAM], waiting.id) is False  # not Sam's
        assert ports.cancel_scheduled(jordan, waiting.id) is True
    with harness.turn() as ports:
        assert ports.scheduled_payments(jordan) == []
        assert ports.cancel_scheduled(jordan, waiting.id) is False
    assert summary(harness, JORDAN).balance_cents == 12045


def test_an_arrangement_schedules_each_instalment(harness: Harness) -> None:
    sam = harness.ids[SAM]
    plan = [(date(2026, 12, 15), 4455), (date(2026, 12, 1), 4455)]
    with harness.turn() as ports:
        numbers = ports.create_arrangement(sam, plan, kept(ports, sam, bank(ports), 8910),
                                           "CA1", CALLER, Authorization("I agree.", "1"))
    assert len(numbers) == 2 and len(set(numbers)) == 2 and all(map(is_confirmation, numbers))
    with harness.turn() as ports:
        waiting = ports.scheduled_payments(sam)
        assert [(p.scheduled_for, p.amount_cents, p.kind, p.last4) for p in waiting] == [
            (date(2026, 12, 1), 4455, "bank", "6789"), (date(2026, 12, 15), 4455, "bank", "6789")]


def test_an_arrangement_for_more_than_is_owed_is_refused(harness: Harness) -> None:
    sam = harness.ids[SAM]
    with harness.turn() as ports:
        numbers = ports.create_arrangement(sam, [(date(2026, 12, 1), 5000),
                                                 (date(2026, 12, 15), 3911)],
                                           kept(ports, sam, bank(ports), 8910), "CA1",
                                           CALLER, None)
        assert numbers == []
        assert ports.scheduled_payments(sam) == []


def test_a_new_method_for_later_is_refused_before_the_gateway_past_the_limits(
        harness: Harness) -> None:
    for n in (1, 2, 3):
        pay_now(harness, JORDAN, 1000, f"CA1-{n}", DECLINED)
    jordan = harness.ids[JORDAN]
    with harness.turn() as ports:
        refused = ports.keep_for_later(jordan, card(ports), "CA1", "CA1-4", 1000)
        assert refused == KeptMethod(refused=DeclineReason.TOO_MANY_DECLINES,
                                     retry_allowed=False)
        too_much = ports.keep_for_later(jordan, card(ports, call_sid="CA2"), "CA2", "CA2-1",
                                        12046)
        assert too_much.refused is DeclineReason.BALANCE_CHANGED
        assert ports.saved_methods(jordan) == []  # nothing was kept
