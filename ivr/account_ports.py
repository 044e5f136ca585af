"""Ports for finding accounts, checking PINs and reading payment history."""

from __future__ import annotations

import hashlib
import hmac
import logging
from datetime import timedelta

from sqlalchemy import select

from flows.ports import AccountSummary, PaymentRecord, PinCheck
from ivr.pins import verify_pin
from ivr.port_base import PortBase
from models import Account, Payment, utcnow
from models.payment import APPROVED, BANK, PENDING, SAVED_BANK

audit = logging.getLogger("ivr.audit")

# PCI DSS 8.3.4: lock after at most 10 failed attempts, for at least 30 minutes.
LOCKOUT_THRESHOLD = 10
LOCKOUT_DURATION = timedelta(minutes=30)


def summary(account: Account) -> AccountSummary:
    """The flow's view of an account."""
    return AccountSummary(id=account.id, number=account.account_number,
                          balance_cents=account.balance_cents, due_date=account.due_date)


class AccountPorts(PortBase):
    """Accounts, PINs and history."""

    def accounts_for_phone(self, e164: str) -> list[AccountSummary]:
        """Accounts registered to this caller's number."""
        rows = self.session.scalars(select(Account).where(Account.phone_e164 == e164).limit(2))
        return [summary(account) for account in rows]

    def find_account(self, number: str) -> AccountSummary | None:
        """The account with this number, if any."""
        account = self.session.scalar(select(Account).where(Account.account_number == number))
        return summary(account) if account else None

    def get_account(self, account_id: int) -> AccountSummary:
        """The account by id."""
        return summary(self.session.get_one(Account, account_id))

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
        """Latest payments made (bank debits in flight too), newest first, in local dates."""
        rows = self.session.scalars(
            select(Payment)
            .where(Payment.account_id == account_id, Payment.status.in_((APPROVED, PENDING)))
            .order_by(Payment.created_at.desc(), Payment.id.desc())
            .limit(limit)
        )
        return [_record(payment, self) for payment in rows]

    def fingerprint(self, value: str) -> str:
        """HMAC-SHA256 of ``value`` under this deployment's secret."""
        return hmac.new(self.secret, value.encode(), hashlib.sha256).hexdigest()


def _record(payment: Payment, ports: PortBase) -> PaymentRecord:
    bank = payment.method in (BANK, SAVED_BANK)
    return PaymentRecord(
        paid_on=payment.created_at.astimezone(ports.zone).date(),
        amount_cents=payment.amount_cents, method=payment.method,
        card_brand=payment.bank_account_type if bank else payment.card_brand,
        card_last4=payment.bank_last4 if bank else payment.card_last4)
