"""Confirming payments: confirmation numbers and the texts that tell the payer a result.

Calls, scheduled runs and settlement share these, so a number or a text means
the same thing whichever way the payment was made.
"""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from flows.money import cents_to_decimal
from flows.ports import DeclineReason
from flows.speech import Prompt, load_catalog, render, say
from ivr.sms import queue_text
from models import Account, Payment
from models.payment import CANCELLED, DECLINED, PENDING

_LOWEST = 10**9  # the smallest 10-digit number: no leading zero, so it reads back unambiguously
_SPAN = 9 * 10**9
RETURN_CODES = ("no_account", "account_closed", "insufficient_funds", "debit_not_authorized")


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


def queue_result_text(session: Session, payment: Payment, account: Account,
                      autopay: bool = False) -> None:
    """Text a scheduled or AutoPay payment's result (approved, pending, declined, cancelled)."""
    if not payment.notify_number:
        return
    label = render(say("sms.label.autopay" if autopay else "sms.label.scheduled"))
    common = {"label": label, "amount": dollars_text(payment.amount_cents),
              "account_last4": account.account_number[-4:]}
    prompt: Prompt
    if payment.status == DECLINED:
        prompt = say("sms.scheduled_declined", reason=_decline_words(payment.decline_code),
                     **common)
    elif payment.status == CANCELLED:
        prompt = say("sms.scheduled_nothing_due", **common)
    else:
        prompt = say("sms.scheduled_pending" if payment.status == PENDING
                     else "sms.scheduled_approved", method=method_text(payment),
                     confirmation_number=payment.confirmation_number, **common)
    queue_text(session, payment.notify_number, render(prompt))


def queue_returned_text(session: Session, payment: Payment, account: Account) -> None:
    """Text that the bank returned a debit, why in plain words, and to pay again."""
    if not payment.notify_number:
        return
    code = payment.decline_code if payment.decline_code in RETURN_CODES else "other"
    queue_text(session, payment.notify_number, render(say(
        "sms.payment_returned", amount=dollars_text(payment.amount_cents),
        account_last4=account.account_number[-4:],
        reason=render(say(f"sms.return_reason.{code}")))))


def _decline_words(code: str | None) -> str:
    """Why a charge failed, in plain words; an unknown code reads as a processing problem."""
    code = code or DeclineReason.DECLINED.value
    if f"sms.decline_reason.{code}" not in load_catalog():
        code = DeclineReason.PROCESSING_ERROR.value
    return render(say(f"sms.decline_reason.{code}"))
