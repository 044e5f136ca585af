"""Step handlers for finding the account, the PIN and the main menu.

Each handler takes the caller's keys and returns an outcome; the only side
effects are the ports'.
"""

from __future__ import annotations

from flows.context import Context
from flows.keys import is_digits
from flows.menus import method_words, option
from flows.outcomes import Finish, Go, Outcome, Retry
from flows.ports import AccountSummary, CallerThrottled, PinCheck
from flows.speech import Money, Prompt, say
from flows.state import MAX_FAILURES, Ask, CallState, Step


def invalid_choice(keys: str) -> Retry:
    """A key that is not on the menu."""
    return Retry([say("error.invalid_choice")])


def transfer_or_goodbye(ctx: Context, reason: str | Prompt) -> Finish:
    """Explain ``reason``, then hand over to an agent when there is one, else say goodbye."""
    why = say(reason) if isinstance(reason, str) else reason
    if ctx.settings.agent_available:
        return Finish([why, say("end.transferring")], transfer=True)
    return Finish([why, say("end.call_again")])


def confirm_account(state: CallState, keys: str, ctx: Context) -> Outcome:
    """1 keeps the account matched by caller ID; 2 asks for another account number."""
    if keys == "1":
        return Go(Step.PIN)
    if keys == "2":
        state.account_id = None
        return Go(Step.ACCOUNT_NUMBER)
    return invalid_choice(keys)


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
    return Go(Step.PIN)


def pin(state: CallState, keys: str, ctx: Context) -> Outcome:
    """Check the PIN; three wrong PINs in one call end it (or go to an agent)."""
    if not (len(keys) == 4 and is_digits(keys)):
        return Retry([say("error.pin_format")])
    assert state.account_id is not None
    result = ctx.ports.check_pin(state.account_id, keys, state.caller)
    if result is PinCheck.OK:
        state.verified = True
        return Go(Step.MAIN_MENU, [say("info.pin_accepted")])
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


def main_menu(state: CallState, keys: str, ctx: Context) -> Outcome:
    """Balance, pay, history, scheduled payments and AutoPay, arrangement, agent, end."""
    account = ctx.account(state)
    if keys == "1":
        return Go(Step.MAIN_MENU, balance_prompts(account, ctx))
    if keys == "2":
        if account.payable_cents <= 0:
            return Go(Step.MAIN_MENU, nothing_to_pay(account))
        return Go(Step.PAY_CHOICE)
    if keys == "3":
        return Go(Step.MAIN_MENU, history_prompts(state, ctx))
    if keys == "4":
        return Go(Step.MANAGE)
    if keys == "5" and can_arrange(state, ctx):
        return Go(Step.ARRANGE_COUNT)
    if keys == "0" and ctx.settings.agent_available:
        return Finish([say("end.transferring")], transfer=True)
    if keys == "9":
        return Finish([say("end.goodbye")])
    return invalid_choice(keys)


def ask_main_menu(state: CallState, ctx: Context) -> list[Prompt]:
    """The main menu's options; the arrangement and agent options only when they apply."""
    options = [option("option.balance", "1"), option("option.pay", "2"),
               option("option.history", "3"), option("option.manage", "4")]
    if can_arrange(state, ctx):
        options.append(option("option.arrangement", "5"))
    if ctx.settings.agent_available:
        options.append(option("option.agent", "0"))
    options.append(option("option.end_call", "9"))
    return options


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
    assert state.account_id is not None
    payments = ctx.ports.recent_payments(state.account_id, 3)
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


def ask_account_number(state: CallState, ctx: Context) -> Ask:
    """Account number, ended by pound."""
    return Ask([say("ask.account_number")], timeout=10)


def ask_pin(state: CallState, ctx: Context) -> Ask:
    """Four-digit PIN."""
    return Ask([say("ask.pin")], num_digits=4, timeout=10)
