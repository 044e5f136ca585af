"""The call state machine: it runs the step table in :mod:`flows.table`.

``start`` answers a new call; ``handle`` takes one caller event. Both mutate the
given :class:`CallState` and return a :class:`Reply`; the caller saves the state.
What each step asks, how it reads keys and where it may go are the table's.
"""

from __future__ import annotations

from flows import agent_steps, languages, steps
from flows.context import Context
from flows.draft import CardEntry
from flows.errors import FlowError
from flows.keys import LANGUAGE
from flows.outcomes import Finish, Outcome, Retry
from flows.pace import offer_slower, paced
from flows.ports import PaymentSource
from flows.record_step import Record
from flows.spec import CardCapture, Hold
from flows.speech import Prompt
from flows.state import MAX_FAILURES, CallState, EndKind, Event, Reply, Step
from flows.table import (
    CANCELLABLE_STEPS,
    MENU_STEPS,
    START_STEPS,
    STEPS,
    TRANSITIONS,
    VERIFIED_STEPS,
)

__all__ = ["CANCELLABLE_STEPS", "MENU_STEPS", "TRANSITIONS", "VERIFIED_STEPS", "FlowError",
           "awaits_capture", "awaits_recording", "handle", "holds_for_payment", "start"]


def start(state: CallState, ctx: Context) -> Reply:
    """Greet a new call, in the line's language or the account's; offer the account matched
    by caller ID when exactly one matches; offer another language before anything else."""
    state.language = ctx.settings.language
    matches = ctx.ports.accounts_for_phone(state.caller) if state.caller else []
    if len(matches) == 1:
        state.account_id = matches[0].id
        state.step = Step.CONFIRM_ACCOUNT
        languages.follow_account(state, matches[0])
    else:
        state.step = Step.ACCOUNT_NUMBER
    state.went_to(state.step)
    # The language offer opens the call: each word before the first question is heard by
    # every caller (issue 10's budget), so no welcome is said before it.
    reply = _reply(state, ctx, [])
    return paced(state, languages.offered_first(offer_slower(reply), state, ctx.settings.language))


def handle(state: CallState, event: Event, ctx: Context) -> Reply:
    """Take one caller event at the current step and decide what happens next."""
    if state.step in VERIFIED_STEPS and not state.verified:
        raise FlowError(f"step {state.step} reached without a verified PIN")
    state.new_turn()
    if event.spoke:
        state.spoken = True  # that they speak, not what they said (it may hold a secret)
    if state.step in START_STEPS and event.digits == LANGUAGE and \
            languages.switch(state, ctx.settings.language):
        # The same question again, in the language chosen (the way back, and slower prompts,
        # offered first).
        reply = _reply(state, ctx, [])
        home = ctx.settings.language
        return paced(state, languages.offered_first(offer_slower(reply), state, home))
    outcome = STEPS[state.step].take(state, event, ctx)
    return paced(state, _apply(state, outcome, ctx))


def _apply(state: CallState, outcome: Outcome, ctx: Context) -> Reply:
    if isinstance(outcome, Finish) and outcome.transfer:
        return _hand_over(state, outcome.say, ctx)
    if isinstance(outcome, Finish):
        state.step = Step.ENDED
        return Reply(outcome.say, end=EndKind.HANGUP)
    if isinstance(outcome, Retry):
        state.prompt_failures += 1
        if state.prompt_failures >= MAX_FAILURES:
            return _apply(state, steps.transfer_or_goodbye(ctx, "end.too_many_failures"), ctx)
        _move(state, outcome.step or state.step)
        return _reply(state, ctx, outcome.say)
    state.prompt_failures = 0
    _move(state, outcome.step)
    return _reply(state, ctx, outcome.say)


def _hand_over(state: CallState, said: list[Prompt], ctx: Context) -> Reply:
    """A transfer: put through to an agent (the ``AGENT`` step, which a call no agent
    answers comes back to), or, when none can take the call, on to the callback offer."""
    outcome = agent_steps.hand_over(state, said, ctx)
    if isinstance(outcome, Finish) and not outcome.transfer:
        return _apply(state, outcome, ctx)
    state.step = Step.AGENT
    state.went_to(Step.AGENT)
    if isinstance(outcome, Finish):
        return Reply(outcome.say, end=EndKind.TRANSFER)
    return _apply(state, outcome, ctx)


def _reply(state: CallState, ctx: Context, said: list[Prompt]) -> Reply:
    """Say ``said``, then whatever the step now reached asks of the caller."""
    return STEPS[state.step].reply(state, ctx, said)


def _move(state: CallState, target: Step) -> None:
    if target != state.step and target not in TRANSITIONS[state.step]:
        raise FlowError(f"no transition from {state.step} to {target}")
    if target != state.step:
        state.went_to(target)
    state.step = target


def holds_for_payment(state: CallState) -> bool:
    """The caller holds while the payment written ahead is charged (a ``Hold`` step)."""
    return isinstance(STEPS[state.step], Hold)


def holds_keyed(state: CallState) -> bool:
    """The call still needs the card or bank account it keyed: being keyed, keyed and not
    yet authorised, or authorised and being charged. Otherwise whatever was held goes (a
    call that ended here, to an agent say, needs none: an agent takes payments their way)."""
    if holds_for_payment(state):
        return True
    if state.step in (Step.ENDED, Step.AGENT):
        return False
    method = state.draft.method if state.draft is not None else None
    if isinstance(method, CardEntry):
        return True
    return isinstance(method, PaymentSource) and method.kind in ("card", "bank") \
        and not method.token


def awaits_capture(state: CallState) -> bool:
    """The call waits for Twilio's <Pay> to report on a card (a ``CardCapture`` step)."""
    return isinstance(STEPS[state.step], CardCapture)


def awaits_recording(state: CallState) -> bool:
    """The call waits for Twilio's <Record> to report a message (a ``Record`` step)."""
    return isinstance(STEPS[state.step], Record)
