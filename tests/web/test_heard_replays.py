"""Attacks from review 4 on the terms heard (``CallState.heard``) through the signed webhooks:
the fee changes, the caller has the terms read again with star, and Twilio redelivers the
turns around it, out of order. One debit, of the total read last, with the words read last."""

from __future__ import annotations

from flask import Flask

from flows.authorisation import AGREE_DEBIT, agree_option
from flows.speech import Money, render, speak_value
from ivr.config import override_settings
from tests.app_helpers import call_payments
from tests.menu_helpers import JORDAN_NEW_BANK
from tests.twilio_helpers import Answer, TwilioCaller

JORDAN_BANK_TODAY = (*JORDAN_NEW_BANK, "1", "110000000", "000123456789",
                     "000123456789")  # the full balance today, from a new checking account


def authorisation_in(answer: Answer) -> str:
    """The <Say>s of the authorisation read in ``answer``, to the option that agrees."""
    said = [say.text or "" for say in answer.root.iter("Say")]
    first = next(n for n, text in enumerate(said) if text.startswith("Today, "))
    return " ".join(said[first:said.index(render(agree_option(AGREE_DEBIT))) + 1])


def test_star_then_replays_of_every_turn_debit_once_what_was_read_last(
        demo_app: Flask) -> None:
    override_settings(demo_app, IVR_BILLER_NAME="Riverside Water",
                      IVR_BILLER_PHONE="+18005550199", IVR_CONVENIENCE_FEE="1.00")
    caller = TwilioCaller(demo_app)
    first_read = caller.walk(*JORDAN_BANK_TODAY)
    assert speak_value(Money(12145)) in authorisation_in(first_read)
    override_settings(demo_app, IVR_CONVENIENCE_FEE="2.00")
    read_again = caller.press(first_read, "*")
    words = authorisation_in(read_again)
    assert speak_value(Money(12245)) in words
    # The "1" the caller meant for the first reading, delivered late: it is that turn's
    # redelivery, and gets that turn's answer.
    assert caller.press(first_read, "1").raw == read_again.raw
    assert call_payments(demo_app) == []
    paid = caller.press(read_again, "1")
    for old in (first_read, read_again, first_read):  # every turn again, out of order
        caller.press(old, "1")
        caller.press(old, "*")
    caller.post("/voice/status", CallStatus="completed", CallDuration="120")
    [payment] = call_payments(demo_app)
    assert (payment.amount_cents, payment.fee_cents, payment.status) == (12045, 200, "pending")
    assert payment.authorization_text == words, paid.said
