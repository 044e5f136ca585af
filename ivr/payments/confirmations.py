"""Confirmation numbers, and how amounts, methods and dates are written in texts.

Calls, scheduled runs and settlement share these, so a number or a text means
the same thing whichever way the payment was made.
"""

from __future__ import annotations

import secrets
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from flows.money import cents_to_decimal
from models import Payment

_LOWEST = 10**9  # the smallest 10-digit number: no leading zero, so it reads back unambiguously
_SPAN = 9 * 10**9


def new_confirmation_number(session: Session) -> str:
    """A random 10-digit number, no leading zero, not yet used by any payment.

    The unique constraint on ``payments.confirmation_number`` still guards the
    tiny window between this check and the caller's commit.
    """
    while True:
        candidate = str(secrets.randbelow(_SPAN) + _LOWEST)
        taken = session.scalar(
            select(Payment.id).where(Payment.confirmation_number == candidate))
        if taken is None:
            return candidate


def dollars_text(cents: int) -> str:
    """Integer cents as a text-message amount: 1250 -> ``$12.50``."""
    return f"${cents_to_decimal(cents)}"


def method_text(payment: Payment) -> str:
    """How a payment was made, for a text: "Visa ending 4242", "checking account ending 6789"."""
    if payment.bank_last4:
        return f"{payment.bank_account_type or 'bank'} account ending {payment.bank_last4}"
    return f"{payment.card_brand or 'card'} ending {payment.card_last4}"


def text_date(day: date | None) -> str:
    """A date for a text message: "Dec 5, 2026"."""
    return f"{day:%b} {day.day}, {day.year}" if day else ""
