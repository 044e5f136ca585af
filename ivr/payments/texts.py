"""The text message that tells a payer what became of a payment, one place for every path.

The words depend on how the payment was made (on a call, or by a scheduled run or AutoPay),
where it stands, and whether the payer already heard the outcome on the call.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.orm import Session

from flows.ports import DeclineReason
from flows.speech import Prompt, load_catalog, render, say
from ivr.payments.confirmations import dollars_text, method_text, text_date
from ivr.sms.outbox import queue_text
from models import Account, Payment
from models.payment import (
    APPROVED,
    CANCELLED,
    DECLINED,
    FAILED,
    PENDING,
    RETURNED,
    SCHEDULED,
    UNKNOWN,
)

RETURN_CODES = ("no_account", "account_closed", "insufficient_funds", "debit_not_authorized")
# What a payer is texted about a payment made on a call: heard then, or learned later.
_CALL_TEXTS = {APPROVED: "sms.payment_confirmation", PENDING: "sms.payment_submitted",
               SCHEDULED: "sms.payment_scheduled", UNKNOWN: "sms.payment_unknown"}
_LATE_TEXTS = {APPROVED: "sms.reconciled_approved", PENDING: "sms.reconciled_submitted",
               DECLINED: "sms.reconciled_declined", FAILED: "sms.reconciled_declined",
               UNKNOWN: "sms.payment_unknown"}


def text_payer(session: Session, payment: Payment, account: Account, late: bool = False) -> None:
    """Queue the text for ``payment``'s status, if there is one to send.

    ``late``: the outcome was learned after the call (a lost answer reconciled), so the
    text says it is an update. A decline heard on the call is not texted.
    """
    if not payment.notify_number:
        return
    prompt = _prompt(payment, account, late)
    if prompt is not None:
        queue_text(session, payment.notify_number, render(prompt))


def _prompt(payment: Payment, account: Account, late: bool) -> Prompt | None:
    values = {"amount": _amount_text(payment),
              "account_last4": account.account_number[-4:], "method": method_text(payment),
              "confirmation_number": payment.confirmation_number,
              "date": text_date(payment.scheduled_for)}
    if payment.status == RETURNED:
        code = payment.decline_code if payment.decline_code in RETURN_CODES else "other"
        return say("sms.payment_returned", reason=render(say(f"sms.return_reason.{code}")),
                   **values)
    if payment.scheduled_for is not None and payment.status != SCHEDULED:
        return _run_prompt(payment, values)
    template = (_LATE_TEXTS if late else _CALL_TEXTS).get(payment.status)
    if template is None:
        return None
    return say(template, reason=decline_words(payment.decline_code), **values)


def _run_prompt(payment: Payment, values: Mapping[str, object]) -> Prompt:
    """A scheduled or AutoPay payment charged by a run: approved, pending, or why not."""
    autopay = payment.idempotency_key.startswith("autopay-")
    common = {**values, "label": render(say("sms.label.autopay" if autopay
                                                else "sms.label.scheduled"))}
    if payment.status in (DECLINED, FAILED):
        return say("sms.scheduled_declined", reason=decline_words(payment.decline_code),
                   **common)
    if payment.status == CANCELLED:
        return say("sms.scheduled_nothing_due", **common)
    if payment.status == UNKNOWN:
        return say("sms.payment_unknown", **common)
    return say("sms.scheduled_pending" if payment.status == PENDING
               else "sms.scheduled_approved", **common)


def _amount_text(payment: Payment) -> str:
    """The amount, and the fee with the total when there is one: what the payer sees charged."""
    amount = dollars_text(payment.amount_cents)
    if not payment.fee_cents:
        return amount
    return render(say("sms.amount_with_fee", amount=amount, fee=dollars_text(payment.fee_cents),
                      total=dollars_text(payment.amount_cents + payment.fee_cents)))


def decline_words(code: str | None) -> str:
    """Why a charge failed, in plain words; an unknown code reads as a processing problem."""
    code = code or DeclineReason.DECLINED.value
    if f"sms.decline_reason.{code}" not in load_catalog():
        code = DeclineReason.PROCESSING_ERROR.value
    return render(say(f"sms.decline_reason.{code}"))
