"""Scheduled payments, AutoPay and payment arrangements."""

from __future__ import annotations

from datetime import date, timedelta

from flows.amount_steps import date_problem
from flows.context import Context
from flows.dates import expiry_has_passed, parse_keyed_date
from flows.keys import is_digits
from flows.menus import menu, method_words, option, saved_words, source_words
from flows.money import split_evenly
from flows.outcomes import Go, Outcome, Retry
from flows.payment_steps import cancel_payment, source_of
from flows.ports import SavedMethod, ScheduledPayment
from flows.speech import Digits, Key, Money, Prompt, render, say
from flows.state import Ask, CallState, Purpose, Step
from flows.steps import invalid_choice


def _scheduled(state: CallState, ctx: Context) -> list[ScheduledPayment]:
    assert state.account_id is not None
    return ctx.ports.scheduled_payments(state.account_id)


def _saved(state: CallState, ctx: Context) -> list[SavedMethod]:
    assert state.account_id is not None
    return ctx.ports.saved_methods(state.account_id)


def manage(state: CallState, keys: str, ctx: Context) -> Outcome:
    """Cancel a scheduled payment, turn AutoPay on or off, or go back."""
    assert state.account_id is not None
    if keys == "1" and _scheduled(state, ctx):
        return Go(Step.CANCEL_SCHEDULED)
    if keys == "2":
        if ctx.ports.autopay_method(state.account_id) is not None:
            state.pending_choice = None
            return Go(Step.AUTOPAY_CONFIRM)
        if not _saved(state, ctx):
            return Go(Step.MANAGE, [say("info.autopay_needs_method")])
        return Go(Step.AUTOPAY_METHOD)
    if keys == "9":
        return Go(Step.MAIN_MENU)
    return invalid_choice(keys)


def ask_manage(state: CallState, ctx: Context) -> Ask:
    """What is scheduled, whether AutoPay is on, and what can be changed."""
    assert state.account_id is not None
    scheduled = _scheduled(state, ctx)
    before = [_scheduled_intro(len(scheduled))]
    before += [_scheduled_words("info.scheduled_item", p) for p in scheduled]
    autopay = ctx.ports.autopay_method(state.account_id)
    before.append(say("info.autopay_on", method=saved_words(autopay)) if autopay
                  else say("info.autopay_off"))
    options = [option("option.cancel_scheduled", "1")] if scheduled else []
    options.append(option("option.autopay_off" if autopay else "option.autopay_on", "2"))
    return menu(*options, option("option.main_menu", "9"), before=before)


def _scheduled_intro(count: int) -> Prompt:
    if count == 0:
        return say("info.scheduled_none")
    return say("info.scheduled_intro_one") if count == 1 else say("info.scheduled_intro",
                                                                  count=count)


def _scheduled_words(prompt_id: str, payment: ScheduledPayment, **more: object) -> Prompt:
    method = method_words(payment.kind, payment.label, payment.last4)
    return say(prompt_id, amount=Money(payment.amount_cents), date=payment.scheduled_for,
               method=method, **more)


def cancel_scheduled(state: CallState, keys: str, ctx: Context) -> Outcome:
    """Cancel the scheduled payment picked by its number, or keep them all."""
    assert state.account_id is not None
    scheduled = _scheduled(state, ctx)
    if keys == "9":
        return Go(Step.MANAGE)
    if not (is_digits(keys) and 1 <= int(keys) <= len(scheduled)):
        return invalid_choice(keys)
    payment = scheduled[int(keys) - 1]
    if not ctx.ports.cancel_scheduled(state.account_id, payment.id):
        return Go(Step.MANAGE, [say("info.scheduled_gone")])
    return Go(Step.MANAGE, [_scheduled_words("info.scheduled_cancelled", payment)])


def ask_cancel_scheduled(state: CallState, ctx: Context) -> Ask:
    """One option per scheduled payment."""
    options = [_scheduled_words("option.cancel_this", payment, key=Key(str(number)))
               for number, payment in enumerate(_scheduled(state, ctx), start=1)]
    return menu(*options, option("option.keep_scheduled", "9"))


def autopay_method(state: CallState, keys: str, ctx: Context) -> Outcome:
    """Pick the saved method AutoPay will use."""
    saved = _saved(state, ctx)
    if keys == "9":
        return Go(Step.MANAGE)
    if not (is_digits(keys) and 1 <= int(keys) <= len(saved)):
        return invalid_choice(keys)
    method = saved[int(keys) - 1]
    if method.expiry_mmyy and expiry_has_passed(method.expiry_mmyy, ctx.settings.today):
        return Retry([say("error.saved_card_expired", method=saved_words(method))])
    state.pending_choice = method.id
    return Go(Step.AUTOPAY_CONFIRM)


def ask_autopay_method(state: CallState, ctx: Context) -> Ask:
    """One option per saved method."""
    options = [option("option.autopay_with", str(number), method=saved_words(method))
               for number, method in enumerate(_saved(state, ctx), start=1)]
    return menu(*options, option("option.manage_menu", "9"))


def autopay_confirm(state: CallState, keys: str, ctx: Context) -> Outcome:
    """1 turns AutoPay on (with the chosen method) or off; 2 leaves it as it was."""
    assert state.account_id is not None
    if keys == "2":
        state.pending_choice = None
        return Go(Step.MANAGE)
    if keys != "1":
        return invalid_choice(keys)
    ctx.ports.set_autopay(state.account_id, state.pending_choice)
    done = "info.autopay_enrolled" if state.pending_choice else "info.autopay_cancelled"
    state.pending_choice = None
    return Go(Step.MANAGE, [say(done)])


