"""Scheduled payments and AutoPay, charged by a daily run that may start on several machines.

Each payment goes through three short steps, so no transaction is open while
the gateway is called:

1. claim it, committed: a conditional UPDATE ``scheduled -> processing`` (or
   creating the AutoPay row, whose idempotency key is unique), and decide what
   to charge; only the machine whose claim succeeded goes on;
2. charge its saved method with the payment's idempotency key;
3. record the result, only if the row is still ``processing``.

A machine that dies between 1 and 3 leaves the row ``processing``; after
``STALE_AFTER`` a later run charges it again with the same key, and the
gateway replays the first result instead of charging twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import Flask
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from flows.ports import DeclineReason
from ivr.confirmations import new_confirmation_number, queue_result_text
from ivr.db import db
from ivr.gateways import GatewayCharge, GatewayError, PaymentGateway, StoredCharge
from models import Account, Arrangement, AutopayEnrollment, Payment, SavedPaymentMethod
from models.base import utcnow
from models.payment import (
    APPROVED,
    CANCELLED,
    DECLINED,
    PENDING,
    PROCESSING,
    SAVED_BANK,
    SAVED_CARD,
    SCHEDULED,
)

log = logging.getLogger(__name__)

# Longer than any gateway call takes; a row still processing after this was abandoned.
STALE_AFTER = timedelta(minutes=10)
NOTHING_DUE = "nothing_due"
METHOD_REMOVED = "method_removed"
SKIPPED = "skipped"
AUTOPAY_PREFIX = "autopay-"


@dataclass(frozen=True)
class RunSummary:
    """What one run did: approved, declined, bank debits submitted, and left alone.

    ``skipped`` counts due payments this run did not charge: cancelled because
    nothing was due, claimed first by another machine, or a gateway failure
    (left ``processing`` for a later run to retry with the same key).
    """

    approved: int = 0
    declined: int = 0
    pending: int = 0
    skipped: int = 0


@dataclass(frozen=True)
class _Charge:
    """What to send the gateway for one claimed payment, read while claiming it."""

    payment_id: int
    request: StoredCharge


# A claim step: in its transaction, returns what to charge, a final outcome, or None.
_Claim = Callable[[Session], _Charge | str | None]


def run_scheduled(app: Flask, gateway: PaymentGateway, run_date: date,
                  now: datetime | None = None) -> RunSummary:
    """Charge abandoned, due scheduled and due AutoPay payments once each; summarise."""
    now = now or utcnow()
    claims: list[_Claim] = []
    with db.transaction(app) as session:
        stale = session.scalars(select(Payment.id).where(
            Payment.status == PROCESSING, Payment.updated_at < now - STALE_AFTER)).all()
        claims += [_bind(_reclaim_stale, payment_id, now) for payment_id in stale]
        claims += [_bind(_claim_due, payment_id, now) for payment_id in _due_ids(session, run_date)]
    outcomes = [_process(app, gateway, claim, now) for claim in claims]
    # AutoPay after scheduled payments, so it charges only what they left owing.
    outcomes += [_process(app, gateway, _bind(_create_autopay, account_id, now, run_date), now)
                 for account_id in _autopay_account_ids(app, run_date)]
    return RunSummary(approved=outcomes.count(APPROVED), declined=outcomes.count(DECLINED),
                      pending=outcomes.count(PENDING),
                      skipped=outcomes.count(SKIPPED) + outcomes.count(CANCELLED))


def _bind(step: Callable[..., _Charge | str | None], *args: object) -> _Claim:
    return lambda session: step(session, *args)


def _due_ids(session: Session, run_date: date) -> list[int]:
    """Scheduled payments due on or before ``run_date``, oldest first."""
    return list(session.scalars(
        select(Payment.id)
        .where(Payment.status == SCHEDULED, Payment.scheduled_for <= run_date)
        .order_by(Payment.scheduled_for, Payment.id)))


def _autopay_account_ids(app: Flask, run_date: date) -> list[int]:
    """Accounts with active AutoPay, due on ``run_date`` and owing something."""
    with db.transaction(app) as session:
        return list(session.scalars(
            select(Account.id).join(AutopayEnrollment, AutopayEnrollment.account_id == Account.id)
            .where(AutopayEnrollment.active.is_(True), Account.due_date == run_date,
                   Account.balance_cents > 0)
            .order_by(Account.id)))


def _process(app: Flask, gateway: PaymentGateway, claim: _Claim, now: datetime) -> str | None:
    """Claim, charge and record one payment; its outcome, or None if there was nothing to do."""
    try:
        with db.transaction(app) as session:
            claimed = claim(session)
    except IntegrityError:
        return SKIPPED  # another machine created this AutoPay payment first
    if not isinstance(claimed, _Charge):
        return claimed
    try:
        result = claimed.request.send(gateway)
    except GatewayError as error:
        log.warning("payment %s: gateway error, left for a later run: %s",
                    claimed.payment_id, error)
        return SKIPPED
    with db.transaction(app) as session:
        return _record(session, claimed.payment_id, result, now)


def _claim_due(session: Session, payment_id: int, now: datetime) -> _Charge | str:
    """Move a scheduled payment to processing unless another machine already did."""
    claimed = session.execute(
        update(Payment).where(Payment.id == payment_id, Payment.status == SCHEDULED)
        .values(status=PROCESSING, updated_at=now)
        .execution_options(synchronize_session=False))
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return SKIPPED
    payment = session.get_one(Payment, payment_id)
    return _decide(session, payment, now)


def _reclaim_stale(session: Session, payment_id: int, now: datetime) -> _Charge | str:
    """Take over an abandoned charge; its amount was decided when first claimed."""
    claimed = session.execute(
        update(Payment).where(Payment.id == payment_id, Payment.status == PROCESSING,
                              Payment.updated_at < now - STALE_AFTER)
        .values(updated_at=now)
        .execution_options(synchronize_session=False))
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return SKIPPED
    payment = session.get_one(Payment, payment_id)
    account = session.get_one(Account, payment.account_id)
    method = _method(session, payment)
    if method is None:
        return _finish(session, payment, account, DECLINED, METHOD_REMOVED, now)
    return _charge_for(payment, method, account)


def _create_autopay(session: Session, account_id: int, now: datetime,
                    run_date: date) -> _Charge | str | None:
    """Create this due date's AutoPay payment, already claimed; None if it exists."""
    key = f"{AUTOPAY_PREFIX}{account_id}-{run_date.isoformat()}"
    if session.scalar(select(Payment.id).where(Payment.idempotency_key == key)) is not None:
        return None
    account = session.get_one(Account, account_id)
    enrollment = session.scalars(
        select(AutopayEnrollment).where(AutopayEnrollment.account_id == account_id)).one()
    if account.balance_cents <= 0 or not enrollment.active:
        return None
    method = enrollment.payment_method
    payment = Payment(
        account_id=account_id, idempotency_key=key, amount_cents=account.balance_cents,
        fee_cents=0, status=PROCESSING, method=SAVED_BANK if method.kind == "bank" else SAVED_CARD,
        payment_method_id=method.id, notify_number=account.phone_e164, scheduled_for=run_date,
        created_at=now, updated_at=now)
    session.add(payment)
    session.flush()  # a concurrent creator's row makes this raise IntegrityError
    return _decide(session, payment, now)


