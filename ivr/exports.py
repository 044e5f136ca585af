"""CSV exports of payments and of the text-message outbox, streamed row by row."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from typing import TextIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from flows.money import cents_to_decimal
from models import Account, Payment, SmsMessage

PAYMENT_COLUMNS = ("account_number", "amount", "status", "confirmation_number", "card_brand",
                   "card_last4", "method", "decline_code", "call_sid", "created_at")
SMS_COLUMNS = ("to", "body", "status", "attempts", "created_at", "sent_at")
# Rows fetched per round trip; exports never hold the whole table in memory.
_BATCH = 500


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
    writer = csv.writer(out)
    writer.writerow(PAYMENT_COLUMNS)
    query = (select(Payment, Account.account_number)
             .join(Account, Payment.account_id == Account.id)
             .order_by(Payment.created_at, Payment.id)
             .execution_options(yield_per=_BATCH))
    count = 0
    for payment, account_number in session.execute(query):
        writer.writerow((
            account_number, format_dollars(payment.amount_cents), payment.status,
            payment.confirmation_number or "", payment.card_brand or "",
            payment.card_last4 or "", payment.method, payment.decline_code or "",
            payment.call_sid or "", format_timestamp(payment.created_at),
        ))
        count += 1
    return count


def export_sms_csv(session: Session, out: TextIO) -> int:
    """Write every outbox message as CSV to ``out``, oldest first; return the number of rows."""
    writer = csv.writer(out)
    writer.writerow(SMS_COLUMNS)
    query = (select(SmsMessage)
             .order_by(SmsMessage.created_at, SmsMessage.id)
             .execution_options(yield_per=_BATCH))
    count = 0
    for message in session.scalars(query):
        writer.writerow((
            message.to_number, message.body, message.status, message.attempts,
            format_timestamp(message.created_at), format_timestamp(message.sent_at),
        ))
        count += 1
    return count
