"""The ledger: the one place a payment's status or an account's balance changes.

Every allowed status change is declared once, in :data:`TRANSITIONS`; anything else raises
:class:`LedgerError`. A status either *counts* against the balance (approved, pending: money
taken, or a bank debit submitted), *holds* its amount (processing, unknown: it may have been
taken, so it cannot be paid again), or neither. Moving a payment applies the difference to
its account's balance, so the balance is always what was billed minus what counts. What was
billed is set here too: by :func:`bill` for one account, :func:`bill_many` for an import's.

Neither is ever written from what an object says it was: a session hands back the object it
first read, even to a later locking read, so it may be behind another transaction's commit.
A move is a compare-and-set on the status (``UPDATE ... WHERE status = :before``; when no row
changed, :class:`StatusChanged` and nothing written), and the balance changes by a delta in
SQL. Locking reads go through :func:`ivr.db.locked` and :func:`ivr.db.lock`, which refresh.

A balance below zero is a credit: money that arrived beyond what was owed is never clamped
away, and the moment it happens is audited.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Select, SQLColumnExpression, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from flows.money import convenience_fee
from ivr.db import inline, lock, locked
from ivr.errors import LedgerError, NotPayable, StatusChanged
from ivr.payments.confirmations import dollars_text, new_confirmation_number
from ivr.security.audit import record
from ivr.settings_values import Fee
from models import Account, Arrangement, Payment, utcnow
from models.payment import (
    APPROVED,
    BANK,
    CANCELLED,
    DECLINED,
    FAILED,
    PENDING,
    PROCESSING,
    RETURNED,
    SAVED_BANK,
    SCHEDULED,
    UNKNOWN,
)

NEW = "new"  # a payment not yet written
BillingInsert = postgresql.Insert | sqlite.Insert  # what bill_many upserts
NO_FEE = Fee()  # no convenience fee (IVR_CONVENIENCE_FEE unset)

TRANSITIONS: dict[str, frozenset[str]] = {
    NEW: frozenset({SCHEDULED, PROCESSING}),
    # Claimed by a run, cancelled (by the payer, or nothing due), or its method was removed.
    SCHEDULED: frozenset({PROCESSING, CANCELLED, FAILED}),
    # Written ahead of the gateway call; cancelled when a run finds nothing due.
    PROCESSING: frozenset({APPROVED, PENDING, DECLINED, FAILED, UNKNOWN, CANCELLED}),
    # The answer was lost: a late answer or a lookup at the gateway settles it.
    UNKNOWN: frozenset({APPROVED, PENDING, DECLINED, FAILED}),
    PENDING: frozenset({APPROVED, RETURNED}),  # a bank debit settles or comes back
    # A settled bank debit can still come back: NACHA lets the payer's bank return a consumer
    # debit as unauthorised (R05, R07, R10, R11) up to 60 days after settlement.
    APPROVED: frozenset({RETURNED}),
    DECLINED: frozenset(),
    FAILED: frozenset(),
    CANCELLED: frozenset(),
    RETURNED: frozenset(),
}
COUNTED = frozenset({APPROVED, PENDING})  # lowers what the account owes
HELD = frozenset({PROCESSING, UNKNOWN})  # may have been taken: not payable again
# Statuses that give the payer a number to quote.
NUMBERED = frozenset({SCHEDULED, APPROVED, PENDING, UNKNOWN})


def check_transition(before: str, after: str) -> None:
    """Raise :class:`LedgerError` unless ``before -> after`` is in the table."""
    if after not in TRANSITIONS.get(before, frozenset()):
        raise LedgerError(f"payment status {before} -> {after} is not allowed")


def held_query(account_id: int | SQLColumnExpression[int]) -> Select[int]:
    """SQL for what the account's payments in flight (processing or unknown) may have taken;
    ``account_id`` may be a column, to read it beside the account in one statement."""
    return (select(func.coalesce(func.sum(Payment.amount_cents), 0))
            .where(Payment.account_id == account_id,
                   Payment.status.in_([inline(status) for status in sorted(HELD)])))


def held_cents(session: Session, account_id: int) -> int:
    """What the account's payments in flight (processing or unknown) may have taken."""
    return int(session.scalar(held_query(account_id)) or 0)


def payable_cents(session: Session, account: Account) -> int:
    """What may be paid now: the balance less every held payment (0 or less: nothing)."""
    return account.balance_cents - held_cents(session, account.id)


