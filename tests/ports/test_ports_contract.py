"""One contract, two implementations of :class:`flows.ports.Ports`: the in-memory
``tests/fake_ports.py`` the flow tests run on, and the database ports production runs on
(SQLite, and PostgreSQL when configured). Each case runs against both, through the protocol
only, so the fake cannot drift from what a real call gets.

A "turn" is one webhook: the database ports live in its transaction. A payment taken now is
written ahead in one turn and charged before the next (``harness.charge``), as the web layer
does; the fake charges it when its result is first asked for.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import date
from pathlib import Path

import pytest
from flask import Flask

from flows.errors import CallerThrottled
from flows.ports import (
    AccountSummary,
    ChargeResult,
    DeclineReason,
    PaymentOrder,
    PaymentSource,
    PinCheck,
    Ports,
    ScheduledPayment,
)
from ivr.db import db
from ivr.ops.accounts_import import import_accounts
from ivr.payments import charges
from ivr.ports.database import ports_for
from tests.app_helpers import database, database_kinds, make_app
from tests.fake_ports import FakePorts

# number, PIN, balance (cents), due date, phone
ACCOUNTS = [("10001234", "2468", 12045, date(2026, 12, 5), "+14155550100"),
            ("20005678", "1357", 8910, date(2026, 11, 1), "+12125550199"),
            ("30009012", "8024", 25000, date(2026, 12, 12), "+13125550142"),
            ("30003456", "9753", 4200, date(2026, 12, 12), "+13125550142")]
JORDAN, SAM, ALEX, CASEY = (number for number, *_ in ACCOUNTS)
VISA, DECLINED, NO_FUNDS = "4242424242424242", "4000000000000002", "4000000000009995"
CALLER, GUESSER = "+14155550100", "+16505550123"


class Harness:
    """One implementation of the ports, with the demo accounts above."""

    ids: dict[str, int]

    def turn(self) -> AbstractContextManager[Ports]:
        """The ports for one webhook's worth of calls."""
        raise NotImplementedError

    def charge(self, key: str) -> None:
        """What happens between the turn that opened a payment and the next: it is charged."""


class FakeHarness(Harness):
    """The in-memory fake: one object for every turn."""

    def __init__(self) -> None:
        self.fake = FakePorts()
        for account_id, (number, pin, cents, due, phone) in enumerate(ACCOUNTS, start=1):
            self.fake.add(account_id, number, pin, cents, due, phone=phone)
        self.ids = {number: account_id for account_id, (number, *_) in
                    enumerate(ACCOUNTS, start=1)}

    @contextmanager
    def turn(self) -> Iterator[Ports]:
        yield self.fake


class DatabaseHarness(Harness):
    """The database ports of an app, each turn in its own transaction."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        rows = "".join(f"{n},Name {n},{phone},{pin},{cents / 100:.2f},{due},\n"
                       for n, pin, cents, due, phone in ACCOUNTS)
        with db.transaction(app) as session:
            import_accounts(session, [
                "account_number,name,phone,pin,balance,due_date,zip\n", *rows.splitlines(True)])
        with self.turn() as ports:
            self.ids = {number: found.id for number, *_ in ACCOUNTS
                        if (found := ports.find_account(number)) is not None}

    @contextmanager
    def turn(self) -> Iterator[Ports]:
        with db.transaction(self.app) as session:
            yield ports_for(self.app, session)

    def charge(self, key: str) -> None:
        charges.charge(db.sessions(self.app), self.app.extensions["ivr_gateway"], key)


@pytest.fixture(params=["fake", *database_kinds()])
def harness(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Harness]:
    """The fake, then the database ports on each configured database."""
    if request.param == "fake":
        yield FakeHarness()
        return
    with database(request.param, tmp_path) as url:
        app = make_app(url, tmp_path)
        try:
            yield DatabaseHarness(app)
        finally:
            db.engine(app).dispose()


def card(ports: Ports, number: str = VISA) -> PaymentSource:
    """A newly keyed card, vaulted with its security code, as the flow builds it."""
    token = ports.vault_security_code(ports.vault_card(number), "123")
    return PaymentSource(kind="card", label=token.brand, last4=token.last4, token=token.token,
                         expiry_mmyy="1230", postal_code="94105")


def bank(ports: Ports) -> PaymentSource:
    """A newly keyed checking account (the sandbox's test routing number)."""
    token = ports.vault_bank_account("110000000", "000123456789", "checking")
    return PaymentSource(kind="bank", label=token.account_type, last4=token.last4,
                         token=token.token)


def order(account_id: int, cents: int, source: PaymentSource, key: str,
          on: date | None = None, call_sid: str = "CA1") -> PaymentOrder:
    """A payment of ``cents`` now (or on ``on``)."""
    return PaymentOrder(account_id=account_id, amount_cents=cents, fee_cents=0, source=source,
                        idempotency_key=key, call_sid=call_sid, notify_number=CALLER,
                        scheduled_for=on)


def pay_now(h: Harness, account: str, cents: int, key: str, number: str = VISA,
            call_sid: str = "CA1") -> ChargeResult:
    """Open a card payment in one turn, charge it, and read its result in the next."""
    with h.turn() as ports:
        opened = ports.open_payment(order(h.ids[account], cents, card(ports, number), key,
                                          call_sid=call_sid))
    if not opened.processing:
        return opened
    h.charge(key)
    with h.turn() as ports:
        return ports.payment_result(key)


def summary(h: Harness, account: str) -> AccountSummary:
    """The account as the flow sees it now."""
    with h.turn() as ports:
        return ports.get_account(h.ids[account])


def is_confirmation(number: str | None) -> bool:
    """Ten digits."""
    return number is not None and number.isdigit() and len(number) == 10


# --- accounts and PINs ------------------------------------------------------------------------


def test_accounts_are_found_by_number_and_by_phone(harness: Harness) -> None:
    with harness.turn() as ports:
        found = ports.find_account(JORDAN, CALLER)
        assert found == AccountSummary(harness.ids[JORDAN], JORDAN, 12045, date(2026, 12, 5))
        assert ports.get_account(found.id) == found
        assert ports.find_account("99999999", CALLER) is None
        assert [a.number for a in ports.accounts_for_phone("+14155550100")] == [JORDAN]
        assert sorted(a.number for a in ports.accounts_for_phone("+13125550142")) == [
            CASEY, ALEX]
        assert ports.accounts_for_phone("+16465550000") == []
        assert ports.recent_payments(found.id, 3) == []


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
        twice = ports.open_payment(order(harness.ids[JORDAN], 100, card(ports), "CA2-1",
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
        visa = ports.save_method(jordan, card(ports))
        checking = ports.save_method(jordan, bank(ports))
    assert (visa.kind, visa.label, visa.last4, visa.expiry_mmyy) == ("card", "Visa", "4242",
                                                                     "1230")
    assert (checking.kind, checking.label, checking.last4, checking.expiry_mmyy) == (
        "bank", "checking", "6789", None)
    with harness.turn() as ports:
        assert ports.saved_methods(jordan) == [visa, checking]
        assert ports.saved_methods(harness.ids[SAM]) == []


def test_autopay_is_turned_on_with_a_method_of_the_account_and_off(harness: Harness) -> None:
    jordan, sam = harness.ids[JORDAN], harness.ids[SAM]
    with harness.turn() as ports:
        visa = ports.save_method(jordan, card(ports))
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
        numbers = ports.create_arrangement(sam, plan, bank(ports), "CA1", CALLER, "I agree.")
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
                                           bank(ports), "CA1", CALLER, None)
        assert numbers == []
        assert ports.scheduled_payments(sam) == []
