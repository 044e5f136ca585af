"""A call saved mid-flight by the previous version goes on after an upgrade."""

from __future__ import annotations

import json
from typing import Any

from flask import Flask
from sqlalchemy import select

from ivr.db import db
from models import CallSession, Payment
from tests.menu_helpers import JORDAN_NEW_BANK
from tests.twilio_helpers import Answer, TwilioCaller

BANK_ACCOUNT = "000123456789"
# Pay the full balance today from a new savings account, up to its second entry.
TO_SECOND_BANK_ENTRY = (*JORDAN_NEW_BANK, "2", "110000000", BANK_ACCOUNT)


def as_previous_version(caller: TwilioCaller) -> dict[str, Any]:
    """Rewrite the call's saved state as the previous version saved it at this point: the
    draft as flat keys, the bank account being keyed as an untyped ``source`` dict."""
    with db.transaction(caller.app) as session:
        call = session.get_one(CallSession, caller.call_sid)
        state = dict(call.flow_state)
        draft = state.pop("draft")
        entry = draft["method"]
        assert entry["kind"] == "bank_entry"
        state.update(purpose=draft["purpose"], amount_cents=draft["amount_cents"],
                     scheduled_for=None, arrangement=None,
                     source={"kind": "bank", "label": entry["account_type"], "last4": ""},
                     bank_routing=entry["routing"], bank_fingerprint=entry["fingerprint"])
        call.flow_state = state
        return state


def test_a_bank_entry_saved_by_the_previous_version_is_finished_and_paid(
        demo_app: Flask) -> None:
    caller = TwilioCaller(demo_app)
    answer = caller.walk(*TO_SECOND_BANK_ENTRY)
    old = as_previous_version(caller)
    assert old["bank_fingerprint"] and "draft" not in old
    read_back = caller.press(answer, BANK_ACCOUNT)
    assert "from the savings account ending in 6 7 8 9" in read_back.said
    paid = caller.press(read_back, "1")
    assert "submitted" in paid.said
    with db.transaction(demo_app) as session:
        [payment] = session.scalars(select(Payment).where(Payment.call_sid == caller.call_sid))
        assert (payment.amount_cents, payment.status) == (12045, "pending")


def test_a_hang_up_forgets_what_the_previous_version_saved(demo_app: Flask) -> None:
    caller = TwilioCaller(demo_app)
    caller.walk(*TO_SECOND_BANK_ENTRY)
    digest = as_previous_version(caller)["bank_fingerprint"]
    answer: Answer = caller.post("/voice/status", CallStatus="completed", CallDuration="30")
    assert answer.status == 200
    with db.transaction(demo_app) as session:
        saved = session.get_one(CallSession, caller.call_sid).flow_state
    assert saved["draft"] is None and digest not in json.dumps(saved)
