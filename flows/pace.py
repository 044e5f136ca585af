"""Slower prompts: offered once at the greeting, asked for with 8 at any menu (or the first
question), and kept for the rest of the call: a slower speaking rate and longer to answer."""

from __future__ import annotations

from dataclasses import replace

from flows.keys import SLOWER
from flows.menus import option
from flows.outcomes import Go, Outcome
from flows.speech import say
from flows.state import CallState, Reply

# Seconds added to every wait for an answer once the caller asked for slower prompts: to
# start keying (or speaking), and the pause that ends a spoken answer.
SLOWER_EXTRA_TIMEOUT = 5
SLOWER_EXTRA_SPEECH_TIMEOUT = 1


def offer_slower(reply: Reply) -> Reply:
    """The greeting's question, opening with "To hear prompts more slowly, press 8."."""
    if reply.ask is None:
        return reply
    offer = option("option.slower", SLOWER)
    return replace(reply, ask=replace(reply.ask, prompts=[offer, *reply.ask.prompts]))


def slow_down(state: CallState) -> Outcome:
    """The caller asked for slower prompts: say so, and ask the same question again."""
    state.slower = True
    return Go(state.step, [say("info.slower")])


def paced(state: CallState, reply: Reply) -> Reply:
    """``reply`` at the caller's pace: as it is, or slower with longer to answer."""
    if not state.slower:
        return reply
    ask = reply.ask
    if ask is not None:
        ask = replace(ask, timeout=ask.timeout + SLOWER_EXTRA_TIMEOUT,
                      speech_timeout=ask.speech_timeout + SLOWER_EXTRA_SPEECH_TIMEOUT)
    return replace(reply, ask=ask, slow=True)
