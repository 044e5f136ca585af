"""``ivr payments reconcile``: settle payments whose gateway answer was lost.

Each ``unknown`` payment is replayed with its own idempotency key. A gateway
answers a replay with the first request's result, so this never charges twice:
it only finds out what happened, records it and texts the payer.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from flows.speech import render, say
from ivr.audit import record
from ivr.confirmations import dollars_text, method_text
from ivr.db import db
from ivr.gateways import GatewayCharge, GatewayError, PaymentGateway, StoredCharge
from ivr.sms import queue_text
from models import Account, Payment
from models.payment import APPROVED, BANK, DECLINED, PENDING, SAVED_BANK, UNKNOWN

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReconcileSummary:
    """What one reconcile run found."""

    approved: int = 0
    declined: int = 0
    pending: int = 0
    still_unknown: int = 0


def reconcile_unknown(app: Flask, gateway: PaymentGateway) -> ReconcileSummary:
    """Replay every ``unknown`` payment once and record what the gateway says."""
    with db.transaction(app) as session:
        ids = list(session.scalars(select(Payment.id).where(Payment.status == UNKNOWN)
                                   .order_by(Payment.id)))
    outcomes = [_reconcile_one(app, gateway, payment_id) for payment_id in ids]
    return ReconcileSummary(approved=outcomes.count(APPROVED), declined=outcomes.count(DECLINED),
                            pending=outcomes.count(PENDING),
                            still_unknown=outcomes.count(UNKNOWN))


def _reconcile_one(app: Flask, gateway: PaymentGateway, payment_id: int) -> str:
    with db.transaction(app) as session:
        payment = session.get_one(Payment, payment_id)
        if payment.status != UNKNOWN:
            return payment.status  # another machine reconciled it meanwhile
        replay = _replay_of(payment)
    try:
        outcome = replay.send(gateway)
    except GatewayError as error:
        # Still no answer, or a refusal that says nothing about the first request.
        log.warning("payment %s still unknown: %s", payment_id, error)
        return UNKNOWN
    with db.transaction(app) as session:
        payment = session.get_one(Payment, payment_id, with_for_update=True)
        if payment.status != UNKNOWN:
            return payment.status
        _apply(session, payment, outcome)
        return payment.status


def _replay_of(payment: Payment) -> StoredCharge:
    """The same charge or debit as the first time: same token, amount and key."""
    bank = payment.method in (BANK, SAVED_BANK)
    return StoredCharge(
        kind="bank" if bank else "card", token=payment.gateway_token or "",
        label=(payment.bank_account_type if bank else payment.card_brand) or "",
        last4=(payment.bank_last4 if bank else payment.card_last4) or "", expiry_mmyy="",
        total_cents=payment.amount_cents + payment.fee_cents,
        idempotency_key=payment.idempotency_key,
        description=f"Account {payment.account.account_number} (phone payment)")


def _apply(session: Session, payment: Payment, outcome: GatewayCharge) -> None:
    account = session.get_one(Account, payment.account_id, with_for_update=True)
    payment.gateway_token = None  # no longer needed: the outcome is known
    payment.gateway_reference = outcome.reference or payment.gateway_reference
    if outcome.approved:
        payment.status = PENDING if outcome.pending else APPROVED
        account.balance_cents = max(0, account.balance_cents - payment.amount_cents)
        template = "sms.reconciled_approved"
    else:
        payment.status = DECLINED
        payment.decline_code = (outcome.decline_reason.value if outcome.decline_reason
                                else "card_declined")
        template = "sms.reconciled_declined"
    record(session, "system", "reconcile", payment.status, account_id=account.id,
           origin=payment.call_sid, detail=f"payment {payment.id}")
    if payment.notify_number:
        reason = render(say(f"sms.decline_reason.{payment.decline_code}")) \
            if payment.status == DECLINED else ""
        queue_text(session, payment.notify_number, render(say(
            template, amount=dollars_text(payment.amount_cents),
            account_last4=account.account_number[-4:], method=method_text(payment),
            confirmation_number=payment.confirmation_number, reason=reason)))
