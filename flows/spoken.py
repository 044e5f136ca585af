"""What a step does with words said instead of keys (see :mod:`flows.hearing`).

A menu turns the words into the key of the option they name, and takes it as if pressed;
an entry reads its number from them. Words not understood, or heard with little
confidence, get "Sorry, I didn't catch that. You can also use your keypad.".
"""

from __future__ import annotations

from collections.abc import Callable

from flows.context import Context
from flows.hearing import call_language, confident, heard_key, matches
from flows.outcomes import Outcome, Retry
from flows.pace import slow_down
from flows.payment_steps import cancel_payment
from flows.speech import say
from flows.state import CallState, Event

Hears = Callable[[str, str], str | None]  # (words, language) -> the keys they stand for
Handler = Callable[[CallState, str, Context], Outcome]


def not_caught() -> Retry:
    """Words not understood: ask again, and mention the keypad."""
    return Retry([say("error.speech_unclear")])


def menu_key(state: CallState, event: Event, ctx: Context,
             choices: dict[str, str]) -> str | None:
    """The key a menu's caller named by voice (``choices``: key -> catalog id of its
    phrases), or None."""
    return heard_key(event, choices, call_language(state, ctx))


def entry_words(state: CallState, event: Event, ctx: Context, *, hears: Hears | None,
                handler: Handler, slower: bool, cancellable: bool) -> Outcome:
    """An entry answered by voice: slower prompts or cancelling when the words ask for
    them, else the number said, handed to ``handler`` as if keyed."""
    words, language = event.speech or "", call_language(state, ctx)
    if hears is None or not confident(event):
        return not_caught()
    if slower and matches(words, "hear.slower", language):
        return slow_down(state)
    if cancellable and matches(words, "hear.cancel_entry", language):
        return cancel_payment(state)
    keys = hears(words, language)
    return handler(state, keys, ctx) if keys else not_caught()
