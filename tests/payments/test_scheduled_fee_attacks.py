"""Attacks from review 4 on the fee of a scheduled card payment whose amount a run cuts."""

from __future__ import annotations

from decimal import Decimal

import pytest
from flask import Flask

from ivr.db import db
from ivr.payments import ledger
from ivr.payments.scheduled import run_scheduled
from ivr.settings_values import Fee
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


@pytest.mark.parametrize(("rule", "heard", "fee"), [
    (Fee(0, Decimal(10)), 1205, 200),  # 10%, as heard: 10% of $20.00
    (Fee(100, Decimal("2.5")), 401, 150),  # $1.00 + 2.5%: on $20.00, $1.50
    (Fee(250, Decimal(0)), 100, 100),  # the operator raised the fee since: never above $1.00
    (Fee(), 1205, 0),  # the fee was turned off since
])
def test_a_cut_amount_pays_the_fee_rule_on_what_is_charged(
        app: Flask, jordan: int, rule: Fee, heard: int, fee: int) -> None:
    pid = schedule(app, jordan, save_card(app, jordan), 12045, fee_cents=heard)
    with db.transaction(app) as session:
        ledger.bill(session.get_one(Account, jordan), 2000)
    gateway = CountingGateway()
    assert run_scheduled(db.sessions(app), gateway, RUN_DAY, fee=rule).approved == 1
    [(_, _, charged)] = gateway.calls
    assert (get(app, pid).amount_cents, get(app, pid).fee_cents, charged) == (
        2000, fee, 2000 + fee)


def test_an_amount_not_cut_keeps_the_fee_the_caller_heard(app: Flask, jordan: int) -> None:
    """Only a cut amount's fee is worked out again: a new rule never changes a fee agreed."""
    pid = schedule(app, jordan, save_card(app, jordan), 12045, fee_cents=1205)
    gateway = CountingGateway()
    assert run_scheduled(db.sessions(app), gateway, RUN_DAY, fee=Fee(0, Decimal(5))).approved == 1
    [(_, _, charged)] = gateway.calls
    assert (get(app, pid).fee_cents, charged) == (1205, 12045 + 1205)