def write_ahead(session: Session, payment: Payment, status: str = PROCESSING,
                now: datetime | None = None, actor: str = "system",
                locked_account: Account | None = None) -> Payment:
    """Add a new payment as ``processing`` (to be charged now) or ``scheduled``.

    The account is locked while its payable amount is checked, so two calls paying one
    account at once cannot both take what is owed. Raises :class:`NotPayable` when the
    amount is more than is payable now (nothing is written). ``locked_account``: the
    payment's account as the caller locked it (:func:`ivr.db.lock`) earlier in this
    transaction, which still holds the lock: not locked and read again.
    """
    check_transition(NEW, status)
    account = locked_account if locked_account is not None \
        and locked_account.id == payment.account_id else lock(session, Account, payment.account_id)
    if payment.amount_cents > payable_cents(session, account):
        raise NotPayable(f"{dollars_text(payment.amount_cents)} is more than is payable")
    payment.status = status
    if status == PROCESSING:
        payment.processing_since = now or utcnow()
    if status in NUMBERED and not payment.confirmation_number:
        payment.confirmation_number = new_confirmation_number(session)
    session.add(payment)
    session.flush()
    _audit(session, payment, NEW, actor)
    return payment


def move(session: Session, payment: Payment, status: str, *, reference: str | None = None,
         decline_code: str | None = None, now: datetime | None = None) -> str:
    """Change a payment's status and the balance with it; returns the status it had before.

    Only if the row is still in the status ``payment`` says: otherwise another request
    moved it since it was read, nothing is changed, ``payment`` is read afresh and
    :class:`StatusChanged` raised. Leaving the held statuses drops the gateway token kept
    for the charge in flight. Moving to ``processing`` (a run claiming a scheduled payment)
    raises :class:`NotPayable` like :func:`write_ahead`.
    """
    before = payment.status
    check_transition(before, status)
    if (before, status) == (APPROVED, RETURNED) and payment.method not in (BANK, SAVED_BANK):
        raise LedgerError(f"a {payment.method} payment cannot come back as a bank debit does")
    if status == PROCESSING:
        account = lock(session, Account, payment.account_id)
        if payment.amount_cents > payable_cents(session, account):
            raise NotPayable(f"{dollars_text(payment.amount_cents)} is more than is payable")
    _compare_and_set(session, payment, before,
                     _changes(session, payment, status, now or utcnow(), reference, decline_code))
    change = _counts(status) - _counts(before)
    account = _add_to_balance(session, payment.account_id, -change * payment.amount_cents)
    _audit(session, payment, before)
    if change > 0 and account.balance_cents < 0:
        credit = dollars_text(-account.balance_cents)
        record(session, "system", "credit", "overpaid", account_id=account.id,
               origin=payment.call_sid, detail=f"payment {payment.id} left a credit of {credit}")
    if payment.arrangement_id is not None:
        _follow_arrangement(session, payment.arrangement_id, status, account)
    return before


def _changes(session: Session, payment: Payment, status: str, moment: datetime,
             reference: str | None, decline_code: str | None) -> dict[str, Any]:
    """The columns a move to ``status`` sets (a reference or code only when given)."""
    values: dict[str, Any] = {"status": status, "updated_at": moment}
    if status == PROCESSING:
        values["processing_since"] = moment
    if status not in HELD:
        values["gateway_token"] = None
    if reference:
        values["gateway_reference"] = reference
    if decline_code is not None:
        values["decline_code"] = decline_code
    if status in NUMBERED and not payment.confirmation_number:
        # Kept if the row already has one the object has not seen.
        values["confirmation_number"] = func.coalesce(Payment.confirmation_number,
                                                      new_confirmation_number(session))
    return values


def _compare_and_set(session: Session, payment: Payment, before: str,
                     values: dict[str, Any]) -> None:
    """Write ``values`` only if the row is still ``before``; ``payment`` is read afresh
    either way. Raises :class:`StatusChanged` when no row changed."""
    result = cast(CursorResult[Any], session.execute(
        update(Payment).where(Payment.id == payment.id, Payment.status == before)
        .values(values).execution_options(synchronize_session=False)))
    session.refresh(payment)
    if result.rowcount != 1:
        raise StatusChanged(f"payment {payment.id} is {payment.status}, no longer {before}")


def _add_to_balance(session: Session, account_id: int, cents: int) -> Account:
    """Add ``cents`` to the balance as it is in the row (a delta, never a total worked out
    from an object read earlier); the account, locked and read afresh."""
    if cents:
        session.execute(update(Account).where(Account.id == account_id)
                        .values(balance_cents=Account.balance_cents + cents)
                        .execution_options(synchronize_session=False))
    return lock(session, Account, account_id)


