"""Charging a payment the ledger has written ahead, with no transaction open at the gateway.

1. The payment is already committed as ``processing`` (by a call's authorisation, a
   scheduled run's claim or AutoPay), with its amount, token and idempotency key.
2. :func:`charge` reads it and sends it to the gateway, with no transaction open.
3. It records the answer through the ledger in a second transaction, unless another
   request recorded it first.

A crash between the steps leaves a row that says what may have happened: ``processing``
(perhaps sent) or ``unknown`` (sent, the answer lost), its amount held so nobody pays it
again. A retried request runs :func:`charge` again with the same key, which the gateway
answers with its first result; a key is only ever sent while younger than
:data:`CHARGE_WINDOW`, and after that ``ivr payments reconcile`` looks the charge up instead.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from flows.ports import DeclineReason
from flows.speech import charge_description
from ivr.db import SessionFactory, locked, transaction
from ivr.errors import GatewayError, GatewayOutcomeUnknown
from ivr.payments import ledger
from ivr.payments.gateways.base import BANK as BANK_KIND
from ivr.payments.gateways.base import CARD as CARD_KIND
from ivr.payments.gateways.base import GatewayCharge, PaymentGateway, StoredCharge
from ivr.security import card_store
from ivr.security.card_store import BankDetails, CardDetails
from ivr.sms.payment_texts import text_payer
from models import Account, CallSession, Payment, SavedPaymentMethod, utcnow
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

# A key older than this is never sent again (Stripe may prune keys after 24 hours, and a
# worker that stalled this long must not charge behind reconcile's back).
CHARGE_WINDOW = timedelta(minutes=2)


@dataclass(frozen=True)
class Answer:
    """What became of one request to the gateway, as a ledger status.

    ``refused``: the gateway turned this one request away before carrying it out. That
    proves nothing about another request with the same key, so it fails the payment only
    when no other may have gone out, and never settles one already in doubt.
    """

    status: str  # approved | pending | declined | failed | unknown
    reference: str | None = None
    decline_code: str | None = None
    refused: bool = False
    reusable: str = ""  # the gateway's token for a new method charged, to keep on file
    expiry_mmyy: str = ""  # a new card's expiry, to keep with it


@dataclass(frozen=True)
class Request:
    """A payment ready to send: its row, and the gateway request rebuilt from it."""

    payment_id: int
    stored: StoredCharge


def charge(sessions: SessionFactory, gateway: PaymentGateway, idempotency_key: str,
           now: datetime | None = None, card_key: bytes | None = None) -> str | None:
    """Send the ``processing`` payment with this key and record the answer; its status.

    None when there was nothing to send or record: no such payment, already recorded by
    another request, or too old to send. ``card_key`` opens the card store, for a card or
    bank account keyed on a call.
    """
    with transaction(sessions) as session:
        request = prepare(session, idempotency_key, now, card_key)
    if request is None:
        return None
    answer = send(gateway, request.stored)
    with transaction(sessions) as session:
        return record(session, request.payment_id, answer)


def prepare(session: Session, key: str, now: datetime | None = None,
            card_key: bytes | None = None) -> Request | None:
    """The request for the ``processing`` payment with this key, if it may be sent now.

    Only while younger than :data:`CHARGE_WINDOW`: after that, reconcile looks it up. The
    attempt is counted in the caller's transaction, which must commit before it is sent.
    A card or account keyed for it that is no longer held cannot be sent: the payment is
    recorded as failed then (or unknown, if an earlier attempt may have gone out).
    """
    payment = session.scalar(locked(select(Payment).where(Payment.idempotency_key == key)))
    if payment is None or payment.status != PROCESSING or payment.twilio_pay:
        return None
    # A clock fixed in the past (a test, a stalled run) never makes an old payment look young.
    moment = max(now, utcnow()) if now else utcnow()
    if payment.processing_since is None or moment - payment.processing_since > CHARGE_WINDOW:
        log.warning("payment %s is too old to send again; reconcile looks it up", payment.id)
        return None
    stored = stored_charge(session, payment, card_key)
    if stored is None:
        log.warning("payment %s: the card or account keyed for it is no longer held", payment.id)
        lost = Answer(UNKNOWN) if payment.send_attempts else \
            Answer(FAILED, decline_code=DeclineReason.PROCESSING_ERROR.value)
        record(session, payment.id, lost)
        return None
    payment.send_attempts += 1  # committed before the request goes out
    return Request(payment.id, stored)


def send(gateway: PaymentGateway, stored: StoredCharge) -> Answer:
    """One request to the gateway, its answer or failure told as a ledger status."""
    try:
        answer = answer_of(stored.send(gateway))
        if isinstance(stored.keyed, CardDetails):
            answer = replace(answer, expiry_mmyy=stored.keyed.expiry_mmyy)
        return answer
    except GatewayOutcomeUnknown as error:
        log.warning("outcome unknown for %s: %s", stored.idempotency_key, error)
        return Answer(UNKNOWN)
    except GatewayError as error:
        # Refused before this request was carried out: this request took nothing.
        log.warning("gateway refused %s: %s", stored.idempotency_key, error)
        return Answer(FAILED, decline_code=DeclineReason.PROCESSING_ERROR.value, refused=True)


def answer_of(result: GatewayCharge) -> Answer:
    """A gateway's definite answer as a ledger status."""
    if result.approved:
        return Answer(PENDING if result.pending else APPROVED, result.reference or None,
                      reusable=result.reusable)
    reason = result.decline_reason or DeclineReason.DECLINED
    return Answer(DECLINED, result.reference or None, reason.value)


