"""Scheduled payments and AutoPay, charged by a daily run that may start on several machines.

Each payment goes through the same three short steps as a payment taken on a call:

1. claim it, committed: ``scheduled -> processing`` through the ledger (or create this due
   date's AutoPay payment as ``processing``: its idempotency key is unique), for no more than
   is payable now, and cancel it when nothing is; only the machine whose claim succeeded
   goes on;
2. charge it (:func:`ivr.payments.charges.charge`), with no transaction open;
3. record the answer through the ledger, only if the row is still ``processing``.

A machine that dies between 1 and 3 leaves the row ``processing`` with its amount held;
``ivr payments reconcile`` looks the charge up by its key after its grace period. A key is
never sent again by a later run. A gateway that refuses the request (nothing was charged)
fails the payment, and the payer is texted to pay another way.

The payments due, and the accounts whose AutoPay is, are read a batch at a time
(:mod:`ivr.payments.batches`): a first of the month may have thousands.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from sqlalchemy import Row, Select, select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ivr.db import SessionFactory, inline, lock, locked, transaction
from ivr.payments import charges, ledger
from ivr.payments.batches import BATCH, each_row
from ivr.payments.gateways.base import PaymentGateway
from ivr.settings_values import DEFAULT_TIMEZONE, Fee
from ivr.sms.payment_texts import AMOUNT_CHANGED, text_payer
from models import Account, AutopayEnrollment, Payment, SavedPaymentMethod
from models.payment import (
    APPROVED,
    CANCELLED,
    DECLINED,
    FAILED,
    PENDING,
    PROCESSING,
    SAVED_BANK,
    SAVED_CARD,
    SCHEDULED,
    UNKNOWN,
)

log = logging.getLogger(__name__)

NOTHING_DUE = "nothing_due"
METHOD_REMOVED = "method_removed"
SKIPPED = "skipped"
ERROR = "error"
AUTOPAY_PREFIX = "autopay-"
# AutoPay charges a due date on that day, or on a later run within these days (a missed run,
# or a payment in flight that covered it and then failed).
AUTOPAY_DAYS = timedelta(days=3)
# Accounts read per query for AutoPay: each is read through the accounts due, of which only
# some have AutoPay (a third reads about 300 accounts for 100).
AUTOPAY_BATCH = 100
_LINE_ZONE = ZoneInfo(DEFAULT_TIMEZONE)  # the biller's zone when IVR_TIMEZONE is unset


@dataclass(frozen=True)
class RunSummary:
    """What one run did.

    ``declined`` counts declines and requests the gateway refused (nothing was charged);
    ``unknown`` counts charges whose answer was lost (held until reconciled); ``skipped``
    counts due payments this run did not charge: cancelled because nothing was due, held
    back by a payment in flight, or claimed first by another machine; ``errors`` counts
    payments that failed unexpectedly (logged; the run went on).
    """

    approved: int = 0
    declined: int = 0
    pending: int = 0
    skipped: int = 0
    unknown: int = 0
    errors: int = 0


@dataclass(frozen=True)
class _ToCharge:
    """A claim's answer: the payment with this key is written ahead, ready to charge."""

    key: str


# A claim step: in its transaction, returns what to charge, a final outcome, or None.
_Claim = Callable[[Session], _ToCharge | str | None]


def run_scheduled(sessions: SessionFactory, gateway: PaymentGateway, run_date: date,
                  now: datetime | None = None, zone: tzinfo = _LINE_ZONE,
                  fee: Fee = ledger.NO_FEE) -> RunSummary:
    """Charge due scheduled and due AutoPay payments once each; summarise.

    ``now`` fixes the clock for tests; otherwise each payment reads it when it is claimed
    and when it is sent, so a long run never sends a charge older than its window.
    ``zone`` is the biller's (``IVR_TIMEZONE``): due dates are its dates. ``fee``
    (``IVR_CONVENIENCE_FEE``) is worked out again on a payment whose amount is cut, never
    above the fee written with it (see :func:`ledger.claim`).
    """
    due = each_row(sessions, lambda after: due_payments(run_date, after))
    outcomes = Counter(_process(sessions, gateway, _bind(_claim_due, row.id, now, fee), now)
                       for row in due)
    # AutoPay after scheduled payments, so it charges only what they left owing.
    autopay = each_row(sessions, lambda after: autopay_accounts(run_date, after), AUTOPAY_BATCH)
    outcomes.update(_process(sessions, gateway, _bind(_create_autopay, row.id, now, zone), now)
                    for row in autopay)
    return RunSummary(approved=outcomes[APPROVED],
                      declined=outcomes[DECLINED] + outcomes[FAILED],
                      pending=outcomes[PENDING], skipped=outcomes[SKIPPED] + outcomes[CANCELLED],
                      unknown=outcomes[UNKNOWN] + outcomes[PROCESSING], errors=outcomes[ERROR])


def _bind(step: Callable[..., _ToCharge | str | None], *args: object) -> _Claim:
    return lambda session: step(session, *args)


def due_payments(run_date: date, after: Row[int, date | None] | None = None,
                 ) -> Select[int, date | None]:
    """The next batch of scheduled payments due on or before ``run_date`` after ``after``,
    oldest first."""
    query = (select(Payment.id, Payment.scheduled_for)
             .where(Payment.status == inline(SCHEDULED), Payment.scheduled_for <= run_date)
             .order_by(Payment.scheduled_for, Payment.id).limit(BATCH))
    if after is None:
        return query
    return query.where(tuple_(Payment.scheduled_for, Payment.id)
                       > tuple_(after.scheduled_for, after.id))


