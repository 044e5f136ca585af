"""The text messages about payments, one place for every path.

The words depend on how the payment was made (on a call, or by a scheduled run or AutoPay),
where it stands, and whether the payer already heard the outcome on the call. Every word,
including how amounts, dates and methods are written, comes from the catalog
(``flows/prompts/*.sms.yaml`` and ``*.values.yaml``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from sqlalchemy.orm import Session

from flows.money import cents_to_decimal
from flows.ports import DeclineReason
from flows.speech import Prompt, load_catalog, render, say, spoken_language
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
# The decline code of a scheduled bank debit cancelled because less is owed than the payer
# authorised: a debit authorised by telephone is made for that amount or not at all.
AMOUNT_CHANGED = "amount_changed"
# What a payer is texted about a payment made on a call: heard then, or learned later.
_CALL_TEXTS = {APPROVED: "sms.payment_confirmation", PENDING: "sms.payment_submitted",
               SCHEDULED: "sms.payment_scheduled", UNKNOWN: "sms.payment_unknown"}
_LATE_TEXTS = {APPROVED: "sms.reconciled_approved", PENDING: "sms.reconciled_submitted",
               DECLINED: "sms.reconciled_declined", FAILED: "sms.reconciled_declined",
               UNKNOWN: "sms.payment_unknown"}


def text_payer(session: Session, payment: Payment, account: Account, late: bool = False) -> None:
    """Queue the text for ``payment``'s status, if there is one to send.

    ``late``: the outcome was learned after the call (a lost answer reconciled), so the
    text says it is an update. A decline heard on the call is not texted. It is written in
    the account's language (a caller's choice on the line is saved there).
    """
    if not payment.notify_number:
        return
    language = text_language(account)
    prompt = _prompt(payment, account, late, language)
    if prompt is not None:
        queue_text(session, payment.notify_number, render(prompt, language))


def text_language(account: Account) -> str:
    """The language an account's texts are written in: its own (when the line still has it)."""
    return spoken_language(account.language)


def _prompt(payment: Payment, account: Account, late: bool, language: str) -> Prompt | None:
    values = {"amount": charged_text(payment, language),
              "account_last4": account.account_number[-4:],
              "method": method_text(payment, language),
              "confirmation_number": payment.confirmation_number,
              "date": text_date(payment.scheduled_for, language)}
    if payment.status == RETURNED:
        code = payment.decline_code if payment.decline_code in RETURN_CODES else "other"
        return say("sms.payment_returned", reason=say(f"sms.return_reason.{code}"), **values)
    if payment.scheduled_for is not None and payment.status != SCHEDULED:
        return _run_prompt(payment, values, language)
    template = (_LATE_TEXTS if late else _CALL_TEXTS).get(payment.status)
    if template is None:
        return None
    return say(template, reason=decline_words(payment.decline_code, language), **values)


def _run_prompt(payment: Payment, values: Mapping[str, object], language: str) -> Prompt:
    """A scheduled or AutoPay payment charged by a run: approved, pending, or why not."""
    autopay = payment.idempotency_key.startswith("autopay-")
    common = {**values, "label": say("sms.label.autopay" if autopay else "sms.label.scheduled")}
    if payment.status in (DECLINED, FAILED):
        return say("sms.scheduled_declined", reason=decline_words(payment.decline_code, language),
                   **common)
    if payment.status == CANCELLED:
        return say("sms.scheduled_amount_changed" if payment.decline_code == AMOUNT_CHANGED
                   else "sms.scheduled_nothing_due", **common)
    if payment.status == UNKNOWN:
        return say("sms.payment_unknown", **common)
    return say("sms.scheduled_pending" if payment.status == PENDING
               else "sms.scheduled_approved", **common)


def charged_text(payment: Payment, language: str = "en-US") -> str:
    """The amount, and the fee with the total when there is one: what the payer sees charged."""
    amount = amount_text(payment.amount_cents, language)
    if not payment.fee_cents:
        return amount
    return render(say("sms.amount_with_fee", amount=amount,
                      fee=amount_text(payment.fee_cents, language),
                      total=amount_text(payment.amount_cents + payment.fee_cents, language)),
                  language)


def decline_words(code: str | None, language: str = "en-US") -> str:
    """Why a charge failed, in plain words; an unknown code reads as a processing problem."""
    code = code or DeclineReason.DECLINED.value
    if f"sms.decline_reason.{code}" not in load_catalog(language):
        code = DeclineReason.PROCESSING_ERROR.value
    return render(say(f"sms.decline_reason.{code}"), language)


def arrangement_text(account: Account, payments: Sequence[Payment]) -> str:
    """The text confirming a payment arrangement: each instalment with its number."""
    language = text_language(account)
    plan = load_catalog(language)["text.list_separator"].join(
        render(say("sms.arrangement_instalment", amount=amount_text(p.amount_cents, language),
                   date=text_date(p.scheduled_for, language),
                   confirmation=p.confirmation_number), language)
        for p in payments)
    return render(say("sms.arrangement_created", account_last4=account.account_number[-4:],
                      plan=plan), language)


def amount_text(cents: int, language: str = "en-US") -> str:
    """Integer cents as written in a text: 1250 -> ``$12.50``."""
    return render(say("text.amount", amount=str(cents_to_decimal(cents))), language)


def method_text(payment: Payment, language: str = "en-US") -> str:
    """How a payment was made, in a text: "Visa ending 4242", "checking account ending 6789"."""
    if payment.bank_last4:
        return bank_text(payment.bank_account_type, payment.bank_last4, language)
    if not payment.card_brand:
        return render(say("text.method.card_no_brand", last4=payment.card_last4), language)
    return render(say("text.method.card", brand=payment.card_brand, last4=payment.card_last4),
                  language)


def bank_text(account_type: str | None, last4: str, language: str = "en-US") -> str:
    """A bank account as a text names it: "checking account ending 6789"."""
    kind = account_type or "unknown"
    if f"value.bank_type.{kind}" not in load_catalog(language):
        kind = "unknown"
    return render(say("text.method.bank", type=say(f"value.bank_type.{kind}"), last4=last4),
                  language)


def text_date(day: date | None, language: str = "en-US") -> str:
    """A date as written in a text: "Dec 5, 2026"."""
    if day is None:
        return ""
    return render(say("text.date", month=say(f"text.month.{day.month}"),
                      day=str(day.day), year=str(day.year)), language)
