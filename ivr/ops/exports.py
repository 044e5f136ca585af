"""CSV exports of payments, accounts, the text-message outbox and the audit trail, streamed."""

from __future__ import annotations

import csv
import itertools
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time
from typing import Any, TextIO

from sqlalchemy import and_, select
from sqlalchemy.orm import Session, aliased

from flows.money import cents_to_decimal
from models import (
    Account,
    AuditEvent,
    AutopayEnrollment,
    Payment,
    SavedPaymentMethod,
    SmsMessage,
)

PAYMENT_COLUMNS = ("account_number", "amount", "fee", "status", "method", "confirmation_number",
                   "card_brand", "card_last4", "bank_account_type", "bank_last4",
                   "scheduled_for", "decline_code", "call_sid", "created_at")
# The language came later, so it goes last: readers of the first eight keep working.
ACCOUNT_COLUMNS = ("account_number", "name", "phone", "balance", "due_date", "autopay",
                   "autopay_method", "saved_methods", "language")
# The delivery columns came later, so they go last: readers of the first six keep working.
SMS_COLUMNS = ("to", "body", "status", "attempts", "created_at", "sent_at",
               "delivery_status", "error_code", "error")
AUDIT_COLUMNS = ("at", "actor", "action", "outcome", "account_number", "origin", "detail")
# Rows fetched per round trip; exports never hold the whole table in memory.
_BATCH = 500
# OWASP CSV injection: a spreadsheet runs a cell starting with one of these as a formula.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A plain number cannot be a formula, so a credit balance ("-12.50") or an E.164 phone
# ("+14155550100") is exported as it is, still a number to the spreadsheet.
_PLAIN_NUMBER = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")


def neutralise_cell(value: object) -> object:
    """A cell a spreadsheet would run as a formula, made text by a leading ``'``."""
    if (isinstance(value, str) and value.startswith(_FORMULA_STARTS)
            and not _PLAIN_NUMBER.fullmatch(value)):
        return "'" + value
    return value


class SafeCsvWriter:
    """``csv.writer`` for every export: each cell goes through :func:`neutralise_cell`."""

    def __init__(self, out: TextIO) -> None:
        self._writer = csv.writer(out)

    def writerow(self, row: Iterable[object]) -> None:
        """Write one row, its formula-like cells neutralised."""
        self._writer.writerow([neutralise_cell(cell) for cell in row])


def format_dollars(cents: int) -> str:
    """Integer cents as a dollar string with two decimals: 1250 -> ``12.50``."""
    return str(cents_to_decimal(cents))


def format_timestamp(moment: datetime | None) -> str:
    """An ISO-8601 UTC timestamp to the second, or an empty string."""
    if moment is None:
        return ""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def export_payments_csv(session: Session, out: TextIO) -> int:
    """Write every payment as CSV to ``out``, oldest first; return the number of rows."""
    writer = SafeCsvWriter(out)
    writer.writerow(PAYMENT_COLUMNS)
    query = (select(Payment, Account.account_number)
             .join(Account, Payment.account_id == Account.id)
             .order_by(Payment.created_at, Payment.id)
             .execution_options(yield_per=_BATCH))
    count = 0
    for payment, account_number in session.execute(query):
        writer.writerow((
            account_number, format_dollars(payment.amount_cents),
            format_dollars(payment.fee_cents), payment.status, payment.method,
            payment.confirmation_number or "", payment.card_brand or "",
            payment.card_last4 or "", payment.bank_account_type or "", payment.bank_last4 or "",
            _iso_date(payment.scheduled_for), payment.decline_code or "",
            payment.call_sid or "", format_timestamp(payment.created_at),
        ))
        count += 1
    return count


def _iso_date(day: date | None) -> str:
    return day.isoformat() if day else ""


def method_label(kind: str | None, brand: str | None, account_type: str | None,
                 last4: str | None) -> str:
    """A saved method as operators name it: "Visa 4242" or "checking 6789"."""
    if kind is None:
        return ""
    name = account_type if kind == "bank" else brand
    return f"{name or kind} {last4}"


