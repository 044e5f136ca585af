"""The telephone authorisation of bank debits (NACHA TEL), read before the caller agrees.

It names the day it is given, the payer (the account holder), the biller, the amount, the
date of the debit, the account (its type and last four), a number to call with questions
(``IVR_BILLER_PHONE``) and how to revoke it, and ends with the key that authorises. The
words said, rendered in the call's language, are kept in the call state as they are read
(:func:`hear`); the key press stores those and that key with the payment or the AutoPay
enrolment: the record is what the caller heard, not a summary rebuilt later.
"""

from __future__ import annotations

from collections.abc import Callable

from flows.context import Context
from flows.keys import AGREE
from flows.menus import option, saved_words, source_words
from flows.ports import Authorization, SavedMethod
from flows.speech import Money, Phone, Prompt, render, say
from flows.state import CallState, Heard

# The words of the key that authorises a bank debit, AutoPay by bank, an arrangement.
AGREE_DEBIT = "option.authorise_debit"
AGREE_AUTOPAY = "option.autopay_authorise"
AGREE_ARRANGEMENT = "option.agree_arrangement"


def can_debit(state: CallState, ctx: Context) -> bool:
    """A bank debit may be authorised on this call: the line debits bank accounts (and has a
    number for questions), the account names its holder (the payer an authorisation must
    name), and the written notice can reach them - the number calling, else the account's.
    The line records no call, so that notice is the proof of a single debit NACHA asks for."""
    if not ctx.settings.bank_payments:
        return False
    account = ctx.account(state)
    return bool(account.name) and bool(state.caller or account.phone)


def _terms(state: CallState, ctx: Context) -> dict[str, object]:
    """What every authorisation names: the day, the payer, the biller, the number to call."""
    name = ctx.account(state).name
    return {"today": ctx.settings.today, "biller": ctx.biller(),
            "payer": say("value.payer_named", name=name) if name else say("value.payer"),
            "phone": Phone(ctx.settings.biller_phone)}


def one_time(state: CallState, ctx: Context, total_cents: int) -> list[Prompt]:
    """A single debit of ``total_cents``, today or on the date chosen, and how to revoke it:
    a debit today is submitted at once; a later one may be cancelled before its date."""
    draft = state.payment
    terms = _terms(state, ctx)
    when = draft.scheduled_for or ctx.settings.today
    said = [say("auth.bank_debit", total=Money(total_cents), method=source_words(draft.source),
                date=when, **terms)]
    if draft.scheduled_for is None:
        return [*said, say("auth.revoke_today", phone=terms["phone"])]
    return [*said, say("auth.revoke_scheduled", date=when, phone=terms["phone"])]


def autopay(state: CallState, ctx: Context, method: SavedMethod) -> list[Prompt]:
    """A standing authorisation: the balance due, on each due date from the next one on,
    until it is revoked (by turning AutoPay off, or by calling, before a due date)."""
    due = ctx.account(state).due_date
    # AutoPay pays a due date on or after the day it is turned on (ivr.payments.scheduled).
    start = say("value.start_date", date=due) if due >= ctx.settings.today \
        else say("value.next_due_date")
    return [say("auth.bank_autopay", method=saved_words(method), start=start,
                **_terms(state, ctx))]


def arrangement(state: CallState, ctx: Context) -> list[Prompt]:
    """The instalments just read, from the account named, each revocable before its date."""
    draft = state.payment
    return [say("auth.bank_arrangement", method=source_words(draft.source),
                count=draft.plan.count, **_terms(state, ctx))]


def agree_option(prompt_id: str) -> Prompt:
    """The option that authorises, as the menu says it ("To authorize this debit, press 1.")."""
    return option(prompt_id, AGREE)


def hear(state: CallState, ctx: Context, fee_cents: int = 0, said: list[Prompt] | None = None,
         prompt_id: str = "") -> None:
    """Keep the terms being read at this step: the fee said and, for a bank debit, the
    authorisation ``said`` with the option ``prompt_id`` that agrees to it, in the call's
    language (none: no bank debit)."""
    text = None
    if said:
        words = [*said, agree_option(prompt_id)]
        text = " ".join(render(prompt, state.language) for prompt in words)
    state.heard = Heard(state.step, fee_cents, text, ctx.settings.today)


def agreed(state: CallState) -> Authorization | None:
    """The authorisation the caller agrees to by pressing :data:`AGREE` here: the one read."""
    heard = state.heard_here
    if heard is None or heard.authorization is None:
        return None
    return Authorization(text=heard.authorization, key=AGREE, language=state.language)


def read_again(state: CallState, ctx: Context,
               intro: Callable[[CallState, Context], list[Prompt]], tel: bool) -> bool:
    """True when the terms of a bank debit must be read again before a key press can agree:
    the call was saved by a version that kept no terms, or they were read on another day
    (past midnight, "Today, ..." and the dates they name are no longer true). Other terms (a
    card's fee) are taken as they stand now, as that version did."""
    heard = state.heard_here
    if heard is not None:
        return tel and heard.on is not None and heard.on != ctx.settings.today
    if tel:
        return True
    intro(state, ctx)
    return False