def claim(session: Session, payment: Payment, now: datetime | None = None,
          fee: Fee = NO_FEE) -> None:
    """Claim a scheduled payment to be charged now, for no more than is payable now.

    The payer may have paid part of it another way since scheduling: the amount is cut to
    what is payable, except for a bank debit authorised by telephone (it has an
    ``authorization_text``), which is debited for the amount authorised or not at all (NACHA
    R11: a debit "not in accordance with the terms of the authorization"). A cut amount's
    fee is ``fee`` (``IVR_CONVENIENCE_FEE``) on the new amount, never more than the fee
    written (the one the payer heard). Raises :class:`NotPayable` when nothing is payable,
    or less than an authorised amount.
    """
    account = lock(session, Account, payment.account_id)
    payable = payable_cents(session, account)
    if payable <= 0:
        raise NotPayable("nothing is payable")
    if payment.authorization_text and payable < payment.amount_cents:
        raise NotPayable(f"less than the {dollars_text(payment.amount_cents)} authorised "
                         "is payable")
    if payable < payment.amount_cents:
        payment.amount_cents = payable
        payment.fee_cents = min(payment.fee_cents,
                                convenience_fee(payable, fee.flat_cents, fee.percent))
    move(session, payment, PROCESSING, now=now)


def add_past_payment(session: Session, payment: Payment) -> None:
    """Record a payment from the biller's own records as approved, for the caller's history.

    It changes no balance: the billed balance it came with already counts it.
    """
    payment.status = APPROVED
    session.add(payment)


def bill(account: Account, balance_cents: int) -> None:
    """Set what the biller says is owed (an import of its statement), credits included."""
    account.balance_cents = balance_cents


def bill_many(session: Session, accounts: BillingInsert, update: Mapping[str, Any],
              rows: Sequence[Mapping[str, Any]] = ()) -> int:
    """:func:`bill` for many accounts at once (an import's upsert by account number); how many
    were written. ``accounts`` is an INSERT into accounts (PostgreSQL's or SQLite's, of a
    SELECT or of ``rows``) at the billed balance; ``update`` sets an existing account's other
    columns, and its balance becomes the billed one. Only an account where some column IS
    DISTINCT FROM what is stored is written, and only then does its ``updated_at`` move."""
    stored = Account.__table__.c
    changes = {**update, "balance_cents": accounts.excluded.balance_cents}
    upsert = accounts.on_conflict_do_update(
        index_elements=[stored.account_number], set_={**changes, "updated_at": utcnow()},
        where=or_(*(stored[name].is_distinct_from(value) for name, value in changes.items())))
    upsert = upsert.execution_options(preserve_rowcount=True)  # an INSERT's, kept
    return session.connection().execute(upsert, list(rows) or None).rowcount


def _complete_arrangement_if_paid(session: Session, arrangement_id: int,
                                  account: Account) -> None:
    """Mark an arrangement completed once no instalment is open and it is paid.

    Paid means every instalment was approved, or the account owes nothing (an instalment
    cancelled as nothing due because the payer paid another way).
    """
    arrangement = session.scalar(locked(select(Arrangement)
                                        .where(Arrangement.id == arrangement_id)))
    if arrangement is None or arrangement.status != "active":
        return
    counts: dict[str, int] = {status: count for status, count in session.execute(
        select(Payment.status, func.count()).where(Payment.arrangement_id == arrangement_id)
        .group_by(Payment.status))}
    if any(counts.get(status, 0) for status in (SCHEDULED, PENDING, *HELD)):
        return
    if counts.get(APPROVED, 0) < arrangement.instalments and account.balance_cents > 0:
        return
    arrangement.status = "completed"


def _follow_arrangement(session: Session, arrangement_id: int, status: str,
                        account: Account) -> None:
    """Complete an arrangement once paid; reopen a completed one whose instalment came back
    (it is no longer paid)."""
    if status in (APPROVED, CANCELLED):
        _complete_arrangement_if_paid(session, arrangement_id, account)
    elif status == RETURNED:
        arrangement = session.scalar(locked(select(Arrangement)
                                            .where(Arrangement.id == arrangement_id)))
        if arrangement is not None and arrangement.status == "completed":
            arrangement.status = "active"


def _counts(status: str) -> int:
    return 1 if status in COUNTED else 0


def _audit(session: Session, payment: Payment, before: str, actor: str = "system") -> None:
    record(session, actor, "payment", payment.status, account_id=payment.account_id,
           origin=payment.call_sid,
           detail=f"payment {payment.id} {before} -> {payment.status}: "
                  f"{dollars_text(payment.amount_cents)} by {payment.method}")
