"""Attacks from an adversarial review: races and replays around the card store, the hold,
the hang-up and keeping a method on file; key rotation mid-call."""

from __future__ import annotations

import base64
import time
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from ivr.config import override_settings
from ivr.db import db
from ivr.security.card_store import CardDetails
from models import CallSession, SavedPaymentMethod
from tests.app_helpers import call_payments
from tests.card_helpers import card_entries
from tests.concurrency import at_once
from tests.menu_helpers import JORDAN_NEW_BANK, JORDAN_NEW_CARD
from tests.money_checks import gateway_charges
from tests.twilio_helpers import TwilioCaller

CARD = CardDetails("4000056655665556", "1230", "737", "30301")
NEW_KEY = base64.b64encode(b"another-card-data-key-32-bytes!!").decode("ascii")


def four_parts(card: CardDetails) -> list[str]:
    """Number, expiry, code, ZIP: the card as keyed."""
    return [card.number, card.expiry_mmyy, card.security_code, card.postal_code]


def slow_charges(app: Flask, monkeypatch: pytest.MonkeyPatch, seconds: float = 0.4) -> None:
    """The gateway takes a moment to answer a keyed card (as a real one does)."""
    gateway = app.extensions["ivr_gateway"]
    original = gateway.charge_card

    def slow(*args: Any) -> Any:
        time.sleep(seconds)
        return original(*args)

    monkeypatch.setattr(gateway, "charge_card", slow)


def saved_5556(app: Flask) -> int:
    """How many methods on file end in 5556."""
    with db.transaction(app) as session:
        return len(session.scalars(select(SavedPaymentMethod)
                                   .where(SavedPaymentMethod.last4 == "5556")).all())


def test_a_hang_up_racing_the_hold_charges_once_and_forgets_the_card(
        demo_app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    caller = TwilioCaller(demo_app)
    hold = caller.press(caller.walk(*JORDAN_NEW_CARD, *four_parts(CARD)), "1", follow=False)
    onward = hold.carries_on
    assert onward is not None
    slow_charges(demo_app, monkeypatch)
    jobs = [lambda: caller.post(onward),
            lambda: caller.post("/voice/status", CallStatus="completed", CallDuration="9")]
    turn = iter(jobs)
    at_once(2, lambda: next(turn)())
    [payment] = call_payments(demo_app, caller.call_sid)
    assert payment.status == "approved" and len(gateway_charges(demo_app)) == 1
    assert card_entries(demo_app) == 0


def test_a_hang_up_racing_the_last_entry_leaves_no_card(demo_app: Flask) -> None:
    caller = TwilioCaller(demo_app)
    answer = caller.walk(*JORDAN_NEW_CARD, *four_parts(CARD)[:3])
    jobs = iter([lambda: caller.press(answer, CARD.postal_code),
                 lambda: caller.post("/voice/status", CallStatus="completed",
                                     CallDuration="9")])
    at_once(2, lambda: next(jobs)())
    assert card_entries(demo_app) == 0


def test_keeping_the_method_twice_by_replay_or_after_the_call_keeps_it_once(
        demo_app: Flask) -> None:
    caller = TwilioCaller(demo_app)
    after = caller.walk(*JORDAN_NEW_CARD, *four_parts(CARD), "1")
    assert "has been approved" in after.said and "press 3" in after.said
    kept = caller.press(after, "3")
    caller.resend()  # a redelivery
    caller.press(after, "3")  # the same turn again, later
    assert saved_5556(demo_app) == 1 and "on file for future payments" in kept.said
    caller.post("/voice/status", CallStatus="completed", CallDuration="99")
    caller.press(after, "3")
    caller.press(kept, "3")
    assert saved_5556(demo_app) == 1


def test_a_method_is_not_kept_after_the_call_has_ended(demo_app: Flask) -> None:
    caller = TwilioCaller(demo_app)
    after = caller.walk(*JORDAN_NEW_CARD, *four_parts(CARD), "1")
    caller.post("/voice/status", CallStatus="completed", CallDuration="99")
    late = caller.press(after, "3")
    assert saved_5556(demo_app) == 0 and late.verbs()[-1] == "Hangup"


@pytest.mark.parametrize("entered", [1, 2, 3, 4])
def test_a_key_rotated_mid_call_loses_only_the_card_being_keyed(demo_app: Flask,
                                                                entered: int) -> None:
    caller = TwilioCaller(demo_app)
    answer = caller.walk(*JORDAN_NEW_CARD, *four_parts(CARD)[:entered])
    override_settings(demo_app, IVR_CARD_DATA_KEY=NEW_KEY)
    answer = caller.press(answer, "1" if entered == 4 else four_parts(CARD)[entered])
    assert card_entries(demo_app) == 0 and gateway_charges(demo_app) == []
    assert "has been approved" not in answer.said
    for keys in (*four_parts(CARD), "1") if entered < 4 else ("1", "1", *four_parts(CARD), "1"):
        answer = caller.press(answer, keys)
    assert "has been approved" in answer.said, answer.said
    assert card_entries(demo_app) == 0 and len(gateway_charges(demo_app)) == 1


def test_the_expiry_keyed_is_not_kept_in_the_call_state(demo_app: Flask) -> None:
    """Number, expiry, code and ZIP are kept in the card store, never the call state (the
    expiry once was, in CardEntry.expiry_mmyy)."""
    caller = TwilioCaller(demo_app)
    caller.walk(*JORDAN_NEW_CARD, CARD.number, "0931")
    with db.transaction(demo_app) as session:
        state = session.get_one(CallSession, caller.call_sid).flow_state
    assert "0931" not in str(state), state




BANK_KEYS = ("1", "110000000", "918273645506", "918273645506")  # checking, routing, number x2


@pytest.mark.parametrize("leave", ["hang up", "star"])
@pytest.mark.parametrize(("start", "keys"), [
    (JORDAN_NEW_CARD, tuple(four_parts(CARD))), (JORDAN_NEW_BANK, BANK_KEYS)],
    ids=["card", "bank"])
def test_leaving_at_every_step_of_an_entry_forgets_what_was_keyed(
        demo_app: Flask, leave: str, start: tuple[str, ...], keys: tuple[str, ...]) -> None:
    for done in range(1, len(keys) + 1):
        caller = TwilioCaller(demo_app, call_sid=f"CA{done:032d}")
        answer = caller.walk(*start, *keys[:done])
        if leave == "hang up":
            caller.post("/voice/status", CallStatus="completed", CallDuration="30")
        else:  # a lone star cancels an entry; at the read-back, 2 cancels
            caller.press(answer, "2" if done == len(keys) else "*")
        assert card_entries(demo_app) == 0, (leave, done)
    assert gateway_charges(demo_app) == []
