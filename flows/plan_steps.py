"""Scheduled payments, AutoPay and payment arrangements."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta

from flows import authorisation, payment_steps
from flows.amount_steps import keyed_date
from flows.context import Context
from flows.dates import expiry_has_passed
from flows.draft import Arrangement, PaymentDraft, Purpose
from flows.menus import method_words, saved_words, source_words
from flows.outcomes import Go, Outcome, Retry
from flows.ports import SavedMethod, ScheduledPayment
from flows.speech import Digits, Money, Prompt, say
from flows.state import CallState, Step


def scheduled_of(state: CallState, ctx: Context) -> list[ScheduledPayment]:
    """The account's scheduled payments."""
    return ctx.ports.scheduled_payments(state.chosen_account_id)


def saved_of(state: CallState, ctx: Context) -> list[SavedMethod]:
    """The account's saved methods."""
    return ctx.ports.saved_methods(state.chosen_account_id)


def has_scheduled(state: CallState, ctx: Context) -> bool:
    """There is a scheduled payment to cancel."""
    return bool(scheduled_of(state, ctx))


def autopay_is_on(state: CallState, ctx: Context) -> bool:
    """AutoPay is on for the account."""
    return ctx.ports.autopay_method(state.chosen_account_id) is not None


def autopay_methods(state: CallState, ctx: Context) -> list[SavedMethod]:
    """The saved methods AutoPay may use: a bank account only when its standing debit can
    be authorised on this call."""
    banks = authorisation.can_debit(state, ctx)
    return [m for m in saved_of(state, ctx) if banks or m.kind != "bank"]


def change_autopay(state: CallState, ctx: Context) -> Outcome:
    """Turn AutoPay off, or on with a saved method (there must be one it may use)."""
    if autopay_is_on(state, ctx):
        state.pending_choice = None
        return Go(Step.AUTOPAY_CONFIRM)
    if not autopay_methods(state, ctx):
        return Go(Step.MANAGE, [say("info.autopay_needs_method")])
    return Go(Step.AUTOPAY_METHOD)


def manage_intro(state: CallState, ctx: Context) -> list[Prompt]:
    """What is scheduled, and whether AutoPay is on."""
    scheduled = scheduled_of(state, ctx)
    before = [_scheduled_intro(len(scheduled))]
    before += [_scheduled_words("info.scheduled_item", p) for p in scheduled]
    autopay = ctx.ports.autopay_method(state.chosen_account_id)
    before.append(say("info.autopay_on", method=saved_words(autopay)) if autopay
                  else say("info.autopay_off"))
    return before


def _scheduled_intro(count: int) -> Prompt:
    if count == 0:
        return say("info.scheduled_none")
    return say("info.scheduled_intro_one") if count == 1 else say("info.scheduled_intro",
                                                                  count=count)


def _scheduled_words(prompt_id: str, payment: ScheduledPayment, **more: object) -> Prompt:
    method = method_words(payment.kind, payment.label, payment.last4)
    return say(prompt_id, amount=Money(payment.amount_cents), date=payment.scheduled_for,
               method=method, **more)


def scheduled_params(payment: ScheduledPayment) -> dict[str, object]:
    """A scheduled payment as an option names it."""
    return {"amount": Money(payment.amount_cents), "date": payment.scheduled_for,
            "method": method_words(payment.kind, payment.label, payment.last4)}


def cancel_this(state: CallState, payment: ScheduledPayment, ctx: Context) -> Outcome:
    """Cancel the scheduled payment picked, unless it has already gone."""
    if not ctx.ports.cancel_scheduled(state.chosen_account_id, payment.id):
        return Go(Step.MANAGE, [say("info.scheduled_gone")])
    return Go(Step.MANAGE, [_scheduled_words("info.scheduled_cancelled", payment)])


def autopay_with(state: CallState, method: SavedMethod, ctx: Context) -> Outcome:
    """Pick the saved method AutoPay will use, unless it is a card that has expired."""
    if method.expiry_mmyy and expiry_has_passed(method.expiry_mmyy, ctx.settings.today):
        return Retry([say("error.saved_card_expired", method=saved_words(method))])
    state.pending_choice = method.id
    return Go(Step.AUTOPAY_CONFIRM)


def turning_autopay_on(state: CallState, ctx: Context) -> bool:
    """A method was picked, so confirming turns AutoPay on (else it turns it off)."""
    return state.pending_choice is not None


def forget_choice(state: CallState) -> None:
    """Leave AutoPay as it was."""
    state.pending_choice = None
    state.heard = None


def set_autopay(state: CallState, ctx: Context) -> Outcome:
    """Turn AutoPay on with the chosen method (by bank: with the standing authorisation as
    it was read), or off."""
    if authorisation.read_again(state, ctx, autopay_terms, autopay_by_bank(state, ctx)):
        return Go(state.step)
    ctx.ports.set_autopay(state.chosen_account_id, state.pending_choice,
                          authorisation.agreed(state), state.caller)
    done = "info.autopay_enrolled" if state.pending_choice else "info.autopay_cancelled"
    forget_choice(state)
    return Go(Step.MANAGE, [say(done)])


