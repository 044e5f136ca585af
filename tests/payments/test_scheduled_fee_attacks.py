"""Attacks from review 4 on the fee of a scheduled card payment whose amount a run cuts."""

from __future__ import annotations

from flask import Flask

from ivr.db import db
from ivr.payments import ledger
from ivr.payments.scheduled import run_scheduled
from models import Account
from tests.schedule_helpers import RUN_DAY, CountingGateway, get, save_card, schedule


def test_a_percentage_fee_is_not_charged_on_an_amount_that_was_cut(app: Flask,
                                                                    jordan: int) -> None:
    """The caller scheduled $120.45 with a 10% fee and heard "a fee of $12.05, $132.50 in
    all". The biller's next statement leaves $20.00 owed, so the run cuts the card payment
    to $20.00 (``ledger.claim``) but still charges the $12.05 fee written for $120.45:
    $32.05, a 60% fee the caller never heard, on a payment of $20.00. ``stored_charge``
    adds ``fee_cents`` as written; ``claim`` never revisits it."""
    pid = schedule(app, jordan, save_card(app, jordan), 12045, fee_cents=1205)
    with db.transaction(app) as session:
        ledger.bill(session.get_one(Account, jordan), 2000)  # a statement import
    gateway = CountingGateway()
    assert run_scheduled(db.sessions(app), gateway, RUN_DAY).approved == 1
    assert get(app, pid).amount_cents == 2000
    [(_, _, charged)] = gateway.calls
    assert charged <= 2000 + 200, f"charged {charged} cents for a $20.00 payment at 10%"
