"""The call state machine: every step, its handler and where it may lead, in one place.

``start`` answers a new call; ``handle`` takes one caller event. Both mutate the
given :class:`CallState` and return a :class:`Reply`; the caller saves the state.
"""

from __future__ import annotations

from collections.abc import Callable

from flows import payment_steps as pay
from flows import steps
from flows.context import Context
from flows.outcomes import Finish, Go, Outcome, Retry
from flows.questions import MENU_STEPS, question
from flows.speech import say
from flows.state import MAX_FAILURES, CallState, EndKind, Event, Reply, Step

Handler = Callable[[CallState, str, Context], Outcome]

# step: (handler, steps it may go to). Finish is allowed from anywhere.
TRANSITIONS: dict[Step, tuple[Handler, frozenset[Step]]] = {
    Step.CONFIRM_ACCOUNT: (steps.confirm_account, frozenset({Step.PIN, Step.ACCOUNT_NUMBER})),
    Step.ACCOUNT_NUMBER: (steps.account_number, frozenset({Step.PIN})),
    Step.PIN: (steps.pin, frozenset({Step.MAIN_MENU})),
    Step.MAIN_MENU: (steps.main_menu, frozenset({Step.MAIN_MENU, Step.PAY_CHOICE})),
    Step.PAY_CHOICE: (steps.pay_choice,
                      frozenset({Step.CARD_NUMBER, Step.PAY_OTHER_AMOUNT, Step.MAIN_MENU})),
    Step.PAY_OTHER_AMOUNT: (steps.other_amount, frozenset({Step.CARD_NUMBER, Step.MAIN_MENU})),
    Step.CARD_NUMBER: (steps.card_number, frozenset({Step.CARD_EXPIRY, Step.MAIN_MENU})),
    Step.CARD_EXPIRY: (steps.card_expiry,
                       frozenset({Step.CARD_CODE, Step.CARD_NUMBER, Step.MAIN_MENU})),
    Step.CARD_CODE: (pay.card_code, frozenset({Step.CARD_ZIP, Step.MAIN_MENU})),
    Step.CARD_ZIP: (pay.card_zip, frozenset({Step.PAY_CONFIRM, Step.MAIN_MENU})),
    Step.PAY_CONFIRM: (pay.pay_confirm,
                       frozenset({Step.AFTER_PAYMENT, Step.AFTER_DECLINE, Step.MAIN_MENU})),
    Step.AFTER_PAYMENT: (pay.after_payment, frozenset({Step.AFTER_PAYMENT, Step.MAIN_MENU})),
    Step.AFTER_DECLINE: (pay.after_decline, frozenset({Step.CARD_NUMBER, Step.MAIN_MENU})),
}

# Payment entry steps where a lone star cancels the payment and returns to the main menu.
CANCELLABLE_STEPS = frozenset(
    {Step.PAY_OTHER_AMOUNT, Step.CARD_NUMBER, Step.CARD_EXPIRY, Step.CARD_CODE, Step.CARD_ZIP}
)

# Steps that speak about the account: reachable only once the PIN has passed.
VERIFIED_STEPS = frozenset(TRANSITIONS) - {Step.CONFIRM_ACCOUNT, Step.ACCOUNT_NUMBER, Step.PIN}


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
    if event.silent:
        outcome: Outcome = Retry([say("error.no_input")])
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
    return Reply(outcome.say, ask=question(state, ctx))


def _move(state: CallState, target: Step) -> None:
    allowed = TRANSITIONS[state.step][1] | {state.step}
    if target not in allowed:
        raise FlowError(f"no transition from {state.step} to {target}")
    state.step = target
