"""Confirmation numbers, and amounts as operators read them in the audit trail.

Calls, scheduled runs and settlement share these, so a number means the same thing
whichever way the payment was made. What callers read is in :mod:`ivr.sms.payment_texts`.
"""

from __future__ import annotations

import secrets

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
    """Integer cents for an operator's message: 1250 -> ``$12.50``."""
    return f"${cents_to_decimal(cents)}"