def _decide(session: Session, payment: Payment, now: datetime) -> _Charge | str:
    """Before charging: cancel if nothing is owed, decline a removed method, cap the amount."""
    account = session.get_one(Account, payment.account_id)
    if account.balance_cents <= 0:
        return _finish(session, payment, account, CANCELLED, NOTHING_DUE, now)
    method = _method(session, payment)
    if method is None or method.removed_at is not None:
        return _finish(session, payment, account, DECLINED, METHOD_REMOVED, now)
    _copy_method_details(payment, method)
    if account.balance_cents < payment.amount_cents:
        # The payer paid another way since scheduling; never take more than is owed.
        payment.amount_cents = account.balance_cents
    payment.updated_at = now
    return _charge_for(payment, method, account)


def _method(session: Session, payment: Payment) -> SavedPaymentMethod | None:
    """The payment's saved method, if it has one belonging to the payment's account."""
    if payment.payment_method_id is None:
        return None
    method = session.get(SavedPaymentMethod, payment.payment_method_id)
    return method if method is not None and method.account_id == payment.account_id else None


def _copy_method_details(payment: Payment, method: SavedPaymentMethod) -> None:
    """Fill the card or bank details shown in exports and texts, when not already there."""
    if method.kind == "bank":
        payment.bank_account_type = payment.bank_account_type or method.bank_account_type
        payment.bank_last4 = payment.bank_last4 or method.last4
    else:
        payment.card_brand = payment.card_brand or method.brand
        payment.card_last4 = payment.card_last4 or method.last4


