"""Status callbacks with odd values still close the call; SIP caller IDs up to 255 characters."""

from __future__ import annotations

import pytest
from flask import Flask

from tests.app_helpers import call_row
from tests.twilio_helpers import TO_SECOND_BANK_ENTRY, TwilioCaller

PREFIX = "sip:alice@example.com;transport=tls;x-route="
SIP = PREFIX + "r" * (255 - len(PREFIX))
LARGEST = 2**31 - 1


@pytest.mark.parametrize(("duration", "seconds"), [
    ("42", 42), ("-5", 0), ("99999999999999", LARGEST), ("12.7", 12), ("abc", None),
    ("", None), ("nan", None), ("1e400", LARGEST), ("9" * 5000, LARGEST),
])
def test_odd_status_callbacks_still_close_the_call(demo_app: Flask, duration: str,
                                                   seconds: int | None) -> None:
    caller = TwilioCaller(demo_app)
    caller.walk(*TO_SECOND_BANK_ENTRY)
    assert call_row(demo_app, caller.call_sid).flow_state["draft"]["method"]["fingerprint"]

    answer = caller.post("/voice/status", CallStatus="completed" + "x" * 291,
                         CallDuration=duration)

    assert answer.status == 200 and answer.root.tag == "Response"
    row = call_row(demo_app, caller.call_sid)
    assert row.ended_at is not None
    assert row.flow_state["draft"] is None
    assert row.call_status == ("completed" + "x" * 291)[:20]
    assert row.duration_seconds == seconds


def test_a_status_callback_for_an_unanswered_sip_call_is_recorded(demo_app: Flask) -> None:
    caller = TwilioCaller(demo_app, caller=SIP + "-too-long", extra={"To": SIP + "-also"})

    answer = caller.post("/voice/status", CallStatus="no-answer", CallDuration="-1")

    assert answer.status == 200
    row = call_row(demo_app, caller.call_sid)
    assert (row.state, row.call_status, row.duration_seconds) == ("never_answered",
                                                                  "no-answer", 0)
    assert (row.from_number, row.to_number) == (SIP, SIP)
    assert row.ended_at is not None


def test_a_call_from_a_255_character_sip_uri_is_answered(demo_app: Flask) -> None:
    assert len(SIP) == 255
    caller = TwilioCaller(demo_app, caller=SIP, extra={"To": SIP})

    answer = caller.start()

    assert "Enter your account number" in answer.said, answer.said
    row = call_row(demo_app, caller.call_sid)
    assert (row.from_number, row.to_number) == (SIP, SIP)
    assert "Enter your PIN." in caller.press(answer, "10001234").said
