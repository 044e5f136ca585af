"""The question each step asks: what the caller hears and how keys are collected."""

from __future__ import annotations

from collections.abc import Callable

from flows import amount_steps, method_steps, payment_steps, plan_steps, steps
from flows.context import Context
from flows.menus import menu, option
from flows.speech import Digits, say
from flows.state import Ask, CallState, Step

Question = Callable[[CallState, Context], Ask]


def question(state: CallState, ctx: Context) -> Ask:
    """The question for the caller's current step."""
    return QUESTIONS[state.step](state, ctx)


def _confirm_account(state: CallState, ctx: Context) -> Ask:
    found = say("ask.confirm_account", last4=Digits(ctx.account(state).last4))
    return menu(option("option.use_this_account", "1"), option("option.other_account", "2"),
                before=[found])


QUESTIONS: dict[Step, Question] = {
    Step.CONFIRM_ACCOUNT: _confirm_account,
    Step.ACCOUNT_NUMBER: steps.ask_account_number,
    Step.PIN: steps.ask_pin,
    Step.MAIN_MENU: lambda s, c: menu(*steps.ask_main_menu(s, c)),
    Step.PAY_CHOICE: amount_steps.ask_pay_choice,
    Step.PAY_OTHER_AMOUNT: amount_steps.ask_other_amount,
    Step.PAY_WHEN: amount_steps.ask_pay_when,
    Step.SCHEDULE_DATE: amount_steps.ask_schedule_date,
    **method_steps.QUESTIONS,
    Step.PAY_CONFIRM: payment_steps.ask_pay_confirm,
    Step.AFTER_PAYMENT: payment_steps.ask_after_payment,
    Step.AFTER_DECLINE: payment_steps.ask_after_decline,
    Step.MANAGE: plan_steps.ask_manage,
    Step.CANCEL_SCHEDULED: plan_steps.ask_cancel_scheduled,
    Step.AUTOPAY_METHOD: plan_steps.ask_autopay_method,
    Step.AUTOPAY_CONFIRM: plan_steps.ask_autopay_confirm,
    Step.ARRANGE_COUNT: plan_steps.ask_arrange_count,
    Step.ARRANGE_DATE: plan_steps.ask_arrange_date,
    Step.ARRANGE_CONFIRM: plan_steps.ask_arrange_confirm,
}

# Single-key menus: a lone star repeats them.
MENU_STEPS = frozenset({
    Step.CONFIRM_ACCOUNT, Step.MAIN_MENU, Step.PAY_CHOICE, Step.PAY_WHEN, Step.PAY_METHOD,
    Step.BANK_TYPE, Step.PAY_CONFIRM, Step.AFTER_PAYMENT, Step.AFTER_DECLINE, Step.MANAGE,
    Step.CANCEL_SCHEDULED, Step.AUTOPAY_METHOD, Step.AUTOPAY_CONFIRM, Step.ARRANGE_COUNT,
    Step.ARRANGE_CONFIRM,
})
