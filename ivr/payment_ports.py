"""Ports for paying: vaulting what the caller keys, placing payments, methods on file."""

from __future__ import annotations

import logging
from datetime import date

from sqlalchemy import select

from flows.ports import (
    BankToken,
    CardToken,
    ChargeResult,
    DeclineReason,
    PaymentOrder,
    PaymentSource,
    SavedMethod,
)
from flows.speech import render, say
from ivr.audit import caller_actor, record
from ivr.confirmations import dollars_text, method_text, new_confirmation_number
from ivr.gateways import GatewayCharge, GatewayError, GatewayOutcomeUnknown
from ivr.port_base import PortBase
from ivr.sms import queue_text
from models import Account, Payment, SavedPaymentMethod, utcnow
from models.payment import (
    APPROVED,
    BANK,
    CARD,
    DECLINED,
    PENDING,
    SAVED_BANK,
    SAVED_CARD,
    SCHEDULED,
    UNKNOWN,
)

audit = logging.getLogger("ivr.audit")


def text_date(day: date | None) -> str:
    """A date for a text message: "Dec 5, 2026"."""
    return f"{day:%b} {day.day}, {day.year}" if day else ""


def saved_view(method: SavedPaymentMethod) -> SavedMethod:
    """The flow's view of a saved method."""
    label = method.brand if method.kind == "card" else method.bank_account_type
    return SavedMethod(id=method.id, kind=method.kind, label=label or "", last4=method.last4,
                       expiry_mmyy=method.expiry_mmyy)


def result_of(payment: Payment) -> ChargeResult:
    """What the flow is told about a recorded payment."""
    if payment.status == UNKNOWN:
        return ChargeResult(approved=False, unknown=True,
                            confirmation_number=payment.confirmation_number)
    if payment.status in (APPROVED, PENDING, SCHEDULED):
        return ChargeResult(approved=True, confirmation_number=payment.confirmation_number,
                            pending=payment.status == PENDING,
                            scheduled=payment.status == SCHEDULED)
    reason = DeclineReason(payment.decline_code or DeclineReason.DECLINED.value)
    return ChargeResult(approved=False, decline_reason=reason)


