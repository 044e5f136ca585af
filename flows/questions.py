"""The question each step asks: what the caller hears and how keys are collected."""

from __future__ import annotations

from flows.cards import Brand, security_code_length
from flows.context import Context
from flows.speech import Digits, Key, Money, Prompt, say
from flows.state import Ask, CallState, Step


def option(prompt_id: str, key: str) -> Prompt:
    """One menu option; its catalog text reads "To ..., press {key}."."""
    return say(prompt_id, key=Key(key))


def menu(*options: Prompt, before: list[Prompt] | None = None) -> Ask:
    """A single-key menu that always ends by offering to repeat itself."""
    prompts = [*(before or []), *options, option("option.repeat", "*")]
    return Ask(prompts, num_digits=1)


def question(state: CallState, ctx: Context) -> Ask:
    """The question for the caller's current step."""
    return _QUESTIONS[state.step](state, ctx)


def _confirm_account(state: CallState, ctx: Context) -> Ask:
    account = ctx.account(state)
    found = say("ask.confirm_account", last4=Digits(account.last4))
    return menu(option("option.use_this_account", "1"), option("option.other_account", "2"),
                before=[found])


def _main_menu(state: CallState, ctx: Context) -> Ask:
    options = [option("option.balance", "1"), option("option.pay", "2"),
               option("option.history", "3")]
    if ctx.settings.agent_available:
        options.append(option("option.agent", "0"))
    options.append(option("option.end_call", "9"))
    return menu(*options)


def _pay_choice(state: CallState, ctx: Context) -> Ask:
    balance = say("ask.pay_choice", balance=Money(ctx.account(state).balance_cents))
    return menu(option("option.pay_full", "1"), option("option.pay_other", "2"),
                option("option.main_menu", "9"), before=[balance])


def _other_amount(state: CallState, ctx: Context) -> Ask:
    limits = say("ask.amount", minimum=Money(ctx.settings.min_payment_cents),
                 balance=Money(ctx.account(state).balance_cents))
    return Ask([limits, option("option.cancel_entry", "*")], timeout=10)


def _card_code(state: CallState, ctx: Context) -> Ask:
    brand = Brand(state.card["brand"]) if state.card else Brand.VISA
    length = security_code_length(brand)
    where = "ask.card_code_front" if brand is Brand.AMEX else "ask.card_code_back"
    return Ask([say(where, length=length)], num_digits=length, timeout=10)


def _pay_confirm(state: CallState, ctx: Context) -> Ask:
    card = state.card or {}
    summary = say("ask.confirm_payment", amount=Money(state.amount_cents or 0),
                  brand=card.get("brand", ""), last4=Digits(card.get("last4", "")))
    return menu(option("option.authorise", "1"), option("option.cancel_payment", "2"),
                before=[summary])


def _after_payment(state: CallState, ctx: Context) -> Ask:
    return menu(option("option.repeat_confirmation", "1"), option("option.main_menu", "2"),
                option("option.end_call", "9"))


def _after_decline(state: CallState, ctx: Context) -> Ask:
    return menu(option("option.another_card", "1"), option("option.main_menu", "2"),
                option("option.end_call", "9"))


_QUESTIONS = {
    Step.CONFIRM_ACCOUNT: _confirm_account,
    Step.ACCOUNT_NUMBER: lambda s, c: Ask([say("ask.account_number")], timeout=10),
    Step.PIN: lambda s, c: Ask([say("ask.pin")], num_digits=4, timeout=10),
    Step.MAIN_MENU: _main_menu,
    Step.PAY_CHOICE: _pay_choice,
    Step.PAY_OTHER_AMOUNT: _other_amount,
    Step.CARD_NUMBER: lambda s, c: Ask([say("ask.card_number"), option("option.cancel_entry", "*")],
                                       timeout=10),
    Step.CARD_EXPIRY: lambda s, c: Ask([say("ask.card_expiry")], num_digits=4, timeout=10),
    Step.CARD_CODE: _card_code,
    Step.CARD_ZIP: lambda s, c: Ask([say("ask.card_zip")], num_digits=5, timeout=10),
    Step.PAY_CONFIRM: _pay_confirm,
    Step.AFTER_PAYMENT: _after_payment,
    Step.AFTER_DECLINE: _after_decline,
}

MENU_STEPS = frozenset(
    {Step.CONFIRM_ACCOUNT, Step.MAIN_MENU, Step.PAY_CHOICE, Step.PAY_CONFIRM,
     Step.AFTER_PAYMENT, Step.AFTER_DECLINE}
)
