"""A menu's options as the table declares them (:class:`Option`, :class:`Each`) and as they
are offered in a turn (:class:`Offer`); :mod:`flows.spec` re-exports them for the table."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from flows.context import Context
from flows.menus import option
from flows.outcomes import Go, Outcome
from flows.speech import Prompt
from flows.state import CallState, Step
from flows.wording import Words, prompt_ids
from flows.wording import pick_words as _pick

T = TypeVar("T")
Guard = Callable[[CallState, Context], bool]
Action = Callable[[CallState, Context], Outcome]
Params = Callable[[CallState, Context], Mapping[str, object]]

# A menu option's key meaning "the number after the last one before it" (see Menu.offers).
NEXT = "next"


@dataclass(frozen=True)
class Offer:
    """One option as offered in this turn: its key, its words, what pressing it does, and
    the name of the table's option it comes from (:attr:`Option.name`)."""

    key: str
    prompt: Prompt
    run: Action
    numbered: bool
    name: str


@dataclass(frozen=True)
class Option:
    """Press ``key`` to go to ``then`` (a step, or an action deciding the outcome).

    Offered, and accepted, only while ``when`` holds; ``do`` runs before going to a step.
    """

    key: str
    prompt: Words
    then: Step | Action
    when: Guard | None = None
    params: Mapping[str, object] | Params = field(default_factory=dict)
    do: Callable[[CallState], None] | None = None

    @property
    def name(self) -> str:
        """The option as the call log and coverage name it, the same whatever the turn
        offers: its key (``next`` when numbered) and its first prompt id."""
        return f"{self.key} {prompt_ids(self.prompt)[0]}"

    def run(self, state: CallState, ctx: Context) -> Outcome:
        """What pressing the key does."""
        if self.do is not None:
            self.do(state)
        return Go(self.then) if isinstance(self.then, Step) else self.then(state, ctx)

    def offer(self, key: str, state: CallState, ctx: Context) -> Offer:
        """This option as said in this turn."""
        params = self.params(state, ctx) if callable(self.params) else self.params
        return Offer(key, option(_pick(self.prompt, state, ctx), key, **params), self.run,
                     numbered=self.key == NEXT, name=self.name)


@dataclass(frozen=True)
class Each(Generic[T]):
    """One numbered option (1, 2, ...) per item: a saved method, a scheduled payment."""

    items: Callable[[CallState, Context], Sequence[T]]
    prompt: str
    params: Callable[[T], Mapping[str, object]]
    then: Callable[[CallState, T, Context], Outcome]

    @property
    def name(self) -> str:
        """All its offers as one option, as the call log and coverage name it."""
        return f"each {self.prompt}"

    def offers(self, first: int, state: CallState, ctx: Context) -> list[Offer]:
        """An offer per item, numbered from ``first``."""
        return [Offer(str(number), option(self.prompt, str(number), **self.params(item)),
                      _bind(self.then, item), numbered=True, name=self.name)
                for number, item in enumerate(self.items(state, ctx), start=first)]


def _bind(then: Callable[[CallState, T, Context], Outcome], item: T) -> Action:
    return lambda state, ctx: then(state, item, ctx)
