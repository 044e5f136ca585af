"""The flow's ports implemented over the database, the payment gateway and the SMS outbox."""

from __future__ import annotations

import logging
import secrets
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from flows.money import cents_to_decimal
from flows.ports import (
    AccountSummary,
    CardToken,
    ChargeRequest,
    ChargeResult,
    DeclineReason,
    FlowSettings,
    PaymentRecord,
    PinCheck,
)
from flows.speech import render, say
from ivr.gateways import GatewayCharge, GatewayError, PaymentGateway, make_gateway
from ivr.pins import verify_pin
from ivr.sms import queue_text
from models import Account, Payment, utcnow
from models.payment import APPROVED, DECLINED

audit = logging.getLogger("ivr.audit")

# PCI DSS 8.3.4: lock after at most 10 failed attempts, for at least 30 minutes.
LOCKOUT_THRESHOLD = 10
LOCKOUT_DURATION = timedelta(minutes=30)


def init_app(app: Flask) -> None:
    """Build the configured payment gateway once per app."""
    app.extensions["ivr_gateway"] = make_gateway(app.config)


def flow_settings(app: Flask) -> FlowSettings:
    """Operator settings for this turn, with today's date in the biller's time zone."""
    config = app.config
    fixed = config.get("IVR_TODAY")
    today = date.fromisoformat(fixed) if fixed else datetime.now(local_zone(app)).date()
    return FlowSettings(today=today, min_payment_cents=config["IVR_MIN_PAYMENT_CENTS"],
                        agent_available=bool(config["IVR_AGENT_NUMBER"]))


def local_zone(app: Flask) -> ZoneInfo:
    """The biller's time zone, for 'today' and for the dates of past payments."""
    return ZoneInfo(app.config["IVR_TIMEZONE"])


def _summary(account: Account) -> AccountSummary:
    return AccountSummary(id=account.id, number=account.account_number,
                          balance_cents=account.balance_cents, due_date=account.due_date)


class DatabasePorts:
    """:class:`flows.ports.Ports` for one webhook's database transaction."""

    def __init__(self, session: Session, gateway: PaymentGateway, zone: ZoneInfo) -> None:
        self.session = session
        self.gateway = gateway
        self.zone = zone

    def accounts_for_phone(self, e164: str) -> list[AccountSummary]:
        """Accounts registered to this caller's number."""
        rows = self.session.scalars(select(Account).where(Account.phone_e164 == e164).limit(2))
        return [_summary(account) for account in rows]

    def find_account(self, number: str) -> AccountSummary | None:
        """The account with this number, if any."""
        account = self.session.scalar(select(Account).where(Account.account_number == number))
        return _summary(account) if account else None

    def get_account(self, account_id: int) -> AccountSummary:
        """The account by id."""
        return _summary(self.session.get_one(Account, account_id))

    def check_pin(self, account_id: int, pin: str) -> PinCheck:
        """Verify a PIN, counting failures across calls towards a temporary lockout."""
        account = self.session.get_one(Account, account_id, with_for_update=True)
        now = utcnow()
        if account.locked_until and account.locked_until > now:
            result = PinCheck.LOCKED
        elif verify_pin(pin, account.pin_hash):
            account.failed_pin_attempts = 0
            result = PinCheck.OK
        else:
            account.failed_pin_attempts += 1
            result = PinCheck.WRONG
            if account.failed_pin_attempts >= LOCKOUT_THRESHOLD:
                account.locked_until = now + LOCKOUT_DURATION
                account.failed_pin_attempts = 0
                result = PinCheck.LOCKED
        audit.info("pin check account=...%s outcome=%s", account.account_number[-4:], result)
        return result

    def recent_payments(self, account_id: int, limit: int) -> list[PaymentRecord]:
        """Latest approved payments, newest first, dated in the biller's time zone."""
        rows = self.session.scalars(
            select(Payment)
            .where(Payment.account_id == account_id, Payment.status == APPROVED)
            .order_by(Payment.created_at.desc(), Payment.id.desc())
            .limit(limit)
        )
        return [PaymentRecord(paid_on=p.created_at.astimezone(self.zone).date(),
                              amount_cents=p.amount_cents, method=p.method,
                              card_brand=p.card_brand, card_last4=p.card_last4) for p in rows]

    def vault_card(self, number: str) -> CardToken:
        """Hand the card number to the gateway's vault."""
        return self.gateway.vault_card(number)

    def vault_security_code(self, card: CardToken, code: str) -> CardToken:
        """Hand the security code to the gateway's vault."""
        return self.gateway.vault_security_code(card, code)

    def charge(self, request: ChargeRequest) -> ChargeResult:
        """Charge once per idempotency key; record it, lower the balance, queue the text."""
        earlier = self.session.scalar(
            select(Payment).where(Payment.idempotency_key == request.idempotency_key))
        if earlier is not None:
            return _result(earlier)
        account = self.session.get_one(Account, request.account_id, with_for_update=True)
        outcome = self._charge_gateway(request, account)
        payment = Payment(
            account_id=account.id, call_sid=request.call_sid,
            idempotency_key=request.idempotency_key, amount_cents=request.amount_cents,
            status=APPROVED if outcome.approved else DECLINED,
            decline_code=outcome.decline_reason.value if outcome.decline_reason else None,
            card_brand=request.card.brand, card_last4=request.card.last4,
            gateway_reference=outcome.reference, method="card",
        )
        if outcome.approved:
            payment.confirmation_number = self._new_confirmation_number()
            account.balance_cents -= request.amount_cents
            self._queue_confirmation_text(request, account, payment)
        self.session.add(payment)
        self.session.flush()
        audit.info("charge account=...%s amount_cents=%d status=%s", account.account_number[-4:],
                   request.amount_cents, payment.status)
        return _result(payment)

    def _charge_gateway(self, request: ChargeRequest, account: Account) -> GatewayCharge:
        if request.amount_cents > account.balance_cents:
            # Another call paid in the meantime; never take more than is owed.
            return GatewayCharge(False, "", DeclineReason.PROCESSING_ERROR)
        try:
            return self.gateway.charge(
                request.card, request.expiry_mmyy, request.postal_code, request.amount_cents,
                request.idempotency_key, f"Account {account.account_number} (phone payment)")
        except GatewayError as error:
            audit.warning("gateway error on %s: %s", request.idempotency_key, error)
            return GatewayCharge(False, "", DeclineReason.PROCESSING_ERROR)

    def _new_confirmation_number(self) -> str:
        while True:
            candidate = str(secrets.randbelow(9 * 10**9) + 10**9)  # 10 digits, no leading 0
            taken = self.session.scalar(
                select(Payment.id).where(Payment.confirmation_number == candidate))
            if taken is None:
                return candidate

    def _queue_confirmation_text(self, request: ChargeRequest, account: Account,
                                 payment: Payment) -> None:
        if not request.notify_number:
            return
        body = render(say("sms.payment_confirmation",
                          amount=f"${cents_to_decimal(request.amount_cents)}",
                          account_last4=account.account_number[-4:], brand=request.card.brand,
                          card_last4=request.card.last4,
                          confirmation_number=payment.confirmation_number))
        queue_text(self.session, request.notify_number, body)


def _result(payment: Payment) -> ChargeResult:
    if payment.status == APPROVED:
        return ChargeResult(approved=True, confirmation_number=payment.confirmation_number)
    reason = DeclineReason(payment.decline_code or DeclineReason.DECLINED.value)
    return ChargeResult(approved=False, decline_reason=reason)
