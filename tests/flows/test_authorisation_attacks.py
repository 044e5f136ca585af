"""review3: attacks on the telephone authorisation (NACHA TEL) as the flow says and keeps it.

Each test states what must hold; a failing one is a finding of the review.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from flows.context import Context
from flows.ports import AccountSummary, SavedMethod
from flows.speech import render, say
from flows.state import Step
from tests.fake_ports import FakePorts
from tests.flow_helpers import TODAY, Caller, at_main_menu, verified

ROUTING, BANK_ACCOUNT = "110000000", "000123456789"
# A new checking account, keyed twice, at the offer to pay the balance now.
BANK = ("2", "1", ROUTING, BANK_ACCOUNT, BANK_ACCOUNT)
BILLER = "Riverside Water"


def next_day(caller: Caller) -> None:
    """The clock passes midnight between two turns of the same call."""
    settings = caller.ctx.settings
    caller.ctx = Context(caller.ctx.ports, replace(settings, today=settings.today
                                                   + timedelta(days=1)))


def test_the_debit_kept_is_the_one_said_when_the_key_is_pressed_after_midnight(
        ports: FakePorts) -> None:
    # Heard at 23:59 on November 21st ("Today, November twenty-first, ... on November
    # twenty-first"), "1" pressed at 00:00:05 on the 22nd: those words are no longer true, so
    # they are read again (nothing is written), and the record is what was heard then.
    caller = verified(ports, biller_name=BILLER)
    caller.press_all(*BANK)
    assert caller.state.step is Step.PAY_CONFIRM
    next_day(caller)
    heard = caller.press("1")
    assert "November twenty-second" in heard and not ports.orders
    caller.press("1")
    [order] = ports.orders
    assert order.authorization_text is not None
    assert order.authorization_text in heard, (
        "the authorisation stored is rebuilt at the key press, not what the caller heard")


def test_autopay_kept_is_the_one_said_when_the_key_is_pressed_after_midnight(
        ports: FakePorts) -> None:
    # Due today: heard "starting November twenty-first"; after midnight the rebuilt text
    # says "starting with your next due date" instead.
    ports.saved[1] = [SavedMethod(7, "bank", "checking", "6789")]
    ports.accounts[1] = AccountSummary(1, "10001234", 12045, TODAY, name="Jordan Rivera")
    caller = at_main_menu(ports, biller_name=BILLER)
    caller.press_all("4", "2")
    caller.press("1")
    next_day(caller)
    heard = caller.press("1")  # read again, as of the new day: nothing is turned on yet
    assert 1 not in ports.authorizations
    caller.press("1")
    agreed = ports.authorizations[1]
    assert agreed is not None and agreed.text in heard


def test_a_debit_is_not_authorised_without_the_payers_name(ports: FakePorts) -> None:
    # NACHA: a TEL authorisation must state the consumer's name. An account imported without
    # one is addressed as "you", and the debit still goes ahead.
    ports.accounts[1] = AccountSummary(1, "10001234", 12045, date(2026, 12, 5))
    caller = verified(ports)
    heard = caller.press_all(*BANK)
    caller.press("1")
    named = [order for order in ports.orders if order.authorization_text]
    assert named == [], (f"a debit was authorised naming only "
                         f"{render(say('value.payer'))!r}: {heard[:120]}")


def test_the_debit_is_for_the_total_said_even_if_the_fee_changes_before_the_key_press(
        ports: FakePorts) -> None:
    # The fee is read from the settings on every turn: an operator's restart with a new
    # IVR_CONVENIENCE_FEE between the read-back and the key press debits a total the caller
    # never heard, and keeps a rebuilt text naming it as if it had been said.
    caller = verified(ports, biller_name=BILLER, fee_flat_cents=150)
    heard = caller.press_all(*BANK)
    caller.ctx = Context(caller.ctx.ports, replace(caller.ctx.settings, fee_flat_cents=250))
    caller.press("1")
    [order] = ports.orders
    assert order.amount_cents + order.fee_cents == 12045 + 150, "debited a total not said"
    assert order.authorization_text is not None and order.authorization_text in heard
