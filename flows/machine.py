"""The call state machine: every step, its handler and where it may lead, in one place.

``start`` answers a new call; ``handle`` takes one caller event. Both mutate the
given :class:`CallState` and return a :class:`Reply`; the caller saves the state.
"""

from __future__ import annotations

from collections.abc import Callable

from flows import amount_steps as amount
from flows import capture_steps as capture
from flows import method_steps as method
from flows import payment_steps as pay
from flows import plan_steps as plan
from flows import steps
from flows.context import Context
from flows.outcomes import Finish, Go, Outcome, Retry
from flows.questions import MENU_STEPS, question
from flows.speech import say
from flows.state import MAX_FAILURES, CallState, EndKind, Event, Reply, Step

Handler = Callable[[CallState, str, Context], Outcome]
S = Step

# step: (handler, steps it may go to). Finish is allowed from anywhere; so is staying put.
TRANSITIONS: dict[Step, tuple[Handler, frozenset[Step]]] = {
    S.CONFIRM_ACCOUNT: (steps.confirm_account, frozenset({S.PIN, S.ACCOUNT_NUMBER})),
    S.ACCOUNT_NUMBER: (steps.account_number, frozenset({S.PIN})),
    S.PIN: (steps.pin, frozenset({S.MAIN_MENU})),
    S.MAIN_MENU: (steps.main_menu, frozenset({S.PAY_CHOICE, S.MANAGE, S.ARRANGE_COUNT})),
    # How much, and when.
    S.PAY_CHOICE: (amount.pay_choice,
                   frozenset({S.PAY_OTHER_AMOUNT, S.PAY_WHEN, S.PAY_METHOD, S.MAIN_MENU})),
    S.PAY_OTHER_AMOUNT: (amount.other_amount, frozenset({S.PAY_WHEN, S.PAY_METHOD})),
    S.PAY_WHEN: (amount.pay_when, frozenset({S.PAY_METHOD, S.SCHEDULE_DATE})),
    S.SCHEDULE_DATE: (amount.schedule_date, frozenset({S.PAY_METHOD})),
    # With what.
    S.PAY_METHOD: (method.pay_method, frozenset({S.PAY_CONFIRM, S.ARRANGE_CONFIRM, S.MAIN_MENU,
                                                 S.CARD_NUMBER, S.CARD_CAPTURE, S.BANK_TYPE,
                                                 S.AFTER_DECLINE})),
    S.CARD_NUMBER: (method.card_number, frozenset({S.CARD_EXPIRY})),
    S.CARD_EXPIRY: (method.card_expiry, frozenset({S.CARD_CODE, S.CARD_NUMBER})),
    S.CARD_CODE: (method.card_code, frozenset({S.CARD_ZIP})),
    S.CARD_ZIP: (method.card_zip, frozenset({S.PAY_CONFIRM, S.ARRANGE_CONFIRM})),
    S.CARD_CAPTURE: (lambda state, keys, ctx: capture.capture_result(state, {}, ctx),
                     frozenset({S.PAY_CONFIRM, S.ARRANGE_CONFIRM, S.AFTER_PAYMENT,
                                S.AFTER_DECLINE, S.MAIN_MENU})),
    S.BANK_TYPE: (method.bank_type, frozenset({S.BANK_ROUTING})),
    S.BANK_ROUTING: (method.bank_routing, frozenset({S.BANK_ACCOUNT})),
    S.BANK_ACCOUNT: (method.bank_account, frozenset({S.BANK_ACCOUNT_AGAIN})),
    S.BANK_ACCOUNT_AGAIN: (method.bank_account_again,
                           frozenset({S.PAY_CONFIRM, S.ARRANGE_CONFIRM, S.BANK_ACCOUNT})),
    # Authorise, and after.
    S.PAY_CONFIRM: (pay.pay_confirm, frozenset({S.CHARGING, S.AFTER_PAYMENT, S.AFTER_DECLINE,
                                                S.MAIN_MENU})),
    S.CHARGING: (pay.charging, frozenset({S.AFTER_PAYMENT, S.AFTER_DECLINE})),
    S.AFTER_PAYMENT: (pay.after_payment, frozenset({S.MAIN_MENU})),
    S.AFTER_DECLINE: (pay.after_decline, frozenset({S.PAY_METHOD, S.MAIN_MENU})),
    # Scheduled payments and AutoPay.
    S.MANAGE: (plan.manage, frozenset({S.CANCEL_SCHEDULED, S.AUTOPAY_METHOD, S.AUTOPAY_CONFIRM,
                                       S.MAIN_MENU})),
    S.CANCEL_SCHEDULED: (plan.cancel_scheduled, frozenset({S.MANAGE})),
    S.AUTOPAY_METHOD: (plan.autopay_method, frozenset({S.AUTOPAY_CONFIRM, S.MANAGE})),
    S.AUTOPAY_CONFIRM: (plan.autopay_confirm, frozenset({S.MANAGE})),
    # Payment arrangements.
    S.ARRANGE_COUNT: (plan.arrange_count, frozenset({S.ARRANGE_DATE, S.MAIN_MENU})),
    S.ARRANGE_DATE: (plan.arrange_date, frozenset({S.PAY_METHOD})),
    S.ARRANGE_CONFIRM: (plan.arrange_confirm, frozenset({S.MAIN_MENU})),
}

