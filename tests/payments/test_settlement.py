"""Settling bank debits: each sandbox test account, returns, gateway failures, races."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask

from ivr.db import db
from ivr.errors import GatewayError
from ivr.payments.gateways.base import Settlement
from ivr.payments.gateways.sandbox import SandboxGateway
from ivr.payments.scheduled import RunSummary, run_scheduled
from ivr.payments.settlement import SettleSummary, settle_pending
from tests.app_helpers import addressed_texts, balance, texts
from tests.concurrency import at_once
from tests.schedule_helpers import (
    RUN_DAY,
    arrangement,
    arrangement_status,
    get,
    save_bank,
    schedule,
)

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


class SettlingGateway(SandboxGateway):
    """The sandbox, counting settlement look-ups; some references fail, answers can be slow."""

    def __init__(self, failing: frozenset[str] = frozenset(), delay: float = 0.0) -> None:
        self.asked: list[str] = []
        self.failing = failing
        self.delay = delay

    def settlement(self, reference: str) -> Settlement:
        """Count the look-up, then answer like the sandbox (or fail)."""
        self.asked.append(reference)
        if self.delay:
            threading.Event().wait(self.delay)
        if reference in self.failing:
            raise GatewayError("timed out")
        return super().settlement(reference)


def submit_debit(app: Flask, account_id: int, bank_number: str, cents: int = 5000,
                 **fields: Any) -> int:
    """A bank debit submitted by a scheduled run (status pending); the payment's id."""
    pid = schedule(app, account_id, save_bank(app, account_id, bank_number), cents,
                   method="saved_bank", **fields)
    assert run_scheduled(db.sessions(app), SandboxGateway(), RUN_DAY).pending == 1
    return pid


def test_settled_debit_is_approved(app: Flask, jordan: int) -> None:
    pid = submit_debit(app, jordan, "000123456789")
    before = texts(app)

    assert settle_pending(db.sessions(app), SandboxGateway(), now=NOW) == SettleSummary(settled=1)

    payment = get(app, pid)
    assert (payment.status, payment.settled_at, payment.decline_code) == ("approved", NOW, None)
    assert balance(app, jordan) == 12045 - 5000  # lowered once, at submission
    assert texts(app) == before


@pytest.mark.parametrize(("bank_number", "code", "words"), [
    ("000111111116", "no_account", "the bank could not find that account"),
    ("000111111113", "account_closed", "the bank account is closed"),
    ("000222222227", "insufficient_funds", "there were not enough funds in the account"),
    ("000333333335", "debit_not_authorized", "the account holder did not authorize the debit"),
])
def test_returned_debit_restores_the_balance_and_texts(
        app: Flask, jordan: int, bank_number: str, code: str, words: str) -> None:
    pid = submit_debit(app, jordan, bank_number)
    assert balance(app, jordan) == 12045 - 5000

    assert settle_pending(db.sessions(app), SandboxGateway(), now=NOW) == SettleSummary(returned=1)

    payment = get(app, pid)
    assert (payment.status, payment.decline_code, payment.settled_at) == ("returned", code, None)
    assert balance(app, jordan) == 12045
    to, body = addressed_texts(app)[-1]
    assert to == "+14155550100"
    assert body == (f"Your bank returned your payment of $50.00 to account ending 1234: {words}. "
                    "The amount is back on your balance. Please make another payment.")


def test_unknown_return_code_reads_as_other(app: Flask, jordan: int) -> None:
    class OddGateway(SandboxGateway):
        def settlement(self, reference: str) -> Settlement:
            return Settlement("returned", "R99")

    pid = submit_debit(app, jordan, "000123456789")

    assert settle_pending(db.sessions(app), OddGateway()) == SettleSummary(returned=1)
    assert get(app, pid).decline_code == "other"
    assert "the bank did not accept the debit" in texts(app)[-1]


def test_no_text_without_a_notify_number(app: Flask, jordan: int) -> None:
    submit_debit(app, jordan, "000111111116", notify_number=None)

    assert settle_pending(db.sessions(app), SandboxGateway()).returned == 1
    assert texts(app) == []
    assert balance(app, jordan) == 12045


def test_gateway_error_leaves_one_pending_and_carries_on(app: Flask, jordan: int) -> None:
    stuck = submit_debit(app, jordan, "000111111113", cents=1000)
    settles = submit_debit(app, jordan, "000123456789", cents=2000)
    gateway = SettlingGateway(failing=frozenset({get(app, stuck).gateway_reference or ""}))

    assert settle_pending(db.sessions(app), gateway) == SettleSummary(settled=1, still_pending=1)

    assert (get(app, stuck).status, get(app, settles).status) == ("pending", "approved")
    assert balance(app, jordan) == 12045 - 3000
    assert settle_pending(db.sessions(app), SandboxGateway()) == SettleSummary(returned=1)
    assert balance(app, jordan) == 12045 - 2000


def test_only_pending_debits_are_asked_about(app: Flask, jordan: int) -> None:
    submit_debit(app, jordan, "000123456789")
    gateway = SettlingGateway()

    assert settle_pending(db.sessions(app), gateway) == SettleSummary(settled=1)
    assert settle_pending(db.sessions(app), gateway) == SettleSummary()
    assert len(gateway.asked) == 1


def test_racing_settlements_restore_the_balance_once(app: Flask, jordan: int) -> None:
    pid = submit_debit(app, jordan, "000222222227")
    gateway = SettlingGateway(delay=0.05)
    results = at_once(3, lambda: settle_pending(db.sessions(app), gateway))

    assert sum(r.returned for r in results) == 1
    assert get(app, pid).status == "returned"
    assert balance(app, jordan) == 12045
    assert len(texts(app)) == 2  # "sent to your bank", then one "returned"


def test_settling_the_last_bank_instalment_completes_the_arrangement(
        app: Flask, jordan: int) -> None:
    plan = arrangement(app, jordan, save_bank(app, jordan), (6000, RUN_DAY), (6045, RUN_DAY))
    assert run_scheduled(db.sessions(app), SandboxGateway(), RUN_DAY) == RunSummary(pending=2)
    assert arrangement_status(app, plan) == "active"

    assert settle_pending(db.sessions(app), SandboxGateway()) == SettleSummary(settled=2)
    assert arrangement_status(app, plan) == "completed"
