"""Ports for scheduled payments, AutoPay and payment arrangements."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from flows.ports import Authorization, PaymentSource, SavedMethod, ScheduledPayment
from ivr.db import inline, lock, locked
from ivr.errors import NotAuthorisedByPhone
from ivr.payments import ledger
from ivr.ports.base import PortBase
from ivr.ports.methods import saved_view
from ivr.security.audit import caller_actor
from ivr.sms.notices import notice_arrangement, notice_autopay, tel_complete
from ivr.sms.outbox import queue_text
from ivr.sms.payment_texts import arrangement_text
from models import Account, Arrangement, AutopayEnrollment, Payment, SavedPaymentMethod, utcnow
from models.payment import BANK, CANCELLED, SAVED_BANK, SAVED_CARD, SCHEDULED


def _scheduled_view(payment: Payment) -> ScheduledPayment:
    bank = payment.method in (BANK, SAVED_BANK)
    assert payment.scheduled_for is not None
    return ScheduledPayment(
        id=payment.id, amount_cents=payment.amount_cents, scheduled_for=payment.scheduled_for,
        kind="bank" if bank else "card",
        label=(payment.bank_account_type if bank else payment.card_brand) or "",
        last4=(payment.bank_last4 if bank else payment.card_last4) or "")


class PlanPorts(PortBase):
    """Scheduled payments, AutoPay, arrangements."""

    def scheduled_payments(self, account_id: int) -> list[ScheduledPayment]:
        """Payments waiting for their date, soonest first."""
        rows = self.session.scalars(
            select(Payment)
            .where(Payment.account_id == account_id, Payment.status == inline(SCHEDULED))
            .order_by(Payment.scheduled_for, Payment.id))
        return [_scheduled_view(payment) for payment in rows]

    def cancel_scheduled(self, account_id: int, payment_id: int) -> bool:
        """Cancel it only if it is still scheduled (a run may have just claimed it)."""
        payment = self.session.scalar(locked(
            select(Payment).where(Payment.id == payment_id, Payment.account_id == account_id,
                                  Payment.status == SCHEDULED)))
        if payment is None:
            return False
        ledger.move(self.session, payment, CANCELLED, decline_code="cancelled_by_caller")
        return True

    def autopay_method(self, account_id: int) -> SavedMethod | None:
        """The method AutoPay charges, or None when it is off."""
        enrollment = self._enrollment(account_id)
        if enrollment is None or not enrollment.active:
            return None
        return saved_view(enrollment.payment_method)

    def set_autopay(self, account_id: int, method_id: int | None,
                    authorization: Authorization | None = None,
                    notify_number: str | None = None) -> None:
        """Turn AutoPay on with a method of this account, or off.

        By bank, the standing authorisation agreed to is kept (a card's is cleared) and its
        written notice queued with it; without a complete one it is refused.
        """
        enrollment = self._enrollment(account_id)
        if method_id is None:
            if enrollment is not None:
                enrollment.active, enrollment.cancelled_at = False, utcnow()
            return
        method = self.session.get_one(SavedPaymentMethod, method_id)
        if method.account_id != account_id:
            raise PermissionError("that method belongs to another account")
        self._refuse_unauthorised(method, authorization, notify_number)
        if enrollment is None:
            enrollment = AutopayEnrollment(account_id=account_id, payment_method_id=method_id)
            self.session.add(enrollment)
        enrollment.payment_method_id, enrollment.active = method_id, True
        enrollment.enrolled_at, enrollment.cancelled_at = utcnow(), None
        self._authorize(enrollment, method, authorization, notify_number)
        self.session.flush()

    def _authorize(self, enrollment: AutopayEnrollment, method: SavedPaymentMethod,
                   authorization: Authorization | None, notify_number: str | None) -> None:
        """Keep AutoPay's standing bank authorisation, and queue its written notice."""
        agreed = authorization if method.kind == "bank" else None
        enrollment.authorization_text = agreed.text if agreed else None
        enrollment.authorization_key = agreed.key if agreed else None
        enrollment.authorized_at = enrollment.enrolled_at if agreed else None
        if agreed is not None:
            account = self.session.get_one(Account, enrollment.account_id)
            notice_autopay(self.session, notify_number, account, method, enrollment.enrolled_at,
                           self.biller, self.zone, agreed.language)

    def _refuse_unauthorised(self, method: SavedPaymentMethod,
                             authorization: Authorization | None,
                             notify_number: str | None) -> None:
        """Debits from a bank account need a complete telephone authorisation (NACHA TEL)."""
        account = self.session.get_one(Account, method.account_id)
        if method.kind == "bank" and not tel_complete(
                authorization.text if authorization else None, notify_number, account):
            raise NotAuthorisedByPhone(f"account {account.id}: bank debits without a "
                                       "complete telephone authorisation are not written")

    def _enrollment(self, account_id: int) -> AutopayEnrollment | None:
        return self.session.scalar(
            select(AutopayEnrollment).where(AutopayEnrollment.account_id == account_id))

    def create_arrangement(self, account_id: int, instalments: list[tuple[date, int]],
                           source: PaymentSource, call_sid: str, notify_number: str | None,
                           authorization: Authorization | None) -> list[str]:
        """One arrangement, each instalment a scheduled payment with its confirmation number;
        none when the plan is more than is payable now (nothing is written then)."""
        account = lock(self.session, Account, account_id)
        if sum(cents for _, cents in instalments) > ledger.payable_cents(self.session, account):
            return []
        if source.saved_id is None:
            raise ValueError("a new method is kept on file (keep_for_later) before the plan")
        method = self.session.get_one(SavedPaymentMethod, source.saved_id)
        self._refuse_unauthorised(method, authorization, notify_number)
        arrangement = Arrangement(account_id=account_id, instalments=len(instalments),
                                  total_cents=sum(cents for _, cents in instalments),
                                  call_sid=call_sid)
        self.session.add(arrangement)
        self.session.flush()
        payments = [ledger.write_ahead(
                        self.session, self._instalment(arrangement, method, number, when, cents,
                                                       notify_number, authorization),
                        SCHEDULED, actor=caller_actor(notify_number))
                    for number, (when, cents) in enumerate(instalments, start=1)]
        self._text_arrangement(arrangement, payments, notify_number, authorization)
        return [p.confirmation_number or "" for p in payments]

    def _instalment(self, arrangement: Arrangement, method: SavedPaymentMethod, number: int,
                    when: date, cents: int, notify_number: str | None,
                    authorization: Authorization | None) -> Payment:
        bank = method.kind == "bank"
        return Payment(
            account_id=arrangement.account_id, call_sid=arrangement.call_sid,
            idempotency_key=f"arrangement-{arrangement.id}-{number}", amount_cents=cents,
            fee_cents=0, scheduled_for=when, arrangement_id=arrangement.id,
            payment_method_id=method.id, method=SAVED_BANK if bank else SAVED_CARD,
            card_brand=None if bank else method.brand, card_last4=None if bank else method.last4,
            bank_account_type=method.bank_account_type, bank_last4=method.last4 if bank else None,
            notify_number=notify_number,
            authorization_text=authorization.text if authorization else None,
            authorization_key=authorization.key if authorization else None,
            authorized_at=utcnow() if authorization else None)

    def _text_arrangement(self, arrangement: Arrangement, payments: list[Payment],
                          notify_number: str | None,
                          authorization: Authorization | None) -> None:
        """The plan, to the number that agreed to it; by bank, the authorisation's notice
        (in the language it was given in)."""
        account = self.session.get_one(Account, arrangement.account_id)
        if authorization is not None:
            notice_arrangement(self.session, notify_number, account, payments, self.biller,
                               self.zone, authorization.language)
        if notify_number:
            queue_text(self.session, notify_number, arrangement_text(account, payments))
