"""Handing a caller to an agent, and the callback request when no agent can take the call.

A step asks for an agent by finishing with ``Finish(transfer=True)``; the machine hands that
to :func:`hand_over`, which puts the call through while agents are on duty
(``IVR_AGENT_HOURS``), and otherwise offers a callback. A call put through that no agent
answers (no answer, busy, failed) comes back to the ``AGENT`` step, whose :func:`unanswered`
offers the callback too. The caller may be called at the caller ID, or key another number,
which is read back to confirm; the request is kept, and a verified caller goes back to the
main menu (anyone else is said goodbye to).
"""

from __future__ import annotations

import phonenumbers

from flows.context import Context
from flows.outcomes import Finish, Go, Outcome, Retry
from flows.speech import Digits, Phone, Prompt, say
from flows.state import CallState, Step

# The steps of a callback request: a transfer asked for from one of them (after too many
# failed entries) ends the call rather than offering the callback again.
CALLBACK_STEPS = frozenset({Step.CALLBACK_OFFER, Step.CALLBACK_NUMBER, Step.CALLBACK_ENTRY,
                            Step.CALLBACK_CONFIRM})
CALLBACK_REGION = "US"  # a callback number is keyed as a US number, area code first
# Numbers an agent must not be asked to call: the caller would be charged for the call.
_NOT_CALLED = {phonenumbers.PhoneNumberType.PREMIUM_RATE}


def hand_over(state: CallState, said: list[Prompt], ctx: Context) -> Outcome:
    """What becomes of a transfer: put through while agents are on duty, else the callback
    offer (or goodbye, when asked for from the callback steps themselves)."""
    if state.step in CALLBACK_STEPS:
        return Finish([*said, say("end.call_again")])
    if ctx.agents.on_duty:
        return Finish([*said, say("end.transferring")], transfer=True)
    state.clear_payment()  # an agent takes payments their way; the caller starts afresh
    return Go(Step.CALLBACK_OFFER, [*said, say("agent.closed")])


def unanswered(state: CallState, ctx: Context) -> Outcome:
    """The agent did not answer, was busy, or could not be reached: offer a callback."""
    state.clear_payment()
    return Go(Step.CALLBACK_OFFER, [say("agent.unanswered")])


def offer_intro(state: CallState, ctx: Context) -> list[Prompt]:
    """When agents are available, and any callback already asked for on this call."""
    said = []
    if ctx.agents.hours is not None:
        said.append(say("agent.hours", hours=ctx.agents.hours.prompt()))
    if state.callback_saved and state.callback_number:
        said.append(say("agent.callback_already", phone=Phone(state.callback_number)))
    return said


def can_ask(state: CallState, ctx: Context) -> bool:
    """One callback request per call."""
    return not state.callback_saved


def is_verified(state: CallState, ctx: Context) -> bool:
    """Only a caller who passed the PIN check goes back to the main menu."""
    return state.verified


def start_request(state: CallState, ctx: Context) -> Outcome:
    """Offer the caller ID as the number to call, or ask for one when there is none (or it
    is not a number the agents may call back)."""
    state.callback_number = None
    offered = state.caller and callable_number(state.caller)
    return Go(Step.CALLBACK_NUMBER if offered else Step.CALLBACK_ENTRY)


def caller_id_ending(state: CallState, ctx: Context) -> dict[str, object]:
    """The caller ID's last four digits, as the option names them."""
    return {"last4": Digits((state.caller or "")[-4:])}


def use_caller_id(state: CallState, ctx: Context) -> Outcome:
    """Call back the number the caller is calling from (chosen by its last four digits)."""
    state.callback_number = state.caller
    return keep_request(state, ctx)


def number_keyed(state: CallState, keys: str, ctx: Context) -> Outcome:
    """A number to call, keyed: read back to confirm when it is one we can call."""
    number = callable_number(keys)
    if number is None:
        return Retry([say("error.callback_number")])
    state.callback_number = number
    return Go(Step.CALLBACK_CONFIRM)


def confirm_intro(state: CallState, ctx: Context) -> list[Prompt]:
    """The number keyed, read back in the groups it is dialled in."""
    return [say("ask.callback_confirm", phone=Phone(state.callback_number or ""))]


def keep_request(state: CallState, ctx: Context) -> Outcome:
    """Keep the request; a verified caller goes back to the main menu, anyone else is done."""
    number = state.callback_number or ""
    ctx.ports.request_callback(state.account_id, number, state.call_sid, state.verified)
    state.callback_saved = True
    said = [say("info.callback_saved", phone=Phone(number))]
    if state.verified:
        return Go(Step.MAIN_MENU, said)
    return Finish([*said, say("end.goodbye")])


def callable_number(keys: str) -> str | None:
    """``keys`` (or a caller ID in E.164) as an E.164 number an agent can call, or None: a
    valid US number that is not premium rate. Other +1 countries (the Caribbean's 876, 809,
    ...) share the US country code and are the usual targets of callback toll fraud."""
    try:
        parsed = phonenumbers.parse(keys, CALLBACK_REGION)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number_for_region(parsed, CALLBACK_REGION) or \
            phonenumbers.number_type(parsed) in _NOT_CALLED:
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
