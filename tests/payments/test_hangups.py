"""Hanging up while a payment is authorised or charged: it is finished, and texted, or never
started; never left to fail at reconcile."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from ivr.web import calls
from tests.app_helpers import call_payments, texts
from tests.fault_helpers import (
    FIRST,
    TO_READ_BACK,
)
from tests.menu_helpers import JORDAN_NEW_CARD
from tests.money_checks import balances, check_money, gateway_charges, history_ids
from tests.twilio_helpers import TwilioCaller


def test_hanging_up_while_holding_completes_the_payment(demo_app: Flask) -> None:
    start, history = balances(demo_app), history_ids(demo_app)
    caller = TwilioCaller(demo_app, call_sid=FIRST)
    hold = caller.press(caller.walk(*TO_READ_BACK), "1", follow=False)
    assert "Please hold." in hold.said
    caller.post("/voice/status", CallStatus="completed", CallDuration="80")
    check_money(demo_app, start, [f"{FIRST}-1"], history=history)
    assert gateway_charges(demo_app) == [(f"{FIRST}-1", 12045)]
    assert "has been approved" not in caller.resend().said  # a late request: a plain goodbye


def test_a_hang_up_while_holding_texts_a_decline(demo_app: Flask) -> None:
    caller = TwilioCaller(demo_app, call_sid=FIRST)
    declined = (*JORDAN_NEW_CARD, "4000000000000002", "1230", "123", "94105")
    caller.press(caller.walk(*declined), "1", follow=False)
    caller.post("/voice/status", CallStatus="completed", CallDuration="50")
    assert [p.status for p in call_payments(demo_app)] == ["declined"]
    assert "did not go through (the card issuer declined it). You were not charged." in \
        texts(demo_app)[-1]


def test_a_hang_up_before_the_authorisation_is_answered_writes_nothing(demo_app: Flask) -> None:
    caller = TwilioCaller(demo_app, call_sid=FIRST)
    read_back = caller.walk(*TO_READ_BACK)
    caller.post("/voice/status", CallStatus="completed", CallDuration="50")
    assert caller.press(read_back, "1").verbs() == ["Say", "Hangup"]  # a plain goodbye
    assert call_payments(demo_app) == [] and gateway_charges(demo_app) == []


def test_a_hang_up_racing_the_authorisation_still_pays(demo_app: Flask,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """The caller presses 1 and hangs up at once; the "1" is answered while the status
    callback runs. The payment it wrote is charged, not left to fail at reconcile."""
    start, history = balances(demo_app), history_ids(demo_app)
    caller = TwilioCaller(demo_app, call_sid=FIRST)
    read_back = caller.walk(*TO_READ_BACK)
    close = calls.close_call

    def authorised_meanwhile(app: Flask, form: Any) -> None:
        caller.press(read_back, "1", follow=False)  # commits while the callback is running
        close(app, form)

    monkeypatch.setattr("ivr.web.voice.close_call", authorised_meanwhile)
    caller.post("/voice/status", CallStatus="completed", CallDuration="50")
    assert [p.status for p in call_payments(demo_app)] == ["approved"]
    check_money(demo_app, start, [f"{FIRST}-1"], history=history)
