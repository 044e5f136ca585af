"""Words a step says that may differ per turn: one prompt id, or ``Either`` of two."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flows.context import Context
from flows.state import CallState

Guard = Callable[[CallState, Context], bool]


@dataclass(frozen=True)
class Either:
    """One of two prompt ids, picked per turn: ``yes`` when ``test`` holds, else ``no``
    (either may itself be an ``Either``, for a third wording)."""

    test: Guard
    yes: Words
    no: Words

    def pick(self, state: CallState, ctx: Context) -> str:
        """The prompt id for this turn."""
        return pick_words(self.yes if self.test(state, ctx) else self.no, state, ctx)


Words = str | Either


def prompt_ids(words: Words) -> tuple[str, ...]:
    """Every prompt id ``words`` may say."""
    if isinstance(words, Either):
        return (*prompt_ids(words.yes), *prompt_ids(words.no))
    return (words,)


def pick_words(words: Words, state: CallState, ctx: Context) -> str:
    """The prompt id ``words`` say this turn."""
    return words.pick(state, ctx) if isinstance(words, Either) else words