def _charge_for(payment: Payment, method: SavedPaymentMethod, account: Account) -> _Charge:
    """The gateway request for a claimed payment."""
    kind = "bank" if method.kind == "bank" else "card"
    detail = (method.bank_account_type if kind == "bank" else method.brand) or ""
    what = "AutoPay" if _is_autopay(payment) else "scheduled payment"
    return _Charge(payment.id, StoredCharge(
        kind=kind, token=method.gateway_token, label=detail, last4=method.last4,
        expiry_mmyy=method.expiry_mmyy or "", total_cents=payment.amount_cents + payment.fee_cents,
        idempotency_key=payment.idempotency_key,
        description=f"Account {account.account_number} ({what})"))


def _record(session: Session, payment_id: int, result: GatewayCharge, now: datetime) -> str:
    """Record the gateway's answer, unless another machine already recorded it."""
    payment = session.scalar(select(Payment).where(
        Payment.id == payment_id, Payment.status == PROCESSING).with_for_update())
    if payment is None:
        return SKIPPED
    account = session.get_one(Account, payment.account_id, with_for_update=True)
    payment.gateway_reference = result.reference or None
    if not result.approved:
        code = result.decline_reason or DeclineReason.DECLINED
        return _finish(session, payment, account, DECLINED, code.value, now)
    # Payments scheduled on a call were given their number then; the payer may have written it down.
    payment.confirmation_number = payment.confirmation_number or new_confirmation_number(session)
    # Never below zero: the payer may have paid another way while this was in flight.
    account.balance_cents -= min(payment.amount_cents, account.balance_cents)
    return _finish(session, payment, account, PENDING if result.pending else APPROVED, None, now)


def _finish(session: Session, payment: Payment, account: Account, status: str,
            code: str | None, now: datetime) -> str:
    """Set the final status, text the payer, and close a paid-up arrangement."""
    payment.status = status
    payment.decline_code = code
    payment.updated_at = now
    session.flush()
    queue_result_text(session, payment, account, autopay=_is_autopay(payment))
    if payment.arrangement_id is not None and status in (APPROVED, CANCELLED):
        complete_arrangement_if_paid(session, payment.arrangement_id)
    log.info("scheduled payment %s: %s %s", payment.id, status, code or "")
    return status


def _is_autopay(payment: Payment) -> bool:
    return payment.idempotency_key.startswith(AUTOPAY_PREFIX)


def complete_arrangement_if_paid(session: Session, arrangement_id: int) -> bool:
    """Mark an arrangement completed once no instalment is open and it is paid.

    Paid means every instalment was approved, or the account owes nothing (an
    instalment cancelled as ``nothing_due`` because the payer paid another way).
    """
    arrangement = session.get(Arrangement, arrangement_id, with_for_update=True)
    if arrangement is None or arrangement.status != "active":
        return False
    counts: dict[str, int] = {
        status: count for status, count in session.execute(
            select(Payment.status, func.count()).where(Payment.arrangement_id == arrangement_id)
            .group_by(Payment.status))}
    if any(counts.get(status, 0) for status in (SCHEDULED, PROCESSING, PENDING)):
        return False
    balance = session.get_one(Account, arrangement.account_id).balance_cents
    if counts.get(APPROVED, 0) < arrangement.instalments and balance > 0:
        return False
    arrangement.status = "completed"
    return True
