"""How much and when, for a caller who does not pay the full balance now: another amount
(today or later), or the full balance on a later date."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from flows.context import Context
from flows.dates import parse_keyed_date
from flows.draft import PaymentDraft, Purpose
from flows.errors import AmountError
from flows.money import (
    parse_keyed_amount,
)
from flows.outcomes import Go, Outcome, Retry
from flows.speech import Money, Prompt, say
from flows.state import CallState, Step


def other_choices(state: CallState, ctx: Context) -> Outcome:
    """Another amount or date: their menu, or straight to the amount when a payment cannot
    be scheduled (a past-due balance is paid now)."""
    state.clear_payment()
    return Go(Step.PAY_CHOICE if can_schedule(state, ctx) else Step.PAY_OTHER_AMOUNT)


def full_later(state: CallState, ctx: Context) -> Outcome:
    """The full balance, on a date to choose."""
    state.draft = PaymentDraft(ctx.account(state).payable_cents)
    return pay_later(state, ctx)


def other_amount(state: CallState, keys: str, ctx: Context) -> Outcome:
    """An amount keyed as dollars * cents; between the minimum and the balance."""
    try:
        cents = parse_keyed_amount(keys)
    except AmountError as error:
        return Retry([say(f"error.{error.problem}")])
    balance = ctx.account(state).payable_cents
    minimum = min(ctx.settings.min_payment_cents, balance)
    if cents < minimum or cents == 0:
        return Retry([say("error.amount_below_minimum", minimum=Money(minimum))])
    if cents > balance:
        return Retry([say("error.amount_above_balance", balance=Money(balance))])
    state.draft = PaymentDraft(cents)
    return _after_amount(state, ctx, [say("info.amount_accepted", amount=Money(cents))])


def can_schedule(state: CallState, ctx: Context) -> bool:
    """A payment can be scheduled for a later day up to the due date."""
    return ctx.account(state).due_date > ctx.settings.today


def _after_amount(state: CallState, ctx: Context, said: list[Prompt]) -> Go:
    # A past-due balance is paid now (or arranged), never scheduled later.
    if can_schedule(state, ctx):
        return Go(Step.PAY_WHEN, said)
    return Go(Step.PAY_METHOD, said)


def pay_today(state: CallState, ctx: Context) -> Outcome:
    """Pay now."""
    state.draft = replace(state.payment, purpose=Purpose.NOW)
    return Go(Step.PAY_METHOD)


def pay_later(state: CallState, ctx: Context) -> Outcome:
    """Schedule it, unless the payments already scheduled cover the balance."""
    scheduled = sum(p.amount_cents for p in ctx.ports.scheduled_payments(state.chosen_account_id))
    if scheduled + state.payment.amount_cents > ctx.account(state).payable_cents:
        # Payments already scheduled would cover the balance twice over.
        return Retry([say("error.already_scheduled", scheduled=Money(scheduled))])
    state.draft = replace(state.payment, purpose=Purpose.SCHEDULE)
    return Go(Step.SCHEDULE_DATE)


def schedule_date(state: CallState, keys: str, ctx: Context) -> Outcome:
    """A date keyed as MMDD, after today and on or before the due date."""
    chosen = keyed_date(keys, ctx.settings.today, ctx.account(state).due_date)
    if not isinstance(chosen, date):
        return Retry([chosen])
    state.draft = replace(state.payment, scheduled_for=chosen)
    return Go(Step.PAY_METHOD, [say("info.date_accepted", date=chosen)])


def keyed_date(keys: str, today: date, latest: date) -> date | Prompt:
    """A keyed date that must fall after today and by ``latest``, or what is wrong with it."""
    chosen = parse_keyed_date(keys, today)
    if chosen is None:
        return say("error.date_invalid")
    if chosen == today:
        return say("error.date_today")
    if chosen > latest:
        if chosen.year > latest.year and (chosen.month, chosen.day) != (2, 29):
            # Next year's date cannot be meant ("1101" in late November, due in December):
            # the caller meant this year's, which has passed.
            return say("error.date_past")
        return say("error.date_too_late", latest=latest)
    return chosen


def amount_limits(state: CallState, ctx: Context) -> dict[str, object]:
    """The smallest and largest amount that may be keyed."""
    return {"minimum": Money(ctx.settings.min_payment_cents),
            "balance": Money(ctx.account(state).payable_cents)}


def due_date(state: CallState, ctx: Context) -> dict[str, object]:
    """The latest date a payment may be scheduled for."""
    return {"due": ctx.account(state).due_date}


def latest_date(state: CallState, ctx: Context) -> dict[str, object]:
    """The latest date a payment may be scheduled for, as a keyed date's limit."""
    return {"latest": ctx.account(state).due_date}
