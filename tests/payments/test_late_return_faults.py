"""Attacks from review 4 on late returns: a worker killed at each point of recording one,
then settlement runs again; a return racing other writes to the account.

After recovery a settled debit that came back must be ``returned`` once: the amount given
back once, the payer texted once, and it is never asked about again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask

from ivr.db import db
from ivr.payments import ledger, settlement
from ivr.payments.gateways.sandbox import LATE_RETURN_AFTER, SANDBOX_LATE_RETURN, SandboxGateway
from ivr.payments.scheduled import run_scheduled
from ivr.payments.settlement import SettleSummary, settle_pending
from tests.app_helpers import addressed_texts, balance
from tests.fault_helpers import WorkerKilled, fire_once
from tests.schedule_helpers import RUN_DAY, get, save_bank, schedule

DEBITED = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)


class Clock:
    """The sandbox's and settlement's time, moved by the test."""

    def __init__(self) -> None:
        self.now = DEBITED

    def __call__(self) -> datetime:
        return self.now


@dataclass(frozen=True)
class Crash:
    """Where the worker dies while a late return is recorded."""

    name: str
    arm: Callable[[SandboxGateway, pytest.MonkeyPatch], None]

    def __str__(self) -> str:
        return self.name


CRASHES = [
    Crash("after the gateway answered, before anything is written",
          lambda gw, mp: fire_once(gw, "settlement", mp)),
    Crash("before the return is recorded", lambda gw, mp: fire_once(settlement, "_return", mp,
                                                                    before=True)),
    Crash("after the ledger moved, before the text and the commit",
          lambda gw, mp: fire_once(ledger, "move", mp)),
    Crash("after the text is queued, before the commit",
          lambda gw, mp: fire_once(settlement, "text_payer", mp)),
    Crash("after the commit", lambda gw, mp: fire_once(settlement, "_recheck_one", mp)),
]


def settled_debit(app: Flask, account_id: int, gateway: SandboxGateway, clock: Clock) -> int:
    """$50.00 debited from the sandbox's late-returning account and settled; the payment."""
    pid = schedule(app, account_id, save_bank(app, account_id, SANDBOX_LATE_RETURN), 5000,
                   method="saved_bank")
    assert run_scheduled(db.sessions(app), gateway, RUN_DAY).pending == 1
    clock.now += timedelta(days=1)
    assert settle_pending(db.sessions(app), gateway, now=clock.now) == SettleSummary(settled=1)
    return pid


@pytest.mark.parametrize("crash", CRASHES, ids=str)
def test_a_late_return_is_recorded_once_whatever_kills_the_run(
        app: Flask, jordan: int, monkeypatch: pytest.MonkeyPatch, crash: Crash) -> None:
    clock = Clock()
    gateway = SandboxGateway(clock=clock)
    pid = settled_debit(app, jordan, gateway, clock)
    texts_before = len(addressed_texts(app))
    clock.now = DEBITED + LATE_RETURN_AFTER
    crash.arm(gateway, monkeypatch)
    with pytest.raises(WorkerKilled):
        settle_pending(db.sessions(app), gateway, now=clock.now)
    monkeypatch.undo()
    returned = 0
    for later in (timedelta(0), timedelta(hours=1), timedelta(days=1), timedelta(days=2)):
        returned += settle_pending(db.sessions(app), gateway, now=clock.now + later).returned_late
    payment = get(app, pid)
    assert (payment.status, balance(app, jordan)) == ("returned", 12045)
    assert len(addressed_texts(app)) - texts_before == 1, "texted other than once"
    assert returned == (0 if crash.name == "after the commit" else 1)
