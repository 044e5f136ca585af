"""Ports for paying: holding what the caller keys, writing payments ahead, methods on file.

A card or bank account the caller keys is held encrypted in the card store
(:mod:`ivr.security.card_store`) until its charge is recorded. A payment taken now is only
*written* here (``processing``, its amount held); the gateway is called by
:mod:`ivr.payments.charges` before the next turn, with no transaction open.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from flows.ports import (
    CaptureResult,
    CardPart,
    ChargeResult,
    DeclineReason,
    KeptMethod,
    PaymentOrder,
    PaymentSource,
    SavedMethod,
)
from ivr.db import lock, locked, read_once, serialise
from ivr.errors import CardEntryLost, GatewayError, StatusChanged
from ivr.payments import charges, ledger
from ivr.ports.limits import AttemptLimits
from ivr.ports.methods import is_keyed, keep_for_later, keep_on_file, methods_on_file, saved_view
from ivr.security import card_store
from ivr.security.audit import caller_actor
from ivr.security.card_store import BankDetails, CardDetails
from ivr.sms.notices import notice_payment, tel_complete
from ivr.sms.payment_texts import text_payer
from models import Account, Payment, utcnow
from models.payment import (
    APPROVED,
    BANK,
    CANCELLED,
    CARD,
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


def result_of(payment: Payment) -> ChargeResult:
    """What the flow is told about a payment written ahead."""
    number = payment.confirmation_number
    if payment.status == PROCESSING:
        return ChargeResult(approved=False, processing=True, confirmation_number=number)
    if payment.status == UNKNOWN:
        return ChargeResult(approved=False, unknown=True, confirmation_number=number)
    if payment.status in (APPROVED, PENDING, SCHEDULED):
        return ChargeResult(approved=True, confirmation_number=number,
                            pending=payment.status == PENDING,
                            scheduled=payment.status == SCHEDULED,
                            keep_token=payment.keep_token or "")
    known = {reason.value for reason in DeclineReason}
    code = payment.decline_code if payment.decline_code in known else None
    if payment.status == FAILED or code is None:
        code = DeclineReason.PROCESSING_ERROR.value
    return ChargeResult(approved=False, decline_reason=DeclineReason(code))


KEEPING_FOR_LATER = 0x4B454550  # "KEEP": the advisory lock keep_for_later takes per account


class PaymentPorts(AttemptLimits):
    """Holding what is keyed, writing payments ahead, their results, saving methods."""

    def hold_card_part(self, call_sid: str, part: CardPart, value: str) -> bool:
        """Hold one part of the card being keyed, encrypted; the number starts a new card."""
        if part is CardPart.NUMBER:
            card_store.put(self.session, self.card_key, call_sid, CardDetails(value))
            return True
        held = card_store.get(self.session, self.card_key, call_sid)
        if not isinstance(held, CardDetails):
            return False
        card_store.put(self.session, self.card_key, call_sid,
                       replace(held, **{part.value: value}))
        return True

    def hold_bank_account(self, call_sid: str, routing: str, number: str,
                          account_type: str) -> None:
        """Hold the bank account keyed (twice), encrypted, until its debit is recorded."""
        card_store.put(self.session, self.card_key, call_sid,
                       BankDetails(routing, number, account_type))

    def keep_for_later(self, account_id: int, source: PaymentSource, call_sid: str,
                       idempotency_key: str, amount_cents: int) -> KeptMethod:
        """Keep a new method on file for later dates, unless the limits or the balance
        refuse it first (the gateway is not asked then); a gateway's refusal is a declined
        attempt, counted like any other.

        From the count to the end of the turn, across the gateway call (seconds: its save
        has short timeouts), no other call keeps a method for this account: parallel calls
        ask the gateway one after another, each counting the attempts committed before it,
        so no more cards reach the issuer in a day than the limit allows. The account's row
        is not locked meanwhile: its payments never wait for the gateway.
        """
        serialise(self.session, KEEPING_FOR_LATER, account_id)
        account = self.session.get_one(Account, account_id, populate_existing=True)
        limit = self._decline_limit(account_id, call_sid)
        if limit is not None:
            self._audit_limit(account_id, call_sid, None, limit)
            return KeptMethod(refused=DeclineReason.TOO_MANY_DECLINES, retry_allowed=False)
        if amount_cents > ledger.payable_cents(self.session, account):
            return KeptMethod(refused=DeclineReason.BALANCE_CHANGED)
        try:
            return KeptMethod(saved_id=keep_for_later(self, account_id, source, call_sid).id)
        except CardEntryLost:
            return KeptMethod(refused=DeclineReason.ENTRY_LOST)
        except GatewayError as error:
            log.warning("call %s: a new method was not kept for later: %s", call_sid, error)
            card_store.delete(self.session, call_sid)
            self._declined_attempt(account_id, source, call_sid, idempotency_key, amount_cents)
            limit = self._decline_limit(account_id, call_sid)
            return KeptMethod(refused=DeclineReason.NOT_KEPT, retry_allowed=limit is None)

    def _declined_attempt(self, account_id: int, source: PaymentSource, call_sid: str,
                          key: str, amount_cents: int) -> None:
        """A payment attempt the gateway refused before anything could be charged: written,
        then declined, so the limits that stop card testing count it."""
        order = PaymentOrder(account_id=account_id, amount_cents=amount_cents, fee_cents=0,
                             source=source, idempotency_key=key, call_sid=call_sid,
                             notify_number=None)
        payment = self._new_payment(order)
        ledger.write_ahead(self.session, payment, PROCESSING, actor=caller_actor(None))
        ledger.move(self.session, payment, DECLINED, decline_code=DeclineReason.NOT_KEPT.value)

    def saved_methods(self, account_id: int) -> list[SavedMethod]:
        """Methods on file, oldest first: read once a turn while it changes nothing."""
        return list(read_once(self.session, (SavedMethod, account_id),
                              lambda: methods_on_file(self.session, account_id)))

    def save_method(self, account_id: int, source: PaymentSource) -> SavedMethod:
        """Keep on file the new card or bank account just paid with, by the token the
        gateway gave for it (``source.token``)."""
        paid = self.session.scalar(locked(select(Payment).where(
            Payment.account_id == account_id, Payment.keep_token == source.token))) \
            if source.token else None
        if paid is None:
            raise PermissionError("no new method of this account's call to keep")
        kind = "bank" if source.is_bank else "card"
        token = self.gateway.keep(kind, source.token)
        kept = replace(source, expiry_mmyy=paid.keep_expiry or "")
        paid.keep_token = paid.keep_expiry = None  # kept once
        return saved_view(keep_on_file(self.session, account_id, kept, token))

    def open_payment(self, order: PaymentOrder) -> ChargeResult:
        """Write the payment ahead (scheduled, or processing to charge next), once per key;
        a bank debit only under a complete telephone authorisation (``tel_complete``).

        The account is locked first, so attempts from several calls at once are counted
        against its limit one after another, and cannot both take what is owed.
        """
        earlier = self._payment(order.idempotency_key)
        if earlier is not None:
            return self._result(earlier)
        if order.source.is_bank and not tel_complete(
                order.authorization_text, order.notify_number,
                self.session.get_one(Account, order.account_id)):
            return ChargeResult(approved=False, decline_reason=DeclineReason.NOT_AUTHORISED)
        if order.scheduled_for is not None and order.source.saved_id is None:
            kept = self.keep_for_later(order.account_id, order.source, order.call_sid,
                                       order.idempotency_key, order.amount_cents)
            if kept.saved_id is None:
                return ChargeResult(approved=False, retry_allowed=kept.retry_allowed,
                                    decline_reason=kept.refused)
            order = replace(order, source=replace(order.source, saved_id=kept.saved_id))
        account = lock(self.session, Account, order.account_id)
        limit = self._decline_limit(order.account_id, order.call_sid)
        if limit is not None:
            self._audit_limit(order.account_id, order.call_sid, order.notify_number, limit)
            return ChargeResult(approved=False, retry_allowed=False,
                                decline_reason=DeclineReason.TOO_MANY_DECLINES)
        if order.amount_cents > ledger.payable_cents(self.session, account):
            # Another payment landed (or is being confirmed) first: nothing is written or taken.
            return ChargeResult(approved=False, decline_reason=DeclineReason.BALANCE_CHANGED)
        if is_keyed(order.source) and order.scheduled_for is None and \
                not card_store.claim(self.session, order.call_sid, order.idempotency_key):
            return ChargeResult(approved=False, decline_reason=DeclineReason.ENTRY_LOST)
        payment = self._new_payment(order)
        status = PROCESSING if order.scheduled_for is None else SCHEDULED
        ledger.write_ahead(self.session, payment, status, actor=caller_actor(order.notify_number),
                           locked_account=account)
        # A bank debit's written notice, in the transaction that records its authorisation.
        notice_payment(self.session, payment, account, self.biller, self.zone, order.language)
        if status == SCHEDULED:
            text_payer(self.session, payment, account)
        return result_of(payment)

    def payment_result(self, idempotency_key: str) -> ChargeResult:
        """Where the payment opened with this key stands, once its charge was to be sent.

        Still ``processing`` means no answer is on record and it will not be sent again (too
        old): an earlier attempt may have charged it, so it is ``unknown`` from now on,
        unless a request still answering records its answer first (then that stands).
        """
        payment = self._payment(idempotency_key)
        if payment is None:
            raise LookupError(f"no payment with key {idempotency_key}")
        if payment.status == PROCESSING and not payment.twilio_pay:
            try:
                ledger.move(self.session, payment, UNKNOWN)
                text_payer(self.session, payment,
                           self.session.get_one(Account, payment.account_id))
            except StatusChanged:
                pass  # answered meanwhile: ``payment`` is read afresh, its answer stands
        return self._result(payment)

    def finish_captured(self, idempotency_key: str, capture: CaptureResult) -> ChargeResult:
        """Record <Pay>'s outcome for the payment opened for it (once: a replay changes nothing)."""
        payment = self._payment(idempotency_key)
        if payment is None:
            raise LookupError(f"no payment with key {idempotency_key}")
        record_capture(self.session, payment, capture)
        return self._result(payment)

    def _payment(self, idempotency_key: str) -> Payment | None:
        return self.session.scalar(
            select(Payment).where(Payment.idempotency_key == idempotency_key)
            .execution_options(populate_existing=True))  # as it is now, not as first read

    def _result(self, payment: Payment) -> ChargeResult:
        """The payment's result; after a decline, whether another try is allowed."""
        result = result_of(payment)
        if payment.status != DECLINED:
            return result
        limit = self._decline_limit(payment.account_id, payment.call_sid)
        if limit is not None:
            self._audit_limit(payment.account_id, payment.call_sid, payment.notify_number, limit)
        return replace(result, retry_allowed=limit is None)

    def _new_payment(self, order: PaymentOrder) -> Payment:
        payment = Payment(
            account_id=order.account_id, call_sid=order.call_sid,
            idempotency_key=order.idempotency_key, amount_cents=order.amount_cents,
            fee_cents=order.fee_cents, scheduled_for=order.scheduled_for,
            notify_number=order.notify_number, authorization_text=order.authorization_text,
            authorized_at=utcnow() if order.authorization_text else None,
            authorization_key=order.authorization_key,
            twilio_pay=order.source.kind == "captured")
        self._describe(payment, order)
        if order.scheduled_for is None and payment.payment_method_id is None:
            payment.gateway_token = order.source.token or None  # kept only while in flight
        return payment

    def _describe(self, payment: Payment, order: PaymentOrder) -> None:
        """Fill in how the payment is made: by a method on file, or one keyed on the call."""
        source = order.source
        saved_id = source.saved_id
        payment.payment_method_id = saved_id
        if source.is_bank:
            payment.method = SAVED_BANK if saved_id else BANK
            payment.bank_account_type, payment.bank_last4 = source.label, source.last4
        else:
            payment.method = SAVED_CARD if saved_id else CARD
            payment.card_brand, payment.card_last4 = source.label, source.last4


def record_capture(session: Session, payment: Payment, capture: CaptureResult,
                   late: bool = False) -> None:
    """Record <Pay>'s outcome for the payment written ahead for it, once."""
    session.scalar(locked(select(Payment).where(Payment.id == payment.id)))  # read afresh
    if payment.status == PROCESSING:
        payment.card_brand = capture.label or payment.card_brand
        payment.card_last4 = capture.last4 or payment.card_last4
        charges.record(session, payment.id, _capture_answer(capture), late=late)


def _capture_answer(capture: CaptureResult) -> charges.Answer:
    """<Pay>'s outcome as a ledger status: charged, declined, cancelled, in doubt, or failed."""
    if capture.approved:
        return charges.Answer(APPROVED, capture.reference or None)
    if capture.unknown:
        return charges.Answer(UNKNOWN)
    if capture.cancelled:
        return charges.Answer(CANCELLED, decline_code="cancelled_by_caller")
    if capture.decline_reason is not None:
        return charges.Answer(DECLINED, decline_code=capture.decline_reason.value)
    return charges.Answer(FAILED, decline_code=DeclineReason.PROCESSING_ERROR.value)