def autopay_accounts(run_date: date, after: Row[int, date] | None = None,
                     ) -> Select[int, date]:
    """The next batch of accounts with active AutoPay, due in the last few days and owing
    something, after ``after``, by due date: read by the index on accounts' due dates, of
    which only those with AutoPay are kept (so a batch is smaller than a payments' one)."""
    query = (select(Account.id, Account.due_date)
             .join(AutopayEnrollment, AutopayEnrollment.account_id == Account.id)
             .where(AutopayEnrollment.active.is_(True),
                    Account.due_date.between(run_date - AUTOPAY_DAYS, run_date),
                    Account.balance_cents > 0)
             .order_by(Account.due_date, Account.id).limit(AUTOPAY_BATCH))
    if after is None:
        return query
    return query.where(tuple_(Account.due_date, Account.id) > tuple_(after.due_date, after.id))


def _process(sessions: SessionFactory, gateway: PaymentGateway, claim: _Claim,
             now: datetime | None) -> str | None:
    """Claim, charge and record one payment; its outcome, or None if there was nothing to do.

    One payment's failure is logged and counted, and the run goes on to the next.
    """
    try:
        with transaction(sessions) as session:
            claimed = claim(session)
        if not isinstance(claimed, _ToCharge):
            return claimed
        return charges.charge(sessions, gateway, claimed.key, now) or SKIPPED
    except IntegrityError:
        return SKIPPED  # another machine created this AutoPay payment first
    except Exception:
        log.exception("a scheduled payment could not be processed; the run goes on")
        return ERROR


def _claim_due(session: Session, payment_id: int, now: datetime | None,
               fee: Fee) -> _ToCharge | str:
    """Move a scheduled payment to processing unless another machine already did."""
    payment = session.scalar(locked(
        select(Payment).where(Payment.id == payment_id, Payment.status == SCHEDULED),
        skip_locked=True))
    if payment is None:
        return SKIPPED
    return _decide(session, payment, now, fee)


def _create_autopay(session: Session, account_id: int, now: datetime | None,
                    zone: tzinfo) -> _ToCharge | str | None:
    """Create the AutoPay payment for the account's due date, written ahead.

    None if there is nothing to do: it exists, AutoPay is off, it was turned on after this
    due date (in the biller's zone, as its written notice says), or nothing is payable (a
    payment in flight may cover it: a later run within :data:`AUTOPAY_DAYS` looks again).
    """
    account = lock(session, Account, account_id)
    key = f"{AUTOPAY_PREFIX}{account_id}-{account.due_date.isoformat()}"
    if session.scalar(select(Payment.id).where(Payment.idempotency_key == key)) is not None:
        return None
    enrollment = session.scalars(
        select(AutopayEnrollment).where(AutopayEnrollment.account_id == account_id)).one()
    payable = ledger.payable_cents(session, account)
    if payable <= 0 or not enrollment.active \
            or enrollment.enrolled_at.astimezone(zone).date() > account.due_date:
        return None  # (turned on after this due date: it starts with the next one)
    method = enrollment.payment_method
    payment = Payment(
        account_id=account_id, idempotency_key=key, amount_cents=payable, fee_cents=0,
        method=SAVED_BANK if method.kind == "bank" else SAVED_CARD,
        payment_method_id=method.id, notify_number=account.phone_e164,
        scheduled_for=account.due_date)
    if method.kind == "bank":  # each debit carries the standing authorisation it is made under
        payment.authorization_text = enrollment.authorization_text
        payment.authorized_at = enrollment.authorized_at
        payment.authorization_key = enrollment.authorization_key
    _copy_method_details(payment, method)
    # A concurrent creator's row makes this raise IntegrityError.
    ledger.write_ahead(session, payment, PROCESSING, now=now)
    if method.removed_at is not None:
        return _finish(session, payment, account, FAILED, METHOD_REMOVED, now)
    return _ToCharge(key)


def _decide(session: Session, payment: Payment, now: datetime | None,
            fee: Fee) -> _ToCharge | str:
    """Before charging: cap the amount to what is payable, fail a removed method, and
    cancel when nothing is owed; when a payment in flight holds it, wait for a later run.

    A debit authorised by telephone is never cut (see :func:`ledger.claim`): with less owed
    than was authorised it is cancelled and the payer texted why. Debiting the amount
    authorised instead would take more than is owed, which the ledger never does.
    """
    account = lock(session, Account, payment.account_id)
    payable = ledger.payable_cents(session, account)
    short = payable <= 0 or (bool(payment.authorization_text) and payable < payment.amount_cents)
    if short:
        if ledger.held_cents(session, account.id) > 0:
            return SKIPPED  # it may yet be declined: the next run decides
        code = NOTHING_DUE if payable <= 0 else AMOUNT_CHANGED
        return _finish(session, payment, account, CANCELLED, code, now)
    method = _method(session, payment)
    if method is None or method.removed_at is not None:
        return _finish(session, payment, account, FAILED, METHOD_REMOVED, now)
    _copy_method_details(payment, method)
    ledger.claim(session, payment, now, fee)  # never more than is owed now
    return _ToCharge(payment.idempotency_key)


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


def _finish(session: Session, payment: Payment, account: Account, status: str,
            code: str | None, now: datetime | None) -> str:
    """Settle a claimed payment without charging it: text the payer, close a paid arrangement."""
    ledger.move(session, payment, status, decline_code=code, now=now)
    text_payer(session, payment, account)
    log.info("scheduled payment %s: %s %s", payment.id, status, code or "")
    return status
