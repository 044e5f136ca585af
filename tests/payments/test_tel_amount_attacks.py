"""review3: a TEL debit is made for the amount the payer authorised, or not at all.

Each test states what must hold; a failing one is a finding of the review.
"""

from __future__ import annotations

from flask import Flask

from ivr.db import db
from ivr.payments import ledger
from ivr.payments.scheduled import run_scheduled
from models import Account
from tests.schedule_helpers import (
    RUN_DAY,
    SAM,
    CountingGateway,
    get,
    make_accounts,
    save_bank,
    schedule,
)

SAID = ("Today, November first, you, Sam Patel, authorize the biller to make a one-time "
        "electronic debit of eighty dollars from the checking account ending in 6 7 8 9 on "
        "November twenty-first. ... To authorize this debit, press 1.")


def test_a_scheduled_tel_debit_is_never_made_for_another_amount(app: Flask) -> None:
    # Sam authorised $80.00 on November 21st. A statement import then lowers the balance to
    # $30.00 (a credit). The run debits $30.00 under the $80.00 authorisation: an amount the
    # payer never heard (NACHA R11: "not in accordance with the terms of the authorization"),
    # and the payment row's amount is overwritten, so the record no longer shows the terms.
    sam = make_accounts(app)[SAM]
    pid = schedule(app, sam, save_bank(app, sam), 8000, method="saved_bank",
                   authorization_text=SAID, authorization_key="1")
    with db.transaction(app) as session:
        ledger.bill(session.get_one(Account, sam), 3000)
    gateway = CountingGateway()
    run_scheduled(db.sessions(app), gateway, RUN_DAY)
    debited = [cents for kind, _, cents in gateway.calls if kind == "bank"]
    assert debited in ([], [8000]), (
        f"debited {debited} under an authorisation for 8000; payment now "
        f"{get(app, pid).amount_cents}")
