"""Accounts, saved methods and scheduled payments written straight to the database, and a
gateway that counts what it is asked to charge: for the tests of scheduled runs, settlement,
exports, the audit trail and the operator commands."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, date, datetime
from typing import Any

from flask import Flask
from sqlalchemy import select

from flows.cards import card_brand
from ivr.db import db
from ivr.errors import GatewayError
from ivr.ops.accounts_import import import_accounts
from ivr.payments.gateways.base import GatewayCharge
from ivr.payments.gateways.sandbox import SandboxGateway
from ivr.security.card_store import BankDetails, CardDetails
from ivr.security.pins import pins_of
from models import Account, Arrangement, Payment, SavedPaymentMethod

ACCOUNTS = (
    "account_number,name,phone,pin,balance,due_date,zip\n"
    "10001234,Jordan Rivera,(415) 555-0100,2468,120.45,2026-12-05,94105\n"
    "20005678,Sam Patel,212-555-0199,1357,89.10,2026-11-21,10001\n"
    "40007890,Morgan Lee,,4321,0.00,2026-11-21,30301\n"
)
JORDAN, SAM, MORGAN = "10001234", "20005678", "40007890"
RUN_DAY = date(2026, 11, 21)
ENROLLED = datetime(2026, 11, 1, 12, tzinfo=UTC)  # AutoPay turned on before the due dates
PHONE = "+14155550100"


class CountingGateway(SandboxGateway):
    """The sandbox, counting every charge and debit; optionally slow, failing or blocking."""

    def __init__(self, delay: float = 0.0) -> None:
        super().__init__()
        self.calls: list[tuple[str, str, int]] = []  # (kind, idempotency key, cents)
        self.delay = delay
        self.fail = False
        self.entered = threading.Event()
        self.release: threading.Event | None = None
        self._lock = threading.Lock()

    def _count(self, kind: str, key: str, cents: int) -> None:
        with self._lock:
            self.calls.append((kind, key, cents))
        self.entered.set()
        if self.release is not None:
            self.release.wait(10)
        if self.delay:
            threading.Event().wait(self.delay)
        if self.fail:
            raise GatewayError("gateway unreachable")

    def charge_card(self, card: CardDetails, amount_cents: int, idempotency_key: str,
                    description: str) -> GatewayCharge:
        """Count, then charge like the sandbox."""
        self._count("card", idempotency_key, amount_cents)
        return super().charge_card(card, amount_cents, idempotency_key, description)

    def debit_bank(self, bank: BankDetails, amount_cents: int, idempotency_key: str,
                   description: str) -> GatewayCharge:
        """Count, then debit like the sandbox."""
        self._count("bank", idempotency_key, amount_cents)
        return super().debit_bank(bank, amount_cents, idempotency_key, description)

    def charge_saved(self, kind: str, token: str, amount_cents: int, idempotency_key: str,
                     description: str) -> GatewayCharge:
        """Count, then charge the method on file like the sandbox."""
        self._count(kind, idempotency_key, amount_cents)
        return super().charge_saved(kind, token, amount_cents, idempotency_key, description)


def make_accounts(app: Flask, text: str = ACCOUNTS) -> dict[str, int]:
    """Import accounts; account number -> id."""
    with db.transaction(app) as session:
        import_accounts(session, text.splitlines(keepends=True), pins_of(app))
        return {a.account_number: a.id for a in session.scalars(select(Account))}


def save_card(app: Flask, account_id: int, number: str = "4242424242424242") -> int:
    """A saved card for the account, vaulted by the sandbox; its id."""
    token = SandboxGateway().save_card(CardDetails(number, "1230", "123", "94105"))
    return save_row(app, SavedPaymentMethod(account_id=account_id, kind="card",
                                         brand=str(card_brand(number)), gateway_token=token,
                                         last4=number[-4:], expiry_mmyy="1230"))


def save_bank(app: Flask, account_id: int, number: str = "000123456789") -> int:
    """A saved checking account for the account (sandbox test routing number); its id."""
    token = SandboxGateway().save_bank(BankDetails("110000000", number, "checking"))
    return save_row(app, SavedPaymentMethod(account_id=account_id, kind="bank",
                                         gateway_token=token, bank_account_type="checking",
                                         last4=number[-4:]))


def save_row(app: Flask, row: Any) -> int:
    """Add one row; its id."""
    with db.transaction(app) as session:
        session.add(row)
        session.flush()
        return int(row.id)


def schedule(app: Flask, account_id: int, method_id: int | None, cents: int,
             on: date = RUN_DAY, **fields: Any) -> int:
    """A scheduled payment with a saved method; its id."""
    values: dict[str, Any] = {
        "account_id": account_id, "payment_method_id": method_id, "amount_cents": cents,
        "status": "scheduled", "scheduled_for": on, "method": "saved_card",
        "idempotency_key": f"sched-{uuid.uuid4().hex}", "notify_number": PHONE}
    return save_row(app, Payment(**(values | fields)))


def get(app: Flask, payment_id: int) -> Payment:
    """The payment as it is now."""
    with db.transaction(app) as session:
        return session.get_one(Payment, payment_id)


def arrangement(app: Flask, account_id: int, method_id: int, *cents_on: tuple[int, date]) -> int:
    """An active arrangement whose instalments are scheduled payments; its id."""
    arrangement_id = save_row(app, Arrangement(account_id=account_id, instalments=len(cents_on),
                                            total_cents=sum(c for c, _ in cents_on)))
    for cents, on in cents_on:
        schedule(app, account_id, method_id, cents, on=on, arrangement_id=arrangement_id)
    return arrangement_id


def arrangement_status(app: Flask, arrangement_id: int) -> str:
    """The arrangement's status now."""
    with db.transaction(app) as session:
        return session.get_one(Arrangement, arrangement_id).status
