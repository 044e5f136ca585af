"""Attacks from review 4 on ``ivr payments run-scheduled --date``: a date after today."""

from __future__ import annotations

from flask import Flask

from ivr.config import override_settings
from tests.app_helpers import call_payments
from tests.menu_helpers import JORDAN_LATER
from tests.twilio_helpers import TwilioCaller

# Jordan schedules the full balance for December 1st from a new checking account (TEL).
BANK_ON_DECEMBER_1 = (*JORDAN_LATER, "1201", "2", "1", "110000000",
                      "000123456789", "000123456789")


def test_a_debit_authorised_for_a_later_date_is_not_made_today(demo_app: Flask) -> None:
    """The payer authorised a debit "on or after December 1st" (and may cancel it until
    then). Today is November 21st; an operator re-running a missed day types the wrong date
    (or a script passes tomorrow's), and the run debits it now: ``--date`` is taken as is,
    and ``due_payments`` charges everything scheduled up to it. Nothing compares it with
    today in ``IVR_TIMEZONE``."""
    override_settings(demo_app, IVR_BILLER_NAME="Riverside Water",
                      IVR_BILLER_PHONE="+18005550199")
    caller = TwilioCaller(demo_app)
    said = caller.press(caller.walk(*BANK_ON_DECEMBER_1), "1").said
    [payment] = call_payments(demo_app)
    assert payment.status == "scheduled", said
    result = demo_app.test_cli_runner().invoke(
        args=["payments", "run-scheduled", "--date", "2026-12-01"])
    [payment] = call_payments(demo_app)
    assert payment.status == "scheduled", (
        f"debited on 2026-11-21 though authorised on or after 2026-12-01: {payment.status}; "
        f"{result.output}")
