"""Written notices of bank debits authorised by telephone (NACHA TEL), sent by text.

The line does not record calls, so for a one-time debit NACHA's other way applies: a written
notice of the authorisation before the debit settles. A standing authorisation (AutoPay by
bank) is always confirmed in writing. Each notice is queued in the outbox in the transaction
that records the authorisation, so one is never kept without the other. It goes to the number
that called (else the account's phone) and states the terms: who authorised what, when, from
which account, the number to call with questions, and how to revoke it, in the language the
authorisation was said in (the call's).

So a bank debit is written only under a complete authorisation (:func:`tel_complete`): its
words were said and agreed, they name the payer, and the notice can reach them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from flows.speech import load_catalog, render, say
from ivr.phones import written
from ivr.sms.outbox import queue_text
from ivr.sms.payment_texts import amount_text, bank_text, charged_text, text_date
from models import Account, Payment, SavedPaymentMethod


@dataclass(frozen=True)
class Biller:
    """Who the payer pays, as a notice names them: ``IVR_BILLER_NAME``, ``IVR_BILLER_PHONE``."""

    name: str = ""
    phone: str = ""  # E.164


def notice_to(notify_number: str | None, account: Account) -> str | None:
    """Where a debit's written notice goes: the number that called, else the account's."""
    return notify_number or account.phone_e164 or None


def tel_complete(text: str | None, notify_number: str | None, account: Account) -> bool:
    """A bank debit may be written under this telephone authorisation (NACHA TEL): its
    words were said and agreed, the account names the payer they name, and the written
    notice can reach them (the line records no call: that notice is its proof)."""
    return bool(text) and bool(account.name) and notice_to(notify_number, account) is not None


def notice_payment(session: Session, payment: Payment, account: Account, biller: Biller,
                   zone: ZoneInfo, language: str = "en-US") -> None:
    """Queue the notice of a one-time bank debit authorised on the call (if it was)."""
    to = notice_to(payment.notify_number, account)
    if not to or payment.authorization_text is None or payment.authorized_at is None:
        return
    terms = _terms(account, biller, _local(payment.authorized_at, zone), language)
    debit_on = text_date(payment.scheduled_for, language) or terms["authorized_on"]
    method = bank_text(payment.bank_account_type, payment.bank_last4 or "", language)
    sentences = [say("sms.authorization_debit", amount=charged_text(payment, language),
                     date=debit_on, method=method, **terms)]
    if payment.confirmation_number:  # a debit today is numbered once it is submitted
        sentences.append(say("sms.authorization_confirmation",
                             confirmation_number=payment.confirmation_number))
    sentences.append(say("sms.revoke_submitted") if payment.scheduled_for is None
                     else say("sms.revoke_scheduled", date=debit_on, phone=terms["phone"]))
    sentences.append(say("sms.authorization_questions", phone=terms["phone"]))
    queue_text(session, to, " ".join(render(prompt, language) for prompt in sentences))


def notice_autopay(session: Session, to: str | None, account: Account,
                   method: SavedPaymentMethod, authorized_at: datetime, biller: Biller,
                   zone: ZoneInfo, language: str = "en-US") -> None:
    """Queue the notice of AutoPay by bank: a standing authorisation, until revoked."""
    to = notice_to(to, account)
    if not to:
        return
    authorized_on = _local(authorized_at, zone)
    # AutoPay pays a due date on or after the day it is turned on (ivr.payments.scheduled).
    start = say("sms.autopay_start_date", date=text_date(account.due_date, language)) \
        if account.due_date >= authorized_on else say("sms.autopay_next_due_date")
    queue_text(session, to, render(say(
        "sms.authorization_autopay", start=start,
        method=bank_text(method.bank_account_type, method.last4, language),
        **_terms(account, biller, authorized_on, language)), language))


def notice_arrangement(session: Session, to: str | None, account: Account,
                       payments: Sequence[Payment], biller: Biller, zone: ZoneInfo,
                       language: str = "en-US") -> None:
    """Queue the notice of an arrangement's bank debits: each amount and date, and how to
    revoke them."""
    to = notice_to(to, account)
    first = payments[0]
    if not to or first.authorization_text is None or first.authorized_at is None:
        return
    plan = load_catalog(language)["text.list_separator"].join(
        render(say("sms.authorization_instalment", amount=amount_text(p.amount_cents, language),
                   date=text_date(p.scheduled_for, language)), language)
        for p in payments)
    queue_text(session, to, render(say(
        "sms.authorization_arrangement", count=str(len(payments)), plan=plan,
        method=bank_text(first.bank_account_type, first.bank_last4 or "", language),
        **_terms(account, biller, _local(first.authorized_at, zone), language)), language))


def _terms(account: Account, biller: Biller, authorized_on: date,
           language: str) -> dict[str, str]:
    """What every notice names: the biller, the day, the payer, the number to call."""
    return {"biller": biller.name or render(say("value.default_biller"), language),
            "authorized_on": text_date(authorized_on, language),
            "payer": account.name or render(say("sms.payer_unnamed"), language),
            "phone": written(biller.phone)}


def _local(moment: datetime, zone: ZoneInfo) -> date:
    """The biller's date at ``moment``."""
    return moment.astimezone(zone).date()
