"""A killed worker or a lost reply at each point of a keyed card's path, then each recovery
(from an adversarial review): afterwards the card store is empty, no digit of the card is
readable anywhere (rows, log lines with their tracebacks, answers), the money is right, and
no token for the card is kept past the call."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from ivr.config import override_settings
from ivr.db import db
from ivr.payments import charges
from ivr.payments.reconcile import reconcile
from ivr.security.card_store import CardDetails
from ivr.web import calls
from models import utcnow
from tests.app_helpers import call_payments
from tests.card_helpers import card_entries, database_leaks, text_leaks
from tests.fault_helpers import FIRST, LATER, TO_READ_BACK, authorise, fire_once
from tests.menu_helpers import JORDAN_OTHER_AMOUNT, OTHER_AMOUNT
from tests.money_checks import gateway_charges
from tests.twilio_helpers import Answer, TwilioCaller

KEYED = CardDetails(*TO_READ_BACK[-4:])
Arm = Callable[[Flask, pytest.MonkeyPatch], None]


def _gateway_dies(before: bool) -> Arm:
    def arm(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
        fire_once(app.extensions["ivr_gateway"], "charge_card", monkeypatch, before=before)
    return arm


def _record_dies(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    fire_once(charges, "record", monkeypatch, before=True)


def _answer_dies(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    fire_once(calls, "_save_turn", monkeypatch, before=True)


def _gateway_down(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    override_settings(app, IVR_SANDBOX_FAULT="down")


def _reply_lost(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    override_settings(app, IVR_SANDBOX_FAULT="lost-reply")


POINTS: dict[str, Arm] = {
    "killed before the gateway is called": _gateway_dies(before=True),
    "killed after the gateway charged": _gateway_dies(before=False),
    "killed before the outcome is committed": _record_dies,
    "killed before the caller is answered": _answer_dies,
    "gateway down": _gateway_down,
    "reply lost": _reply_lost,
}


def recover(app: Flask, caller: TwilioCaller, how: str) -> list[Answer]:
    """A redelivery, a hang-up, or nothing; then reconcile runs later, as it does."""
    override_settings(app, IVR_SANDBOX_FAULT="")
    heard = []
    if how == "Twilio retries":
        heard.append(caller.resend())
    caller.post("/voice/status", CallStatus="completed", CallDuration="95") \
        if how != "only reconcile" else None
    reconcile(db.sessions(app), app.extensions["ivr_gateway"], now=utcnow() + LATER)
    return heard


@pytest.mark.parametrize("how", ["Twilio retries", "the caller hangs up", "only reconcile"])
@pytest.mark.parametrize("point", list(POINTS))
def test_after_any_fault_and_recovery_the_card_is_gone_and_readable_nowhere(
        demo_app: Flask, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
        point: str, how: str) -> None:
    caplog.set_level(logging.DEBUG)
    caller = TwilioCaller(demo_app, call_sid=FIRST)
    read_back = caller.walk(*TO_READ_BACK)
    POINTS[point](demo_app, monkeypatch)
    first = authorise(caller, read_back)
    monkeypatch.undo()
    heard = [a for a in (read_back, first, *recover(demo_app, caller, how)) if a is not None]

    payments = call_payments(demo_app, FIRST)  # none when the authorise turn itself died
    status = payments[0].status if payments else "never written"
    charged = len(gateway_charges(demo_app))
    assert charged <= 1 and (status == "approved") == (charged == 1), (status, charged)
    lines = [logging.Formatter().format(record) for record in caplog.records]  # + tracebacks
    assert database_leaks(demo_app, KEYED) == []
    assert text_leaks([*lines, *(a.raw.decode() for a in heard)], KEYED) == []
    if how != "only reconcile" or status in ("approved", "declined", "failed"):
        # Once the call has ended, or the outcome is recorded, nothing keyed is held.
        assert card_entries(demo_app) == 0, status


def test_a_token_for_the_card_is_not_kept_when_reconcile_settles_it_after_the_call(
        demo_app: Flask) -> None:
    """The reply was lost, the caller hung up, reconcile later finds the charge: no token to
    keep the card is written then (once, one was, for good)."""
    override_settings(demo_app, IVR_SANDBOX_FAULT="lost-reply")
    caller = TwilioCaller(demo_app, call_sid=FIRST)
    answer = caller.walk(*TO_READ_BACK, "1")
    assert "could not confirm" in answer.said
    caller.post("/voice/status", CallStatus="completed", CallDuration="95")
    override_settings(demo_app, IVR_SANDBOX_FAULT="")
    reconcile(db.sessions(demo_app), demo_app.extensions["ivr_gateway"], now=utcnow() + LATER)
    [payment] = call_payments(demo_app, FIRST)
    assert payment.status == "approved"
    assert payment.keep_token is None, "a token for the card is kept after the call ended"


def test_a_duplicate_and_an_out_of_order_delivery_at_every_step_leave_nothing_readable(
        demo_app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    """Every request is delivered twice, and the previous one once more after it."""
    caplog.set_level(logging.DEBUG)
    caller = TwilioCaller(demo_app)
    answers: list[Any] = [caller.start()]
    for keys in (*TO_READ_BACK, "1"):
        answers.append(caller.press(answers[-1], keys))
        previous = caller.sent[-2] if len(caller.sent) > 1 else caller.sent[-1]
        answers.append(caller.resend())
        path, params = previous
        extra = {k: v for k, v in params.items() if k not in caller.params()}
        answers.append(caller.post(path, False, **extra))  # an older turn, late
    assert "has been approved" in " ".join(a.said for a in answers)
    assert len(gateway_charges(demo_app)) == 1 and card_entries(demo_app) == 0
    lines = [logging.Formatter().format(record) for record in caplog.records]
    assert database_leaks(demo_app, KEYED) == []
    assert text_leaks([*lines, *(a.raw.decode() for a in answers)], KEYED) == []


def test_settling_an_earlier_payment_does_not_drop_the_card_keyed_for_the_next_one(
        demo_app: Flask) -> None:
    """record() deletes the card store by call SID, not by the payment it records: reconcile
    settling payment 1 (its reply lost) drops the card the caller has just keyed for payment 2
    on the same call, which then fails with "processing error" and is never sent."""
    five_today = (*JORDAN_OTHER_AMOUNT, "5", "1", "1", *TO_READ_BACK[-4:])
    override_settings(demo_app, IVR_SANDBOX_FAULT="lost-reply")
    caller = TwilioCaller(demo_app, call_sid=FIRST)
    answer = caller.walk(*five_today, "1")
    assert "could not confirm" in answer.said
    override_settings(demo_app, IVR_SANDBOX_FAULT="")
    answer = caller.press(answer, "2")  # more options
    for keys in ("2", *OTHER_AMOUNT, "5", "1", "1", *TO_READ_BACK[-4:]):  # another $5, a card
        answer = caller.press(answer, keys)
    assert card_entries(demo_app) == 1  # the second card, read back
    reconcile(db.sessions(demo_app), demo_app.extensions["ivr_gateway"], now=utcnow() + LATER)
    answer = caller.press(answer, "1")
    first, second = call_payments(demo_app, FIRST)
    assert first.status == "approved"
    assert second.status == "approved", (second.status, answer.said)
