"""The terms read at a confirm step are the terms agreed: the key press keeps and pays what
was said (the fee, a bank debit's authorisation), whatever changes between the two turns -
a new day, a new fee - and a call saved between them (as JSON, by another worker) agrees
to the same. Saying them again (star) agrees to what is said then.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from flows.context import Context
from flows.ports import AccountSummary
from flows.speech import Money, render, say
from flows.state import CallState, Step
from tests.fake_ports import FakePorts
from tests.flow_helpers import MORE, VISA, Caller, verified

ROUTING, BANK_ACCOUNT = "110000000", "000123456789"
# A new checking account, keyed twice; a new card: at the offer to pay the balance now (the
# full balance today), or among the methods (for an arrangement).
BANK = ("2", "1", ROUTING, BANK_ACCOUNT, BANK_ACCOUNT)
CARD = ("1", VISA, "1230", "123", "94105")


def change(caller: Caller, **settings: Any) -> None:
    """The operator's settings (or the date) change between two turns of the call."""
    caller.ctx = Context(caller.ctx.ports, replace(caller.ctx.settings, **settings))


def resumed(caller: Caller, drop: str = "") -> None:
    """The call's state saved as JSON and read back, as the next webhook does (without the
    key ``drop``, as a version that kept no such thing saved it)."""
    saved = json.loads(json.dumps(caller.state.to_dict()))
    saved.pop(drop, None)
    caller.state = CallState.from_dict(saved)


def fee_said(cents: int) -> str:
    return render(say("info.fee", fee=Money(cents), total=Money(12045 + cents)))


def test_a_card_is_charged_the_fee_read_back_even_if_the_setting_changes(
        ports: FakePorts) -> None:
    caller = verified(ports, fee_flat_cents=150)
    assert fee_said(150) in caller.press_all(*CARD)
    change(caller, fee_flat_cents=250)
    resumed(caller)
    result = caller.press("1")
    [order] = ports.orders
    assert (order.amount_cents, order.fee_cents) == (12045, 150)
    assert render(say("info.fee_charged", fee=Money(150), total=Money(12195))) in result


def test_terms_said_again_are_the_terms_agreed(ports: FakePorts) -> None:
    caller = verified(ports, fee_flat_cents=150)
    caller.press_all(*CARD)
    change(caller, fee_flat_cents=250)
    assert fee_said(250) in caller.press("*")
    caller.press("1")
    assert ports.orders[0].fee_cents == 250


def test_an_arrangement_agreed_after_midnight_is_read_again_and_kept_as_heard(
        ports: FakePorts) -> None:
    ports.accounts[1] = AccountSummary(1, "10001234", 12045, date(2026, 11, 1),
                                       name="Jordan Rivera", phone="+14155550100")
    caller = verified(ports)
    heard = caller.press_all(MORE, "5", "2", "1125", "1201", *BANK)
    assert caller.state.step is Step.ARRANGE_CONFIRM
    change(caller, today=caller.ctx.settings.today + timedelta(days=1))
    resumed(caller)
    heard = caller.press("1")  # the day changed: the terms are read again first
    assert not ports.arrangements
    caller.press("1")
    agreed = ports.authorizations[1]
    assert agreed is not None and agreed.text in heard


def test_a_bank_debit_read_by_a_version_that_kept_no_terms_is_read_again(
        ports: FakePorts) -> None:
    # A call in flight at an upgrade: its words were not kept, so none are rebuilt at the key
    # press; the caller hears them again, and the key press after that agrees to those.
    caller = verified(ports)
    caller.press_all(*BANK)
    resumed(caller, drop="heard")
    again = caller.press("1")
    assert ports.orders == [] and caller.state.step is Step.PAY_CONFIRM
    caller.press("1")
    [order] = ports.orders
    assert order.authorization_text is not None and order.authorization_text in again