def _chosen(state: CallState, ctx: Context) -> SavedMethod:
    return next(m for m in _saved(state, ctx) if m.id == state.pending_choice)


def ask_autopay_confirm(state: CallState, ctx: Context) -> Ask:
    """Read back what AutoPay will do (and the recurring bank authorisation)."""
    if state.pending_choice is None:
        return menu(option("option.autopay_confirm_off", "1"), option("option.autopay_keep", "2"))
    method = _chosen(state, ctx)
    before = [say("ask.autopay_terms", method=saved_words(method))]
    if method.kind == "bank":
        before.append(say("auth.bank_autopay", biller=ctx.settings.biller_name,
                          method=saved_words(method)))
    return menu(option("option.autopay_confirm_on", "1"), option("option.cancel_change", "2"),
                before=before)


def arrange_count(state: CallState, keys: str, ctx: Context) -> Outcome:
    """Two or three instalments for the past-due balance."""
    if keys == "9":
        return Go(Step.MAIN_MENU)
    if keys not in ("2", "3"):
        return invalid_choice(keys)
    state.clear_payment()
    state.purpose = Purpose.ARRANGEMENT
    state.amount_cents = ctx.account(state).payable_cents
    state.arrangement = {"count": int(keys), "dates": []}
    return Go(Step.ARRANGE_DATE)


def ask_arrange_count(state: CallState, ctx: Context) -> Ask:
    """The offer: the past-due balance in two or three payments."""
    balance = Money(ctx.account(state).payable_cents)
    return menu(option("option.instalments", "2", count=2), option("option.instalments", "3",
                count=3), option("option.main_menu", "9"),
                before=[say("ask.arrangement", balance=balance)])


def _instalments(state: CallState) -> list[int]:
    assert state.arrangement is not None and state.amount_cents is not None
    return split_evenly(state.amount_cents, state.arrangement["count"])


def arrange_date(state: CallState, keys: str, ctx: Context) -> Outcome:
    """The next instalment's date: after today and the previous one, within the limit."""
    assert state.arrangement is not None
    dates = state.arrangement["dates"]
    latest = ctx.settings.today + timedelta(days=ctx.settings.arrangement_max_days)
    problem = date_problem(keys, ctx.settings.today, latest)
    chosen = parse_keyed_date(keys, ctx.settings.today)
    if problem is None and chosen is not None and dates and chosen <= date.fromisoformat(dates[-1]):
        problem = say("error.date_not_after", date=date.fromisoformat(dates[-1]))
    if problem is not None:
        return Retry([problem])
    assert chosen is not None
    dates.append(chosen.isoformat())
    done = len(dates) == state.arrangement["count"]
    return Go(Step.PAY_METHOD if done else Step.ARRANGE_DATE,
              [say("info.date_accepted", date=chosen)])


def ask_arrange_date(state: CallState, ctx: Context) -> Ask:
    """The date of instalment n of N."""
    assert state.arrangement is not None
    number = len(state.arrangement["dates"]) + 1
    latest = ctx.settings.today + timedelta(days=ctx.settings.arrangement_max_days)
    ask = say("ask.instalment_date", number=number, count=state.arrangement["count"],
              amount=Money(_instalments(state)[number - 1]), latest=latest)
    return Ask([ask, option("option.cancel_entry", "*")], num_digits=4, timeout=10)


def _plan_prompts(state: CallState, ctx: Context) -> list[Prompt]:
    assert state.arrangement is not None
    method = source_words(source_of(state))
    prompts = [say("ask.arrangement_plan", count=state.arrangement["count"], method=method)]
    for number, (when, cents) in enumerate(_plan(state), start=1):
        prompts.append(say("info.instalment", number=number, amount=Money(cents), date=when))
    if source_of(state).kind in ("card", "bank"):
        prompts.append(say("info.kept_on_file", method=method))
    if source_of(state).is_bank:
        prompts.append(say("auth.bank_arrangement", biller=ctx.settings.biller_name,
                           method=method, count=state.arrangement["count"]))
    return prompts


def _plan(state: CallState) -> list[tuple[date, int]]:
    assert state.arrangement is not None
    dates = [date.fromisoformat(d) for d in state.arrangement["dates"]]
    return list(zip(dates, _instalments(state), strict=True))


def arrange_confirm(state: CallState, keys: str, ctx: Context) -> Outcome:
    """1 agrees to the plan read back; 2 cancels it."""
    if keys == "2":
        return cancel_payment(state)
    if keys != "1":
        return invalid_choice(keys)
    assert state.account_id is not None
    authorization = None
    if source_of(state).is_bank:
        authorization = " ".join(render(p) for p in _plan_prompts(state, ctx))
    numbers = ctx.ports.create_arrangement(
        state.account_id, _plan(state), source_of(state), state.call_sid, state.caller,
        authorization)
    if not numbers:  # another payment changed the balance since the plan was read
        state.clear_payment()
        return Go(Step.MAIN_MENU, [say("decline.balance_changed"),
                                   say("info.no_payment_taken")])
    said = [say("info.arrangement_created", count=len(numbers))]
    said += [say("info.instalment_confirmation", number=n, confirmation=Digits(c, group=5))
             for n, c in enumerate(numbers, start=1)]
    state.clear_payment()
    return Go(Step.MAIN_MENU, said)


def ask_arrange_confirm(state: CallState, ctx: Context) -> Ask:
    """Read the plan back and ask the caller to agree."""
    return menu(option("option.agree_arrangement", "1"), option("option.cancel_payment", "2"),
                before=_plan_prompts(state, ctx))