# Entry steps where a lone star cancels the payment and returns to the main menu.
CANCELLABLE_STEPS = frozenset({
    S.PAY_OTHER_AMOUNT, S.SCHEDULE_DATE, S.CARD_NUMBER, S.CARD_EXPIRY, S.CARD_CODE, S.CARD_ZIP,
    S.BANK_ROUTING, S.BANK_ACCOUNT, S.BANK_ACCOUNT_AGAIN, S.ARRANGE_DATE,
})

# Steps that speak about the account: reachable only once the PIN has passed.
VERIFIED_STEPS = frozenset(TRANSITIONS) - {S.CONFIRM_ACCOUNT, S.ACCOUNT_NUMBER, S.PIN}


class FlowError(RuntimeError):
    """The flow tried something its transition table does not allow (a bug, not input)."""


def start(state: CallState, ctx: Context) -> Reply:
    """Greet a new call; offer the account matched by caller ID when exactly one matches."""
    matches = ctx.ports.accounts_for_phone(state.caller) if state.caller else []
    if len(matches) == 1:
        state.account_id = matches[0].id
        state.step = Step.CONFIRM_ACCOUNT
    else:
        state.step = Step.ACCOUNT_NUMBER
    return Reply([say("info.welcome")], ask=question(state, ctx))


def handle(state: CallState, event: Event, ctx: Context) -> Reply:
    """Take one caller event at the current step and decide what happens next."""
    if state.step is Step.ENDED:
        return Reply([say("end.goodbye")], end=EndKind.HANGUP)
    if state.step in VERIFIED_STEPS and not state.verified:
        raise FlowError(f"step {state.step} reached without a verified PIN")
    if state.step is Step.CARD_CAPTURE:
        # <Pay> always reports back; anything else here is treated as a failed capture.
        outcome: Outcome = capture.capture_result(state, event.pay or {}, ctx)
    elif state.step is Step.CHARGING:
        outcome = pay.charging(state, "", ctx)  # whatever arrives, the payment's result
    elif event.silent:
        outcome = Retry([say("error.no_input")])
    elif event.digits == "*" and state.step in MENU_STEPS:
        outcome = Go(state.step)
    elif event.digits == "*" and state.step in CANCELLABLE_STEPS:
        outcome = pay.cancel_payment(state)
    else:
        handler, _ = TRANSITIONS[state.step]
        outcome = handler(state, event.digits or "", ctx)
    return _apply(state, outcome, ctx)


def _apply(state: CallState, outcome: Outcome, ctx: Context) -> Reply:
    if isinstance(outcome, Finish):
        state.step = Step.ENDED
        end = EndKind.TRANSFER if outcome.transfer else EndKind.HANGUP
        return Reply(outcome.say, end=end)
    if isinstance(outcome, Retry):
        state.prompt_failures += 1
        if state.prompt_failures >= MAX_FAILURES:
            return _apply(state, steps.transfer_or_goodbye(ctx, "end.too_many_failures"), ctx)
        _move(state, outcome.step or state.step)
        return Reply(outcome.say, ask=question(state, ctx))
    state.prompt_failures = 0
    _move(state, outcome.step)
    if state.step is Step.CARD_CAPTURE:
        return capture.capture_reply(state, ctx, outcome.say)
    if state.step is Step.CHARGING:
        return Reply(outcome.say, carry_on=True)
    return Reply(outcome.say, ask=question(state, ctx))


def _move(state: CallState, target: Step) -> None:
    allowed = TRANSITIONS[state.step][1] | {state.step}
    if state.step in CANCELLABLE_STEPS:
        allowed |= {Step.MAIN_MENU}
    if target not in allowed:
        raise FlowError(f"no transition from {state.step} to {target}")
    state.step = target
