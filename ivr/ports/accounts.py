"""Ports for finding accounts, checking PINs and reading payment history."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from typing import Any

from sqlalchemy import Row, and_, bindparam, func, or_, select

from flows.errors import CallerThrottled
from flows.ports import (
    AccountSummary,
    PaymentRecord,
    PinCheck,
)
from flows.speech import languages
from ivr.db import lock, read_once
from ivr.payments import ledger
from ivr.ports.base import PortBase
from ivr.security.audit import caller_actor, record
from models import Account, AuditEvent, Payment, utcnow
from models.payment import APPROVED, BANK, PENDING, SAVED_BANK

# The audit event of an account number keyed at the account-number prompt that matched nothing.
LOOKUP, NOT_FOUND = "account_lookup", "not_found"


# The columns of an account the flow's view of it is made of (:func:`summary`).
SUMMARY_COLUMNS = (Account.id, Account.account_number, Account.balance_cents, Account.due_date,
                   Account.name, Account.phone_e164, Account.language)
# The statements a turn asks, built once: building one (and its cache key) each time cost more
# CPU than the database took to answer it.
_BY_PHONE = select(*SUMMARY_COLUMNS).where(Account.phone_e164 == bindparam("phone")).limit(2)
_BY_NUMBER = select(*SUMMARY_COLUMNS).where(Account.account_number == bindparam("number"))
_BY_ID = select(*SUMMARY_COLUMNS, ledger.held_query(Account.id).scalar_subquery().label("held")) \
    .where(Account.id == bindparam("account_id"))
# Wrong PINs and unknown account numbers from one caller ID since a moment.
_CALLER_FAILURES = select(func.count(AuditEvent.id)).where(
    AuditEvent.actor == bindparam("actor"), AuditEvent.at > bindparam("since"),
    or_(and_(AuditEvent.action == "pin_check",
             AuditEvent.outcome.in_((str(PinCheck.WRONG), str(PinCheck.LOCKED)))),
        and_(AuditEvent.action == LOOKUP, AuditEvent.outcome == NOT_FOUND)))


def summary(row: Row[*tuple[Any, ...]], held_cents: int = 0) -> AccountSummary:
    """The flow's view of an account, from its :data:`SUMMARY_COLUMNS`."""
    return AccountSummary(id=row.id, number=row.account_number, balance_cents=row.balance_cents,
                          due_date=row.due_date, held_cents=held_cents, name=row.name,
                          phone=row.phone_e164 or "", language=row.language)


class AccountPorts(PortBase):
    """Accounts, PINs and history."""

    def accounts_for_phone(self, e164: str) -> list[AccountSummary]:
        """Accounts registered to this caller's number."""
        return [summary(row) for row in self.session.execute(_BY_PHONE, {"phone": e164})]

    def find_account(self, number: str, caller: str | None = None) -> AccountSummary | None:
        """The account with this number, if any; a miss is audited against the caller ID.

        Guessing account numbers counts towards the same per-caller limit as wrong PINs,
        and a throttled caller ID gets no more lookups (CallerThrottled). The keyed
        number is never recorded: it may be a card number keyed at the wrong prompt.
        """
        actor = caller_actor(caller)
        if self._caller_throttled(actor, utcnow()):
            record(self.session, actor, LOOKUP, str(PinCheck.THROTTLED), origin=self.origin)
            raise CallerThrottled(actor)
        row = self.session.execute(_BY_NUMBER, {"number": number}).one_or_none()
        if row is None:
            record(self.session, actor, LOOKUP, NOT_FOUND, origin=self.origin)
            return None
        return summary(row)

    def get_account(self, account_id: int) -> AccountSummary:
        """The account by id, with what its payments in flight hold: one statement, read once
        a turn while the turn changes nothing (:func:`ivr.db.read_once`)."""
        return read_once(self.session, (AccountSummary, account_id),
                         lambda: self._read_account(account_id))

    def _read_account(self, account_id: int) -> AccountSummary:
        row = self.session.execute(_BY_ID, {"account_id": account_id}).one()
        return summary(row, int(row.held))

    def set_language(self, account_id: int, language: str) -> None:
        """Save the caller's language on the account (only languages with a catalog)."""
        if language not in languages():
            raise ValueError(f"no prompt catalog for language {language!r}")
        self.session.get_one(Account, account_id).language = language

    def check_pin(self, account_id: int, pin: str, caller: str | None = None) -> PinCheck:
        """Verify a PIN under the lockout policy; every outcome goes to the audit trail."""
        account = lock(self.session, Account, account_id)
        now = utcnow()
        actor = caller_actor(caller)
        # Withheld caller IDs (None) are one caller, "caller:withheld", throttled together.
        if self._caller_throttled(actor, now):
            result = PinCheck.THROTTLED
        elif account.locked_until and account.locked_until > now:
            result = PinCheck.LOCKED  # even with the right PIN
        elif self.pins.verify(pin, account.pin_hash):
            account.failed_pin_attempts, account.pin_failure_window_start = 0, None
            account.locked_until = None
            if not self.pins.is_current(account.pin_hash):  # a rotated pepper, or scrypt
                account.pin_hash = self.pins.hash(pin)
            result = PinCheck.OK
        else:
            result = self._count_failure(account, now)
        record(self.session, actor, "pin_check", str(result), account_id=account.id,
               origin=self.origin)
        if result is PinCheck.LOCKED and account.locked_until == now + self.policy.lock_for:
            record(self.session, actor, "lockout", "locked", account_id=account.id,
                   origin=self.origin, detail=f"until {account.locked_until:%Y-%m-%d %H:%M} UTC")
        return result

    def _count_failure(self, account: Account, now: datetime) -> PinCheck:
        window_start = account.pin_failure_window_start
        if window_start is None or now - window_start > self.policy.window:
            account.pin_failure_window_start, account.failed_pin_attempts = now, 0
        account.failed_pin_attempts += 1
        if account.failed_pin_attempts < self.policy.max_failures:
            return PinCheck.WRONG
        # The count and its window stay: once the lock expires, the next wrong PIN within the
        # window locks again, instead of an attacker getting a fresh set of tries.
        account.locked_until = now + self.policy.lock_for
        return PinCheck.LOCKED

    def _caller_throttled(self, actor: str, now: datetime) -> bool:
        """Too many wrong PINs or unknown account numbers from this caller ID lately."""
        failures = self.session.scalar(
            _CALLER_FAILURES, {"actor": actor, "since": now - self.policy.caller_window})
        return (failures or 0) >= self.policy.caller_max_failures

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
