"""The money invariants every fault test ends with, read from the database as it is.

The sandbox's own table (``sandbox_charges``) is the gateway's ledger: every charge it
carried out. The line's ledger is ``payments`` and the accounts' balances. After recovery:

* every gateway charge is exactly one payment that counts (approved or pending) with the
  same idempotency key and total, or, before recovery, a payment in doubt (processing or
  unknown) that says it may have happened; every counting payment was charged;
* nothing was charged that a caller did not authorise (each key is in ``authorised``);
* no account was charged more than it owed when the caller authorised;
* every balance is its starting balance less the payments that count;
* nothing is left in doubt (processing or unknown), when ``settled`` is asked for.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping

from flask import Flask
from sqlalchemy import select

from ivr.db import db
from models import Account, Payment, SandboxCharge
from models.payment import APPROVED, PENDING, PROCESSING, UNKNOWN

COUNTING = (APPROVED, PENDING)


def balances(app: Flask) -> dict[int, int]:
    """Every account's balance now, by id."""
    with db.transaction(app) as session:
        return {row.id: row.balance_cents
                for row in session.execute(select(Account.id, Account.balance_cents))}


def check_money(app: Flask, start: Mapping[int, int], authorised: Collection[str] | None = None,
                settled: bool = True, history: Collection[int] = ()) -> None:
    """Assert the invariants; ``history`` are ids of payments loaded before the test."""
    with db.transaction(app) as session:
        charged = {c.idempotency_key: c for c in session.scalars(
            select(SandboxCharge).where(SandboxCharge.approved.is_(True)))}
        payments = [p for p in session.scalars(select(Payment)) if p.id not in history]
        session.expunge_all()
    counting = [p for p in payments if p.status in COUNTING and not p.twilio_pay]
    in_doubt = [p for p in payments if p.status in (PROCESSING, UNKNOWN)]
    keys = Counter(p.idempotency_key for p in counting)
    assert not [k for k, n in keys.items() if n > 1], f"a key counted twice: {keys}"
    assert set(keys) <= set(charged), f"counted but never charged: {set(keys) - set(charged)}"
    # A charge not (yet) counted must have a row saying it may have happened.
    unexplained = set(charged) - set(keys) - {p.idempotency_key for p in in_doubt}
    assert not unexplained, f"charged with no record: {sorted(unexplained)}"
    for payment in counting:
        charge = charged[payment.idempotency_key]
        assert charge.amount_cents == payment.amount_cents + payment.fee_cents, payment.id
    if authorised is not None:
        assert set(charged) <= set(authorised), (
            f"charged without authorisation: {set(charged) - set(authorised)}")
    taken = Counter[int]()
    for payment in payments:
        if payment.status in COUNTING:
            taken[payment.account_id] += payment.amount_cents
    now = balances(app)
    for account_id, owed in start.items():
        assert taken[account_id] <= max(owed, 0), (
            f"account {account_id}: {taken[account_id]} taken, only {owed} was owed")
        assert now[account_id] == owed - taken[account_id], (
            f"account {account_id}: balance {now[account_id]}, ledger says "
            f"{owed} - {taken[account_id]}")
    if settled:
        assert not in_doubt, f"payments still in doubt: {[(p.id, p.status) for p in in_doubt]}"


def history_ids(app: Flask) -> set[int]:
    """Payments already in the database (the demo's history)."""
    with db.transaction(app) as session:
        return set(session.scalars(select(Payment.id)))


def gateway_charges(app: Flask) -> list[tuple[str, int]]:
    """Every charge the sandbox carried out: (key, total cents)."""
    with db.transaction(app) as session:
        return [(c.idempotency_key, c.amount_cents) for c in session.scalars(
            select(SandboxCharge).where(SandboxCharge.approved.is_(True)))]


def demo_history(app: Flask) -> set[int]:
    """The demo's payment history (loaded from fixtures, never taken on the line)."""
    with db.transaction(app) as session:
        return set(session.scalars(select(Payment.id)
                                   .where(Payment.idempotency_key.startswith("demo:"))))
