"""Attacks from review 4 on reconcile with ``since`` (Authorize.Net's bounded search): the
worker killed around each commit, then the debit found weeks later comes back late."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
import requests_mock as rm
from flask import Flask

from ivr.db import db
from ivr.errors import GatewayOutcomeUnknown
from ivr.payments import charges
from ivr.payments.gateways.authorize_net import AuthorizeNetGateway
from ivr.payments.reconcile import reconcile
from ivr.payments.settlement import settle_pending
from ivr.security.card_store import BankDetails
from tests.app_helpers import addressed_texts, balance
from tests.authorize_net_helpers import LOGIN, SECRET
from tests.fault_helpers import WorkerKilled, fire_once
from tests.gateway_standins.authorize_net import LATE_AFTER, AuthorizeNetStandIn
from tests.schedule_helpers import get, schedule

SENT = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)
LATE_RETURNING = BankDetails("110000000", "000555555559", "checking")
KEY = "CA-since-faults-1"


class Days:
    """The stand-in's, the gateway's and the jobs' time."""

    def __init__(self) -> None:
        self.now = SENT

    def __call__(self) -> datetime:
        return self.now


CRASHES: dict[str, Callable[[AuthorizeNetGateway, pytest.MonkeyPatch], None]] = {
    "after the lookup": lambda gw, mp: fire_once(gw, "find_charge", mp),
    "before the answer is recorded": lambda gw, mp: fire_once(charges, "record", mp,
                                                              before=True),
    "after the answer is recorded": lambda gw, mp: fire_once(charges, "record", mp),
}


@pytest.mark.parametrize("crash", list(CRASHES))
def test_a_debit_found_late_then_returned_late_counts_once(
        app: Flask, jordan: int, requests_mock: rm.Mocker, monkeypatch: pytest.MonkeyPatch,
        crash: str) -> None:
    days = Days()
    stand_in = AuthorizeNetStandIn(clock=days).install(requests_mock)
    gateway = AuthorizeNetGateway(LOGIN, SECRET, clock=days)
    pid = schedule(app, jordan, None, 5000, method="bank", status="unknown",
                   processing_since=SENT, idempotency_key=KEY, scheduled_for=None)
    stand_in.fault = "lost-reply"
    with pytest.raises(GatewayOutcomeUnknown):
        gateway.debit_bank(LATE_RETURNING, 5000, KEY, "Account 10001234")
    stand_in.fault = ""
    stand_in.settle()
    days.now += timedelta(days=9)  # reconcile's cron was down for a week
    CRASHES[crash](gateway, monkeypatch)
    with pytest.raises(WorkerKilled):
        reconcile(db.sessions(app), gateway, now=days.now)
    monkeypatch.undo()
    reconcile(db.sessions(app), gateway, now=days.now)
    assert (get(app, pid).status, balance(app, jordan)) == ("pending", 12045 - 5000)
    texts_before = len(addressed_texts(app))
    settle_pending(db.sessions(app), gateway, now=days.now)  # settled 9 days ago
    assert get(app, pid).status == "approved"
    days.now = SENT + LATE_AFTER  # the payer's bank sends it back
    for _ in range(3):
        settle_pending(db.sessions(app), gateway, now=days.now)
        days.now += timedelta(days=1)
    assert (get(app, pid).status, balance(app, jordan)) == ("returned", 12045)
    assert len(addressed_texts(app)) - texts_before == 1