def record(session: Session, payment_id: int, answer: Answer,
           late: bool = False) -> str | None:
    """Record ``answer`` unless another request recorded one first; text the payer.

    Returns the status recorded, or None when it was not this request's to record. A
    definite answer also settles an ``unknown`` payment (a concurrent retry may have lost
    its reply while this one got it). ``late``: the payer was not told at the time.
    """
    payment = session.scalar(locked(select(Payment).where(Payment.id == payment_id)))
    if payment is None:
        raise LookupError(f"payment {payment_id} is gone")
    if answer.refused and payment.send_attempts > 1:
        answer = Answer(UNKNOWN)  # an earlier request with this key may have charged
    settles = payment.status == PROCESSING or (payment.status == UNKNOWN
                                               and answer.status != UNKNOWN
                                               and not answer.refused)
    if not settles:
        return None
    before = ledger.move(session, payment, answer.status, reference=answer.reference,
                         decline_code=answer.decline_code)
    if is_new_method(payment) and payment.call_sid:
        # The outcome is recorded: what the caller keyed for it goes in this transaction.
        card_store.delete(session, payment.call_sid, payment.idempotency_key)
        if answer.status in (APPROVED, PENDING) and answer.reusable and not late \
                and call_is_open(session, payment.call_sid):
            # The caller may still ask to keep it on file, on this call only.
            payment.keep_token, payment.keep_expiry = answer.reusable, answer.expiry_mmyy or None
    account = session.get_one(Account, payment.account_id)
    text_payer(session, payment, account, late=late or before == UNKNOWN)
    return payment.status


def call_is_open(session: Session, call_sid: str) -> bool:
    """The call is still going on: no status callback or housekeeping has closed it."""
    call = session.get(CallSession, call_sid)
    return call is None or call.ended_at is None


def forget_keep_tokens(session: Session, call_sid: str) -> None:
    """The call is over: a new method it paid with was not kept on file, and never will be."""
    session.execute(update(Payment).where(Payment.call_sid == call_sid,
                                          Payment.keep_token.is_not(None))
                    .values(keep_token=None, keep_expiry=None)
                    .execution_options(synchronize_session=False))


def is_new_method(payment: Payment) -> bool:
    """Paid with a card or bank account keyed on the call (not one on file, not <Pay>)."""
    return payment.payment_method_id is None and not payment.twilio_pay


def stored_charge(session: Session, payment: Payment,
                  card_key: bytes | None = None) -> StoredCharge | None:
    """The gateway request for a payment: what it charges, its total and key, the same every
    time; None when it was keyed on the call and is no longer held."""
    method = session.get(SavedPaymentMethod, payment.payment_method_id) \
        if payment.payment_method_id is not None else None
    bank = method.kind == "bank" if method is not None else payment.method in (BANK, SAVED_BANK)
    token = payment.gateway_token or (method.gateway_token if method else "")
    keyed = None
    if not token:
        # A card or account keyed on the call (an earlier version's vault token aside).
        held = card_store.get(session, card_key, payment.call_sid, payment.idempotency_key) \
            if card_key and payment.call_sid else None
        if held is None or isinstance(held, CardDetails) == bank or \
                (isinstance(held, CardDetails) and not held.complete):
            return None
        keyed = held
    account = session.get_one(Account, payment.account_id)
    if isinstance(keyed, BankDetails):
        keyed = replace(keyed, holder_name=account.name)  # the name on the bill
    return StoredCharge(
        kind=BANK_KIND if bank else CARD_KIND, token=token,
        total_cents=payment.amount_cents + payment.fee_cents,
        idempotency_key=payment.idempotency_key,
        description=charge_description(charge_kind(payment), account.account_number),
        keyed=keyed)


def charge_kind(payment: Payment) -> str:
    """Which ``text.charge.*`` names the payment at the gateway."""
    if payment.idempotency_key.startswith("autopay-"):
        return "autopay"
    return "scheduled" if payment.scheduled_for else "phone"
