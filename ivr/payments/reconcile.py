"""``ivr payments reconcile``: settle every payment whose outcome is not known, by looking it up.

It takes every ``unknown`` payment (the gateway's answer was lost) and every ``processing``
one older than :data:`GRACE` (a worker died between writing it and recording the answer), and
asks the gateway what happened to its idempotency key (:meth:`PaymentGateway.find_charge`),
never replaying the key. A charge found is recorded with the gateway's answer. None found,
once the payment is older than the grace period, is ``failed`` (nothing was taken) only when
the gateway's lookup is read-after-write (``lookup_read_after_write``: it shows a charge as
soon as it is made); from one that may lag, "not found" proves nothing, so the payment stays
in doubt and is reported for an operator, and looked up again on the next run. Per gateway:

- Stripe: the List PaymentIntents API, which Stripe says is not subject to its search's delay
  (docs.stripe.com/search, "Data freshness"); the search is a fallback trusted only with a
  charge that succeeded (:mod:`~ivr.payments.gateways.stripe_lookup`).
- Authorize.Net: the Transaction Details API's lists, assumed current: they are its own
  transaction records and it documents no delay for them.
- The sandbox: the charge record the charge itself wrote.

They are read a batch at a time (:mod:`ivr.payments.batches`). Each payment is its own pair
of short transactions and the answer is recorded only if no one else has, so any number of
runs on any number of machines give the same result.

The gateway is told when the payment was written ahead (``since``), so a search that reaches
back only so far (Authorize.Net's, Stripe's list) looks where the charge would be. A payment
older than its search can vouch for is never called "not charged": it stays in doubt, its
amount held, and is reported for an operator, as is a payment charged by Twilio's ``<Pay>``
(it carries no key of ours, so it cannot be looked up). The operator settles either with
``ivr payments resolve``, which records a processor's reference for one payment only.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Row, Select, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ivr.db import SessionFactory, inline, transaction
from ivr.errors import ChargeOutOfSight, GatewayError, GatewayOutcomeUnknown
from ivr.payments import charges
from ivr.payments.batches import BATCH, each_row
from ivr.payments.charges import Answer, answer_of
from ivr.payments.gateways.base import PaymentGateway
from models import Payment, utcnow
from models.payment import (
    APPROVED,
    BANK,
    DECLINED,
    FAILED,
    PENDING,
    PROCESSING,
    SAVED_BANK,
    UNKNOWN,
)

log = logging.getLogger(__name__)

# Longer than a charge may be sent (CHARGE_WINDOW) plus the gateway's timeouts: a processing
# payment this old is not being charged by anyone any more, nor its charge still being made.
GRACE = timedelta(minutes=10)
NOT_CHARGED = "not_charged"  # the decline code of a payment the gateway has no record of
NEEDS_REVIEW = "needs_review"
TOO_OLD = "too_old"  # needs an operator: older than the gateway's search can vouch for
STILL = "still_unknown"
OTHER = "settled_elsewhere"


@dataclass(frozen=True)
class ReconcileSummary:
    """What one reconcile run found."""

    approved: int = 0
    declined: int = 0
    pending: int = 0
    failed: int = 0
    still_unknown: int = 0
    needs_review: int = 0  # all that need an operator, too_old included
    too_old: int = 0  # older than the gateway's search can vouch for

    def line(self) -> str:
        """One line for the operator (naming those too old to look up, when there are any)."""
        line = (f"Approved {self.approved}, declined {self.declined}, pending bank debits "
                f"{self.pending}, not charged {self.failed}, still unknown "
                f"{self.still_unknown}, needing an operator {self.needs_review}")
        if self.too_old:
            line += f" ({self.too_old} too old for the gateway to look up)"
        return line


def reconcile(sessions: SessionFactory, gateway: PaymentGateway,
              now: datetime | None = None) -> ReconcileSummary:
    """Look up every payment in doubt once and record what the gateway says."""
    now = now or utcnow()
    outcomes = Counter(_reconcile_one(sessions, gateway, row.id, now)
                       for row in each_row(sessions, lambda after: in_doubt(now, after)))
    return ReconcileSummary(
        approved=outcomes[APPROVED], declined=outcomes[DECLINED], pending=outcomes[PENDING],
        failed=outcomes[FAILED], still_unknown=outcomes[STILL],
        needs_review=outcomes[NEEDS_REVIEW] + outcomes[TOO_OLD], too_old=outcomes[TOO_OLD])


def in_doubt(now: datetime, after: Row[int] | None = None) -> Select[int]:
    """The next batch of payments in doubt after ``after``, in id order: every ``unknown``
    one, and every ``processing`` one older than :data:`GRACE`.

    The statuses are written into the SQL (:func:`ivr.db.inline`): a generic plan would take
    them for common ones, and read the payments in id order, all ten million, to find a few."""
    query = (select(Payment.id).where(or_(
                Payment.status == inline(UNKNOWN),
                (Payment.status == inline(PROCESSING)) & (Payment.processing_since < now - GRACE)))
             .order_by(Payment.id).limit(BATCH))
    return query if after is None else query.where(Payment.id > after.id)


def _reconcile_one(sessions: SessionFactory, gateway: PaymentGateway, payment_id: int,
                   now: datetime) -> str:
    with transaction(sessions) as session:
        payment = session.get_one(Payment, payment_id)
        if payment.status not in (PROCESSING, UNKNOWN):
            return OTHER  # another machine settled it meanwhile
        if payment.twilio_pay:
            return NEEDS_REVIEW
        key, since = payment.idempotency_key, payment.processing_since or payment.created_at
    answer = _look_up(gateway, key, since, old=now - since > GRACE,
                      final=gateway.lookup_read_after_write)
    if not isinstance(answer, Answer):
        return answer
    with transaction(sessions) as session:
        status = charges.record(session, payment_id, answer, late=True)
    if status is None:
        return OTHER  # another machine settled it meanwhile
    return status if status != UNKNOWN else STILL


def _look_up(gateway: PaymentGateway, key: str, since: datetime, old: bool,
             final: bool) -> Answer | str:
    """The gateway's answer for ``key``; STILL while it cannot say (or may not yet know), or
    TOO_OLD / NEEDS_REVIEW when only an operator can. ``final``: "not found" is an answer."""
    try:
        found = gateway.find_charge(key, since=since)
    except ChargeOutOfSight as error:
        log.warning("payment %s needs an operator (ivr payments resolve): %s", key, error)
        return TOO_OLD
    except GatewayOutcomeUnknown as error:
        log.info("payment %s is still being processed: %s", key, error)
        return STILL
    except GatewayError as error:
        log.warning("could not look up payment %s: %s", key, error)
        return STILL
    if found is not None:
        return answer_of(found)
    if not old:
        return STILL  # a charge sent a moment ago may not be recorded at the gateway yet
    if not final:
        log.warning("payment %s is not found by a lookup that may lag; it needs an operator "
                    "(ivr payments resolve)", key)
        return NEEDS_REVIEW
    # Nothing there, by a lookup that shows every charge made: nothing was taken.
    return Answer(FAILED, decline_code=NOT_CHARGED)


def resolve_by_hand(sessions: SessionFactory, idempotency_key: str, reference: str | None,
                    now: datetime | None = None) -> str:
    """Record what an operator found at the processor for a payment in doubt; its new status.

    ``reference`` is the processor's id of the charge (a bank debit becomes ``pending``, to
    settle or come back like any other), or None when it has no such charge. Raises
    LookupError when no payment in doubt has that key, it may still be in flight, or another
    payment already stands for that charge (one charge taken once must never pay twice).
    """
    try:
        with transaction(sessions) as session:
            payment = _in_doubt(session, idempotency_key, now or utcnow())
            if reference:
                _refuse_held(session, payment, reference)
            bank = payment.method in (BANK, SAVED_BANK)
            answer = Answer(FAILED, decline_code=NOT_CHARGED) if not reference else \
                Answer(PENDING if bank else APPROVED, reference)
            return charges.record(session, payment.id, answer, late=True) or payment.status
    except IntegrityError as error:
        # Another operator recorded the same reference for another payment meanwhile: the
        # unique index on payments.gateway_reference refused this one.
        if "gateway_reference" not in str(error.orig):
            raise
        raise LookupError(f"that charge reference was recorded for another payment "
                          f"meanwhile; payment {idempotency_key} is unchanged") from None


def _in_doubt(session: Session, idempotency_key: str, now: datetime) -> Payment:
    """The payment in doubt with this key, old enough that it is no longer being sent."""
    payment = session.scalar(select(Payment).where(
        Payment.idempotency_key == idempotency_key,
        Payment.status.in_((PROCESSING, UNKNOWN))))
    if payment is None:
        raise LookupError(f"no payment in doubt has the key {idempotency_key}")
    since = payment.processing_since
    if payment.status == PROCESSING and since and now - since < GRACE:
        raise LookupError(f"payment {idempotency_key} may still be in flight; "
                          f"try again after {GRACE.seconds // 60} minutes")
    return payment


def _refuse_held(session: Session, payment: Payment, reference: str) -> None:
    """Raise LookupError when another payment already holds the processor's ``reference``."""
    holder = session.scalar(select(Payment.idempotency_key).where(
        Payment.gateway_reference == reference, Payment.id != payment.id))
    if holder is not None:
        raise LookupError(f"that charge reference already stands for payment {holder}; "
                          f"payment {payment.idempotency_key} is unchanged (check the "
                          f"reference at the processor)")