def _chosen(state: CallState, ctx: Context) -> SavedMethod:
    return next(m for m in saved_of(state, ctx) if m.id == state.pending_choice)


def autopay_by_bank(state: CallState, ctx: Context) -> bool:
    """AutoPay is being turned on with a bank account: a standing debit authorisation."""
    return state.pending_choice is not None and _chosen(state, ctx).kind == "bank"


def autopay_terms(state: CallState, ctx: Context) -> list[Prompt]:
    """What AutoPay will do with the chosen method (and the recurring bank authorisation),
    kept as heard: the key press agrees to these words, even past midnight."""
    if state.pending_choice is None:
        return []
    method = _chosen(state, ctx)
    tel = authorisation.autopay(state, ctx, method) if method.kind == "bank" else []
    authorisation.hear(state, ctx, said=tel, prompt_id=authorisation.AGREE_AUTOPAY)
    return [say("ask.autopay_terms", method=saved_words(method)), *tel]


def instalments(count: int) -> Callable[[CallState, Context], Outcome]:
    """Arrange the past-due balance in ``count`` instalments: their dates come next."""
    def arrange(state: CallState, ctx: Context) -> Outcome:
        state.clear_payment()
        state.draft = PaymentDraft(ctx.account(state).payable_cents,
                                   purpose=Purpose.ARRANGEMENT, arrangement=Arrangement(count))
        return Go(Step.ARRANGE_DATE)
    return arrange


def arrangement_offer(state: CallState, ctx: Context) -> list[Prompt]:
    """The offer: the past-due balance in two or three payments."""
    return [say("ask.arrangement", balance=Money(ctx.account(state).payable_cents))]


def arrange_date(state: CallState, keys: str, ctx: Context) -> Outcome:
    """The next instalment's date: after today and the previous one, within the limit."""
    plan = state.payment.plan
    latest = ctx.settings.today + timedelta(days=ctx.settings.arrangement_max_days)
    chosen = keyed_date(keys, ctx.settings.today, latest)
    if isinstance(chosen, date) and plan.dates and chosen <= plan.dates[-1]:
        chosen = say("error.date_not_after", date=plan.dates[-1])
    if not isinstance(chosen, date):
        return Retry([chosen])
    plan = replace(plan, dates=(*plan.dates, chosen))
    state.draft = replace(state.payment, arrangement=plan)
    done = len(plan.dates) == plan.count
    return Go(Step.PAY_METHOD if done else Step.ARRANGE_DATE,
              [say("info.date_accepted", date=chosen)])


def instalment_params(state: CallState, ctx: Context) -> dict[str, object]:
    """The date of instalment n of N: its number, amount and latest date."""
    draft = state.payment
    number = len(draft.plan.dates) + 1
    latest = ctx.settings.today + timedelta(days=ctx.settings.arrangement_max_days)
    return {"number": number, "count": draft.plan.count,
            "amount": Money(draft.plan.amounts(draft.amount_cents)[number - 1]),
            "latest": latest}


def plan_prompts(state: CallState, ctx: Context) -> list[Prompt]:
    """The plan read back: method, each instalment, and the bank authorisation; kept as
    heard (by bank, all of it is the authorisation the key press agrees to)."""
    draft = state.payment
    method = source_words(draft.source)
    prompts = [say("ask.arrangement_plan", count=draft.plan.count, method=method)]
    for number, (when, cents) in enumerate(draft.instalments(), start=1):
        prompts.append(say("info.instalment", number=number, amount=Money(cents), date=when))
    if draft.source.kind in ("card", "bank"):
        prompts.append(say("info.kept_on_file", method=method))
    if draft.source.is_bank:
        prompts += authorisation.arrangement(state, ctx)
    authorisation.hear(state, ctx, said=prompts if draft.source.is_bank else None,
                       prompt_id=authorisation.AGREE_ARRANGEMENT)
    return prompts


def agree(state: CallState, ctx: Context) -> Outcome:
    """The caller agrees to the plan read back: the instalments are scheduled."""
    draft = state.payment
    if authorisation.read_again(state, ctx, plan_prompts, draft.source.is_bank):
        return Go(state.step)
    agreed = authorisation.agreed(state)  # by bank: the plan and its authorisation, as read
    state.payment_attempts += 1
    refused = payment_steps.keep_new_method(state, ctx)
    if refused is not None:
        return payment_steps.not_taken(state, ctx, refused, draft.source.is_bank)
    numbers = ctx.ports.create_arrangement(
        state.chosen_account_id, draft.instalments(), state.payment.source, state.call_sid,
        state.caller, agreed)
    if not numbers:  # another payment changed the balance since the plan was read
        state.clear_payment()
        return Go(Step.MAIN_MENU, [say("decline.balance_changed"),
                                   say("info.no_payment_taken")])
    said = [say("info.arrangement_created", count=len(numbers))]
    said += [say("info.instalment_confirmation", number=n, confirmation=Digits(c, group=5))
             for n, c in enumerate(numbers, start=1)]
    state.clear_payment()
    return Go(Step.MAIN_MENU, said)
