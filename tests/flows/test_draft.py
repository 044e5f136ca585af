"""The typed payment draft: saved with the call, and read back from the previous version's shape."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from flows import machine
from flows.cards import Brand
from flows.draft import (
    Arrangement,
    BankEntry,
    CardEntry,
    Method,
    PaymentDraft,
    Purpose,
)
from flows.errors import DraftError
from flows.ports import PaymentSource
from flows.state import CallState, Event, Step
from tests.fake_ports import FakePorts
from tests.flow_helpers import Caller

# Call states exactly as the previous version saved them mid-call (captured by running it):
# the draft as flat keys, the method as an untyped ``source`` dict.
OLD_COMMON = {"call_sid": "CA1", "caller": "+14155550100", "account_id": 1, "verified": True,
              "pin_failures": 0, "prompt_failures": 0, "payment_attempts": 0,
              "confirmation_number": None, "pending_choice": None}
OLD_AT_CARD_CODE = {
    **OLD_COMMON, "step": "card_code", "purpose": "now", "amount_cents": 12045,
    "scheduled_for": None, "bank_routing": None, "bank_fingerprint": None, "save_offer": None,
    "arrangement": None, "source": {"kind": "card", "label": "Visa", "last4": "4242",
                                    "token": "tok-4-4242-ok", "expiry_mmyy": "1230"}}
OLD_AT_SECOND_BANK_ENTRY = {
    **OLD_COMMON, "step": "bank_account_again", "purpose": "now", "amount_cents": 12045,
    "scheduled_for": None, "source": {"kind": "bank", "label": "savings", "last4": ""},
    "bank_routing": "011000015",
    "bank_fingerprint": "7f330dfedbc65bc7f89ccf962aff0b49bcce158b3518ce313e863885f4fec93c",
    "save_offer": None, "arrangement": None}
OLD_AT_SCHEDULED_READ_BACK = {
    **OLD_COMMON, "step": "pay_confirm", "purpose": "schedule", "amount_cents": 12045,
    "scheduled_for": "2026-12-01", "bank_routing": None, "bank_fingerprint": None,
    "save_offer": None, "arrangement": None,
    "source": {"kind": "card", "label": "Visa", "last4": "4242", "token": "tok-4-4242-ok+cvc",
               "expiry_mmyy": "1230", "postal_code": "94105"}}
OLD_AT_ARRANGE_DATE = {
    **OLD_COMMON, "caller": "+12125550199", "account_id": 2, "step": "arrange_date",
    "purpose": "arrangement", "amount_cents": 8910, "scheduled_for": None, "source": None,
    "bank_routing": None, "bank_fingerprint": None, "save_offer": None,
    "arrangement": {"count": 2, "dates": ["2026-12-01"]}}
OLD_AFTER_PAYMENT = {
    **OLD_COMMON, "step": "after_payment", "purpose": "now", "amount_cents": None,
    "scheduled_for": None, "source": None, "bank_routing": None, "bank_fingerprint": None,
    "payment_attempts": 1, "confirmation_number": "1234567890", "arrangement": None,
    "save_offer": {"kind": "card", "label": "Visa", "last4": "4242",
                   "token": "tok-4-4242-ok+cvc", "expiry_mmyy": "1230",
                   "postal_code": "94105"}}


def resume(ports: FakePorts, saved: dict[str, Any]) -> Caller:
    """A caller whose call goes on from a state saved (as JSON) by another worker."""
    caller = Caller(ports)
    caller.state = CallState.from_dict(json.loads(json.dumps(saved)))
    return caller


def test_an_old_card_entry_loads_and_its_card_is_keyed_again(ports: FakePorts) -> None:
    # The earlier version's vault token is not a card this version can charge whole.
    caller = resume(ports, OLD_AT_CARD_CODE)
    assert caller.state.payment == PaymentDraft(
        12045, method=CardEntry(Brand.VISA, "4242"))
    assert "enter the card number again" in caller.press("123")
    assert caller.state.step is Step.CARD_NUMBER and not ports.orders
    text = caller.press_all("4242424242424242", "1230", "123", "94105")
    assert "with the Visa card ending in 4 2 4 2" in text
    assert "has been approved" in caller.press("1")


def test_an_old_second_bank_entry_still_matches_the_first(ports: FakePorts) -> None:
    caller = resume(ports, OLD_AT_SECOND_BANK_ENTRY)
    entry = caller.state.payment.bank_entry
    assert (entry.account_type, entry.routing) == ("savings", "011000015")
    caller.press("000123456789")
    assert caller.state.step is Step.PAY_CONFIRM
    assert caller.state.payment.source.kind == "bank"
    assert caller.state.payment.source.label == "savings"


def test_an_old_scheduled_read_back_loads_with_its_date(ports: FakePorts) -> None:
    caller = resume(ports, OLD_AT_SCHEDULED_READ_BACK)
    draft = caller.state.payment
    assert (draft.purpose, draft.scheduled_for) == (Purpose.SCHEDULE, date(2026, 12, 1))
    assert draft.source == PaymentSource("card", "Visa", "4242", "tok-4-4242-ok+cvc", "1230",
                                         "94105")
    assert "is scheduled for December first" in caller.press("1")


def test_an_old_arrangement_loads_with_its_dates(ports: FakePorts) -> None:
    caller = resume(ports, OLD_AT_ARRANGE_DATE)
    assert caller.state.payment.plan == Arrangement(2, (date(2026, 12, 1),))
    assert "must come after the one before" in caller.press("1130")
    caller.press("1215")
    assert caller.state.step is Step.PAY_METHOD
    assert caller.state.payment.plan.dates == (date(2026, 12, 1), date(2026, 12, 15))


def test_an_old_offer_to_keep_the_card_loads(ports: FakePorts) -> None:
    caller = resume(ports, OLD_AFTER_PAYMENT)
    assert caller.state.draft is None
    assert caller.state.save_offer == PaymentSource("card", "Visa", "4242", "tok-4-4242-ok+cvc",
                                                    "1230", "94105")
    assert "We now have the Visa card ending in 4 2 4 2 on file" in caller.press("3")
    assert [(m.label, m.last4) for m in ports.saved[1]] == [("Visa", "4242")]


def test_an_old_state_with_no_payment_loads_with_no_draft() -> None:
    state = CallState.from_dict({"call_sid": "CA1", "step": "main_menu", "purpose": "now",
                                 "amount_cents": None, "source": None})
    assert state.draft is None and state.step is Step.MAIN_MENU


@pytest.mark.parametrize("method", [
    None,
    CardEntry(Brand.AMEX, "0005"),
    CardEntry(Brand.VISA, "5555"),
    BankEntry("checking"),
    BankEntry("savings", "011000015", "digest"),
    PaymentSource("card", "Visa", "4242", "tok", "1230", "94105"),
    PaymentSource("bank", "checking", "6789", "btok"),
    PaymentSource("saved", "Visa", "1111", saved_id=7, saved_kind="card"),
    PaymentSource("captured", "card", ""),
])
def test_every_draft_survives_the_saved_json(method: Method | None) -> None:
    draft = PaymentDraft(5000, Purpose.ARRANGEMENT, date(2026, 12, 3), method,
                         Arrangement(3, (date(2026, 12, 1), date(2026, 12, 15))))
    state = CallState("CA1", draft=draft, save_offer=PaymentSource("card", "Visa", "4242"))
    saved = json.loads(json.dumps(state.to_dict()))
    assert CallState.from_dict(saved) == state
    assert CallState.from_dict(saved).to_dict() == saved


def test_a_step_that_needs_a_method_before_one_is_chosen_is_a_clear_error(
        ports: FakePorts) -> None:
    caller = Caller(ports)
    caller.state = CallState("CA1", step=Step.PAY_CONFIRM, account_id=1, verified=True,
                             draft=PaymentDraft(1000))
    with pytest.raises(DraftError, match="no payment method chosen"):
        machine.handle(caller.state, Event("1"), caller.ctx)
    assert ports.orders == []


def test_a_step_after_the_amount_with_no_payment_in_progress_is_a_clear_error(
        ports: FakePorts) -> None:
    caller = Caller(ports)
    caller.state = CallState("CA1", step=Step.CARD_ZIP, account_id=1, verified=True)
    with pytest.raises(DraftError, match="no payment in progress"):
        machine.handle(caller.state, Event("94105"), caller.ctx)
