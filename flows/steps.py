"""Step handlers: the caller's keys in, an outcome out. No side effects but the ports'."""

from __future__ import annotations

from datetime import date

from flows.cards import CardProblem, check_card_number, check_expiry
from flows.context import Context
from flows.money import AmountError, parse_keyed_amount
from flows.outcomes import Finish, Go, Outcome, Retry
from flows.ports import PinCheck
from flows.speech import Digits, Money, Prompt, say
from flows.state import MAX_FAILURES, CallState, Step


def invalid_choice(keys: str) -> Retry:
    """A key that is not on the menu."""
    return Retry([say("error.invalid_choice")])


def transfer_or_goodbye(ctx: Context, reason: str) -> Finish:
    """Explain ``reason``, then hand over to an agent when there is one, else say goodbye."""
    if ctx.settings.agent_available:
        return Finish([say(reason), say("end.transferring")], transfer=True)
    return Finish([say(reason), say("end.call_again")])


def confirm_account(state: CallState, keys: str, ctx: Context) -> Outcome:
    """1 keeps the account matched by caller ID; 2 asks for another account number."""
    if keys == "1":
        return Go(Step.PIN)
    if keys == "2":
        state.account_id = None
        return Go(Step.ACCOUNT_NUMBER)
    return invalid_choice(keys)


def account_number(state: CallState, keys: str, ctx: Context) -> Outcome:
    """Look the account up by number; an unknown number is read back so it can be checked."""
    if not keys.isdigit():
        return Retry([say("error.account_number_digits")])
    account = ctx.ports.find_account(keys)
    if account is None:
        return Retry([say("error.account_not_found", number=Digits(keys))])
    state.account_id = account.id
    return Go(Step.PIN)


def pin(state: CallState, keys: str, ctx: Context) -> Outcome:
    """Check the PIN; three wrong PINs in one call end it (or go to an agent)."""
    if not (len(keys) == 4 and keys.isdigit()):
        return Retry([say("error.pin_format")])
    assert state.account_id is not None
    result = ctx.ports.check_pin(state.account_id, keys)
    if result is PinCheck.OK:
        state.verified = True
        return Go(Step.MAIN_MENU, [say("info.pin_accepted")])
    if result is PinCheck.LOCKED:
        return transfer_or_goodbye(ctx, "end.account_locked")
    state.pin_failures += 1
    if state.pin_failures >= MAX_FAILURES:
        return transfer_or_goodbye(ctx, "end.too_many_pins")
    return Retry([say("error.pin_wrong")])


def main_menu(state: CallState, keys: str, ctx: Context) -> Outcome:
    """Balance, pay, history, agent, or end the call."""
    account = ctx.account(state)
    if keys == "1":
        return Go(Step.MAIN_MENU, balance_prompts(account.balance_cents, account.due_date, ctx))
    if keys == "2":
        if account.balance_cents == 0:
            return Go(Step.MAIN_MENU, [say("info.nothing_to_pay")])
        return Go(Step.PAY_CHOICE)
    if keys == "3":
        return Go(Step.MAIN_MENU, history_prompts(state, ctx))
    if keys == "0" and ctx.settings.agent_available:
        return Finish([say("end.transferring")], transfer=True)
    if keys == "9":
        return Finish([say("end.goodbye")])
    return invalid_choice(keys)


def balance_prompts(balance_cents: int, due_date: date, ctx: Context) -> list[Prompt]:
    """Balance and due date, saying plainly when it is past due."""
    if balance_cents == 0:
        return [say("info.balance_zero")]
    if due_date < ctx.settings.today:
        return [say("info.balance_past_due", balance=Money(balance_cents), due=due_date)]
    return [say("info.balance_due", balance=Money(balance_cents), due=due_date)]


def history_prompts(state: CallState, ctx: Context) -> list[Prompt]:
    """The last three payments: date, amount and how they were paid."""
    assert state.account_id is not None
    payments = ctx.ports.recent_payments(state.account_id, 3)
    if not payments:
        return [say("info.history_empty")]
    prompts = [say("info.history_intro", count=len(payments))]
    for payment in payments:
        paid = {"paid_on": payment.paid_on, "amount": Money(payment.amount_cents)}
        if payment.method == "card" and payment.card_last4:
            prompts.append(say("info.history_card", brand=payment.card_brand or "card",
                               last4=Digits(payment.card_last4), **paid))
        else:
            prompts.append(say(f"info.history_{payment.method}", **paid))
    return prompts


def pay_choice(state: CallState, keys: str, ctx: Context) -> Outcome:
    """Pay the whole balance or choose an amount."""
    if keys == "1":
        state.amount_cents = ctx.account(state).balance_cents
        return Go(Step.CARD_NUMBER)
    if keys == "2":
        return Go(Step.PAY_OTHER_AMOUNT)
    if keys == "9":
        state.clear_payment()
        return Go(Step.MAIN_MENU)
    return invalid_choice(keys)


def other_amount(state: CallState, keys: str, ctx: Context) -> Outcome:
    """An amount keyed as dollars * cents; between the minimum and the balance."""
    try:
        cents = parse_keyed_amount(keys)
    except AmountError as error:
        return Retry([say(f"error.{error.problem}")])
    balance = ctx.account(state).balance_cents
    minimum = min(ctx.settings.min_payment_cents, balance)
    if cents < minimum or cents == 0:
        return Retry([say("error.amount_below_minimum", amount=Money(cents),
                          minimum=Money(minimum))])
    if cents > balance:
        return Retry([say("error.amount_above_balance", amount=Money(cents),
                          balance=Money(balance))])
    state.amount_cents = cents
    return Go(Step.CARD_NUMBER, [say("info.amount_accepted", amount=Money(cents))])


def card_number(state: CallState, keys: str, ctx: Context) -> Outcome:
    """Luhn and brand checks, then the number goes to the vault and is forgotten."""
    brand, problem = check_card_number(keys)
    if problem is not None:
        return Retry([say(f"error.{problem}")])
    token = ctx.ports.vault_card(keys)
    state.card = {"token": token.token, "brand": str(brand), "last4": token.last4}
    return Go(Step.CARD_EXPIRY)


def card_expiry(state: CallState, keys: str, ctx: Context) -> Outcome:
    """MMYY, not in the past; an expired card means trying another card."""
    problem = check_expiry(keys, ctx.settings.today)
    if problem is not None:
        if problem is CardProblem.EXPIRED:
            state.clear_card()
            return Retry([say("error.card_expired")], step=Step.CARD_NUMBER)
        return Retry([say(f"error.{problem}")])
    state.expiry = keys
    return Go(Step.CARD_CODE)