def export_accounts_csv(session: Session, out: TextIO) -> int:
    """Write every account with its AutoPay and active saved methods; return the row count.

    One streamed query joins each account to its saved methods; the rows of one
    account arrive together and become one CSV line. The PIN hash is never read.
    """
    writer = SafeCsvWriter(out)
    writer.writerow(ACCOUNT_COLUMNS)
    count = 0
    for _, rows in itertools.groupby(session.execute(_accounts_query()), key=lambda r: r.id):
        writer.writerow(_account_row(list(rows)))
        count += 1
    return count


def _accounts_query() -> Any:
    """Accounts left-joined to their active AutoPay (and its method) and active saved methods."""
    autopay_method = aliased(SavedPaymentMethod)
    saved = aliased(SavedPaymentMethod)
    return (
        select(Account.id, Account.account_number, Account.name, Account.phone_e164,
               Account.balance_cents, Account.due_date, Account.language,
               AutopayEnrollment.id.label("autopay_id"),
               autopay_method.kind.label("ap_kind"), autopay_method.brand.label("ap_brand"),
               autopay_method.bank_account_type.label("ap_type"),
               autopay_method.last4.label("ap_last4"),
               saved.kind, saved.brand, saved.bank_account_type, saved.last4)
        .outerjoin(AutopayEnrollment, and_(AutopayEnrollment.account_id == Account.id,
                                           AutopayEnrollment.active.is_(True)))
        .outerjoin(autopay_method, autopay_method.id == AutopayEnrollment.payment_method_id)
        .outerjoin(saved, and_(saved.account_id == Account.id, saved.removed_at.is_(None)))
        .order_by(Account.account_number, Account.id, saved.id)
        .execution_options(yield_per=_BATCH))


def _account_row(rows: Sequence[Any]) -> Iterable[str]:
    """One account's CSV line from its joined rows (one per active saved method, or one)."""
    first = rows[0]
    saved = [method_label(r.kind, r.brand, r.bank_account_type, r.last4) for r in rows
             if r.kind is not None]
    return (first.account_number, first.name, first.phone_e164 or "",
            format_dollars(first.balance_cents), first.due_date.isoformat(),
            "on" if first.autopay_id is not None else "off",
            method_label(first.ap_kind, first.ap_brand, first.ap_type, first.ap_last4),
            "; ".join(saved), first.language)


def export_sms_csv(session: Session, out: TextIO) -> int:
    """Write every outbox message as CSV to ``out``, oldest first; return the number of rows."""
    writer = SafeCsvWriter(out)
    writer.writerow(SMS_COLUMNS)
    query = (select(SmsMessage)
             .order_by(SmsMessage.created_at, SmsMessage.id)
             .execution_options(yield_per=_BATCH))
    count = 0
    for message in session.scalars(query):
        writer.writerow((
            message.to_number, message.body, message.status, message.attempts,
            format_timestamp(message.created_at), format_timestamp(message.sent_at),
            message.delivery_status or "", message.error_code or "", message.last_error or "",
        ))
        count += 1
    return count


def export_audit_csv(session: Session, out: TextIO, since: date | None = None) -> int:
    """Write the audit trail as CSV to ``out``, oldest first; return the number of rows.

    ``since`` keeps events from that moment on: a ``datetime`` as given, a plain
    ``date`` from its midnight UTC. ``account_number`` is empty for events about
    no account. Audit events never hold a PIN or card data, so neither can this.
    """
    writer = SafeCsvWriter(out)
    writer.writerow(AUDIT_COLUMNS)
    query = (select(AuditEvent, Account.account_number)
             .outerjoin(Account, AuditEvent.account_id == Account.id)
             .order_by(AuditEvent.at, AuditEvent.id)
             .execution_options(yield_per=_BATCH))
    if since is not None:
        query = query.where(AuditEvent.at >= _start_of(since))
    count = 0
    for event, account_number in session.execute(query):
        writer.writerow((format_timestamp(event.at), event.actor, event.action, event.outcome,
                         account_number or "", event.origin or "", event.detail or ""))
        count += 1
    return count


def _start_of(since: date) -> datetime:
    """A datetime as is (made UTC if naive); a date as its midnight UTC."""
    if isinstance(since, datetime):
        return since if since.tzinfo else since.replace(tzinfo=UTC)
    return datetime.combine(since, time(0), tzinfo=UTC)