class PaymentPorts(PortBase):
    """Vaulting, placing payments, saving methods."""

    def vault_card(self, number: str) -> CardToken:
        """Hand the card number to the gateway's vault."""
        return self.gateway.vault_card(number)

    def vault_security_code(self, card: CardToken, code: str) -> CardToken:
        """Hand the security code to the gateway's vault."""
        return self.gateway.vault_security_code(card, code)

    def vault_bank_account(self, routing: str, number: str, account_type: str) -> BankToken:
        """Hand the bank account to the gateway's vault."""
        return self.gateway.vault_bank_account(routing, number, account_type)

    def saved_methods(self, account_id: int) -> list[SavedMethod]:
        """Methods on file, oldest first."""
        rows = self.session.scalars(
            select(SavedPaymentMethod)
            .where(SavedPaymentMethod.account_id == account_id,
                   SavedPaymentMethod.removed_at.is_(None))
            .order_by(SavedPaymentMethod.id))
        return [saved_view(row) for row in rows]

    def save_method(self, account_id: int, source: PaymentSource) -> SavedMethod:
        """Keep a new card (as a reusable gateway token) or bank account on file."""
        return saved_view(self._save(account_id, source))

    def _save(self, account_id: int, source: PaymentSource) -> SavedPaymentMethod:
        kind = "bank" if source.is_bank else "card"
        token = source.token
        if kind == "card":
            card = CardToken(source.token, source.label, source.last4)
            token = self.gateway.save_card(card, source.expiry_mmyy).token
        method = SavedPaymentMethod(
            account_id=account_id, kind=kind, gateway_token=token, last4=source.last4,
            brand=source.label if kind == "card" else None,
            bank_account_type=source.label if kind == "bank" else None,
            expiry_mmyy=source.expiry_mmyy or None)
        self.session.add(method)
        self.session.flush()
        return method

    def place_payment(self, order: PaymentOrder) -> ChargeResult:
        """Charge, debit or schedule once per idempotency key; record; text the payer."""
        earlier = self.session.scalar(
            select(Payment).where(Payment.idempotency_key == order.idempotency_key))
        if earlier is not None:
            return result_of(earlier)
        account = self.session.get_one(Account, order.account_id, with_for_update=True)
        payment = self._new_payment(order)
        if order.scheduled_for is not None:
            payment.status = SCHEDULED
            payment.confirmation_number = new_confirmation_number(self.session)
        else:
            self._pay_now(order, account, payment)
        self.session.add(payment)
        self.session.flush()
        self._text(payment, account)
        record(self.session, caller_actor(order.notify_number), "payment", payment.status,
               account_id=account.id, origin=order.call_sid,
               detail=f"{dollars_text(order.amount_cents)} by {payment.method}")
        return result_of(payment)

    def _pay_now(self, order: PaymentOrder, account: Account, payment: Payment) -> None:
        try:
            outcome = self._submit(order, account, payment)
        except GatewayOutcomeUnknown as error:
            # It may have been charged: keep what a replay needs, and never charge it anew.
            audit.warning("outcome unknown for %s: %s", order.idempotency_key, error)
            payment.status = UNKNOWN
            payment.gateway_token = self._token(order, payment)
            payment.confirmation_number = new_confirmation_number(self.session)
            return
        payment.gateway_reference = outcome.reference or None
        if not outcome.approved:
            payment.status = DECLINED
            payment.decline_code = (outcome.decline_reason or DeclineReason.DECLINED).value
            return
        payment.status = PENDING if outcome.pending else APPROVED
        payment.confirmation_number = new_confirmation_number(self.session)
        # Only a <Pay> charge can exceed the balance (another call paid meanwhile).
        account.balance_cents = max(0, account.balance_cents - order.amount_cents)

    def _submit(self, order: PaymentOrder, account: Account, payment: Payment) -> GatewayCharge:
        if order.source.kind == "captured":
            # Twilio's <Pay> already charged it through the Pay Connector: record it as it is.
            return GatewayCharge(True, order.source.token)
        if order.amount_cents > account.balance_cents:
            # Another call paid in the meantime; never take more than is owed.
            return GatewayCharge(False, "", DeclineReason.BALANCE_CHANGED)
        total = order.amount_cents + order.fee_cents
        description = f"Account {account.account_number} (phone payment)"
        try:
            if payment.method in (BANK, SAVED_BANK):
                bank = BankToken(self._token(order, payment), payment.bank_account_type or "",
                                 payment.bank_last4 or "")
                return self.gateway.debit_bank(bank, total, order.idempotency_key, description)
            card = CardToken(self._token(order, payment), payment.card_brand or "",
                             payment.card_last4 or "")
            expiry = order.source.expiry_mmyy or self._saved_expiry(payment)
            return self.gateway.charge(card, expiry, order.source.postal_code, total,
                                       order.idempotency_key, description)
        except GatewayOutcomeUnknown:
            raise
        except GatewayError as error:
            audit.warning("gateway error on %s: %s", order.idempotency_key, error)
            return GatewayCharge(False, "", DeclineReason.PROCESSING_ERROR)

    def _token(self, order: PaymentOrder, payment: Payment) -> str:
        if payment.payment_method_id is None:
            return order.source.token
        return self.session.get_one(SavedPaymentMethod, payment.payment_method_id).gateway_token

    def _saved_expiry(self, payment: Payment) -> str:
        if payment.payment_method_id is None:
            return ""
        method = self.session.get_one(SavedPaymentMethod, payment.payment_method_id)
        return method.expiry_mmyy or ""

    def _new_payment(self, order: PaymentOrder) -> Payment:
        payment = Payment(
            account_id=order.account_id, call_sid=order.call_sid,
            idempotency_key=order.idempotency_key, amount_cents=order.amount_cents,
            fee_cents=order.fee_cents, scheduled_for=order.scheduled_for,
            notify_number=order.notify_number, authorization_text=order.authorization_text,
            authorized_at=utcnow() if order.authorization_text else None)
        self._describe(payment, order)
        return payment

    def _describe(self, payment: Payment, order: PaymentOrder) -> None:
        """Fill in how the payment is made; a scheduled new method is kept on file first."""
        source = order.source
        saved_id = source.saved_id
        if saved_id is None and order.scheduled_for is not None:
            saved_id = self._save(order.account_id, source).id
        payment.payment_method_id = saved_id
        if source.is_bank:
            payment.method = SAVED_BANK if saved_id else BANK
            payment.bank_account_type, payment.bank_last4 = source.label, source.last4
        else:
            payment.method = SAVED_CARD if saved_id else CARD
            payment.card_brand, payment.card_last4 = source.label, source.last4

    def _text(self, payment: Payment, account: Account) -> None:
        if not payment.notify_number or payment.status == DECLINED:
            return
        template = {APPROVED: "sms.payment_confirmation", PENDING: "sms.payment_submitted",
                    SCHEDULED: "sms.payment_scheduled",
                    UNKNOWN: "sms.payment_unknown"}[payment.status]
        body = render(say(template, amount=dollars_text(payment.amount_cents),
                          account_last4=account.account_number[-4:],
                          method=method_text(payment), date=text_date(payment.scheduled_for),
                          confirmation_number=payment.confirmation_number))
        queue_text(self.session, payment.notify_number, body)
