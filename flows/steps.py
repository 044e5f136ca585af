"""Handlers and menu actions for finding the account, the PIN and the main menu.

A handler takes the caller's keys, an action a menu option's choice; each returns an
outcome, and the only side effects are the ports'. Which key runs which action is
declared in ``flows.table``.
"""

from __future__ import annotations

from flows import languages
from flows.context import Context
from flows.errors import CallerThrottled
from flows.keys import is_digits
from flows.menus import method_words
from flows.outcomes import Finish, Go, Outcome, Retry
from flows.ports import (
    AccountSummary,
    PinCheck,
)
from flows.speech import Digits, Money, Prompt, say
from flows.state import MAX_FAILURES, CallState, Step


def invalid_choice(keys: str) -> Retry:
    """A key that is not on the menu."""
    return Retry([say("error.invalid_choice")])


def transfer_or_goodbye(ctx: Context, reason: str | Prompt) -> Finish:
    """Explain ``reason``, then hand over to an agent when there is one (the machine says
    how: put through, or a callback offered), else say goodbye."""
    why = say(reason) if isinstance(reason, str) else reason
    if ctx.settings.agent_available:
        return Finish([why], transfer=True)
    return Finish([why, say("end.call_again")])


def account_found(state: CallState, ctx: Context) -> dict[str, object]:
    """The account matched by caller ID, as its option names it: by its last four digits."""
    return {"last4": Digits(ctx.account(state).last4)}


def forget_account(state: CallState) -> None:
    """The caller wants another account than the one matched by caller ID."""
    state.account_id = None


def account_number(state: CallState, keys: str, ctx: Context) -> Outcome:
    """Look the account up by number; an unknown number is not read back (it may be a card)."""
    if not is_digits(keys):
        return Retry([say("error.account_number_digits")])
    try:
        account = ctx.ports.find_account(keys, state.caller)
    except CallerThrottled:
        return transfer_or_goodbye(ctx, say("end.caller_throttled"))
    if account is None:
        return Retry([say("error.account_not_found")])
    state.account_id = account.id
    languages.follow_account(state, account)
    return Go(Step.PIN)


def pin(state: CallState, keys: str, ctx: Context) -> Outcome:
    """Check the PIN; three wrong PINs in one call end it (or go to an agent)."""
    if not (len(keys) == 4 and is_digits(keys)):
        return Retry([say("error.pin_format")])
    result = ctx.ports.check_pin(state.chosen_account_id, keys, state.caller)
    if result is PinCheck.OK:
        state.verified = True
        languages.remember_choice(state, ctx)
        return hear_balance(state, ctx)
    if result is PinCheck.LOCKED:
        return transfer_or_goodbye(ctx, say("end.account_locked",
                                            minutes=ctx.settings.lock_minutes))
    if result is PinCheck.THROTTLED:
        return transfer_or_goodbye(ctx, say("end.caller_throttled"))
    state.pin_failures += 1
    if state.pin_failures >= MAX_FAILURES:
        return transfer_or_goodbye(ctx, "end.too_many_pins")
    return Retry([say("error.pin_wrong")])


def can_arrange(state: CallState, ctx: Context) -> bool:
    """A payment arrangement is offered for a past-due balance (none of it in flight)."""
    account = ctx.account(state)
    return account.payable_cents > 0 and account.held_cents == 0 \
        and account.due_date < ctx.settings.today


def agent_available(state: CallState, ctx: Context) -> bool:
    """Calls can be handed to an agent."""
    return ctx.settings.agent_available


def can_pay(state: CallState, ctx: Context) -> bool:
    """Something may be paid now: a balance, not all of it held by a payment in doubt."""
    return ctx.account(state).payable_cents > 0


def hear_balance(state: CallState, ctx: Context) -> Outcome:
    """The balance and due date, then what is likely next: the offer to pay it now (whose
    menu says them), right after the PIN too. With nothing to pay (zero, a credit, or all of
    it being confirmed), the balance and why, then the main menu: no offer to pay nothing."""
    if can_pay(state, ctx):
        return Go(Step.PAY_NOW)
    account = ctx.account(state)
    more = [say("info.nothing_more_to_pay")] if account.held_cents > 0 else []
    return Go(Step.MAIN_MENU, balance_prompts(account, ctx) + more)


def start_paying(state: CallState, ctx: Context) -> Outcome:
    """On to paying, unless there is nothing to pay."""
    account = ctx.account(state)
    if account.payable_cents <= 0:
        return Go(Step.MAIN_MENU, nothing_to_pay(account))
    return Go(Step.PAY_NOW)


def hear_history(state: CallState, ctx: Context) -> Outcome:
    """The last payments, then the likely next steps: pay now, or more options (the main
    menu itself when there is nothing to pay)."""
    after = Step.NEXT_STEPS if can_pay(state, ctx) else Step.MAIN_MENU
    return Go(after, history_prompts(state, ctx))


def transfer_to_agent(state: CallState, ctx: Context) -> Outcome:
    """Hand the call to an agent (put through, or a callback offered: see the machine)."""
    return Finish([], transfer=True)


def goodbye(state: CallState, ctx: Context) -> Outcome:
    """End the call."""
    return Finish([say("end.goodbye")])


def balance_prompts(account: AccountSummary, ctx: Context) -> list[Prompt]:
    """Balance (or credit) and due date, past due said plainly, and any payment in doubt."""
    balance, due = account.balance_cents, account.due_date
    if balance < 0:
        said = [say("info.credit", credit=Money(-balance))]
    elif balance == 0:
        said = [say("info.balance_zero")]
    elif due < ctx.settings.today:
        said = [say("info.balance_past_due", balance=Money(balance), due=due)]
    else:
        said = [say("info.balance_due", balance=Money(balance), due=due)]
    return said + held_prompts(account)


def pay_now_intro(state: CallState, ctx: Context) -> list[Prompt]:
    """Before the offer to pay now: the balance and due date, and what may be paid now
    when a payment still being confirmed holds part of it."""
    account = ctx.account(state)
    said = balance_prompts(account, ctx)
    if account.held_cents > 0:
        said.append(say("info.payable_now", amount=Money(account.payable_cents)))
    return said


def held_prompts(account: AccountSummary) -> list[Prompt]:
    """A payment still being confirmed, which cannot be paid again meanwhile."""
    if account.held_cents <= 0:
        return []
    return [say("info.payment_being_confirmed", amount=Money(account.held_cents))]


def nothing_to_pay(account: AccountSummary) -> list[Prompt]:
    """Why there is nothing to pay now: a credit, a zero balance, or a payment in doubt."""
    if account.held_cents > 0:
        return [*held_prompts(account), say("info.nothing_more_to_pay")]
    if account.balance_cents < 0:
        return [say("info.credit", credit=Money(-account.balance_cents))]
    return [say("info.nothing_to_pay")]


def history_prompts(state: CallState, ctx: Context) -> list[Prompt]:
    """The last three payments: date, amount and how they were paid."""
    payments = ctx.ports.recent_payments(state.chosen_account_id, 3)
    if not payments:
        return [say("info.history_empty")]
    prompts = [say("info.history_intro", count=len(payments))]
    for payment in payments:
        paid = {"paid_on": payment.paid_on, "amount": Money(payment.amount_cents)}
        if payment.card_last4:
            kind = "bank" if payment.method in ("bank", "saved_bank") else "card"
            method = method_words(kind, payment.card_brand or "", payment.card_last4)
            prompts.append(say("info.history_method", method=method, **paid))
        else:
            prompts.append(say(f"info.history_{payment.method}", **paid))
    return prompts
