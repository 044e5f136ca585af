"""Reconcile against a gateway whose search reaches back only so far (Authorize.Net's lists
of settled batches): a payment in doubt is looked for where it would be, and one older than
the search can vouch for is left for an operator, never recorded as "not charged".

The gateway talks to the stateful stand-in (tests/gateway_standins/authorize_net.py) on
requests-mock, over a real database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
import requests_mock as rm
from flask import Flask

from ivr.db import db
from ivr.errors import GatewayOutcomeUnknown
from ivr.payments.gateways.authorize_net import AuthorizeNetGateway
from ivr.payments.gateways.authorize_net_search import LOOKBACK
from ivr.payments.reconcile import ReconcileSummary, reconcile
from ivr.security.card_store import BankDetails
from tests.app_helpers import balance, texts
from tests.authorize_net_helpers import LOGIN, SECRET
from tests.gateway_standins.authorize_net import AuthorizeNetStandIn
from tests.schedule_helpers import get, schedule

SENT = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)
ACCOUNT = BankDetails("110000000", "000123456789", "checking")


@dataclass
class Bench:
    """Authorize.Net's stand-in and the gateway, on one clock the test moves."""

    now: datetime = SENT
    stand_in: AuthorizeNetStandIn = field(init=False)
    gateway: AuthorizeNetGateway = field(init=False)

    def install(self, mocker: rm.Mocker) -> Bench:
        """Answer on ``mocker``."""
        self.stand_in = AuthorizeNetStandIn(clock=lambda: self.now).install(mocker)
        self.gateway = AuthorizeNetGateway(LOGIN, SECRET, clock=lambda: self.now)
        return self


@pytest.fixture
def bench(requests_mock: rm.Mocker) -> Bench:
    return Bench().install(requests_mock)


def in_doubt(app: Flask, jordan: int, key: str) -> int:
    """A $50.00 bank debit whose answer was lost when it was sent at SENT; the payment."""
    return schedule(app, jordan, None, 5000, method="bank", status="unknown",
                    processing_since=SENT, idempotency_key=key, scheduled_for=None)


def test_a_debit_taken_more_than_a_week_ago_is_found_and_recorded_pending(
        app: Flask, jordan: int, bench: Bench) -> None:
    pid = in_doubt(app, jordan, "CA-lookback-1")
    bench.stand_in.fault = "lost-reply"
    with pytest.raises(GatewayOutcomeUnknown):
        bench.gateway.debit_bank(ACCOUNT, 5000, "CA-lookback-1", "Account 10001234")
    bench.stand_in.fault = ""
    bench.stand_in.settle()
    bench.now += timedelta(days=9)  # reconcile's cron was down
    assert reconcile(db.sessions(app), bench.gateway, now=bench.now) == ReconcileSummary(
        pending=1)
    assert get(app, pid).status == "pending"


def test_a_debit_never_made_and_too_old_to_look_up_is_left_for_an_operator(
        app: Flask, jordan: int, bench: Bench) -> None:
    pid = in_doubt(app, jordan, "CA-lookback-2")  # the request never reached the gateway
    held = balance(app, jordan)
    bench.now += LOOKBACK + timedelta(days=1)
    summary = reconcile(db.sessions(app), bench.gateway, now=bench.now)
    assert summary == ReconcileSummary(needs_review=1, too_old=1)
    assert summary.line().endswith("needing an operator 1 (1 too old for the gateway to "
                                   "look up)")
    payment = get(app, pid)
    assert (payment.status, payment.decline_code) == ("unknown", None)  # still held
    assert balance(app, jordan) == held and texts(app) == []


def test_a_debit_never_made_is_not_charged_while_the_search_can_see_it(
        app: Flask, jordan: int, bench: Bench) -> None:
    pid = in_doubt(app, jordan, "CA-lookback-3")
    bench.now += timedelta(days=3)
    assert reconcile(db.sessions(app), bench.gateway, now=bench.now) == ReconcileSummary(
        failed=1)
    assert (get(app, pid).status, get(app, pid).decline_code) == ("failed", "not_charged")


def test_the_summary_line_is_unchanged_without_payments_too_old() -> None:
    assert ReconcileSummary(needs_review=2).line() == (
        "Approved 0, declined 0, pending bank debits 0, not charged 0, still unknown 0, "
        "needing an operator 2")

