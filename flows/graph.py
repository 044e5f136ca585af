"""The step table as a graph to draw: each step's kind and marks, and each move it may make,
labelled with what takes it (a key, a number keyed, <Pay>'s result, a recording...).

Everything is read from the declarations in :mod:`flows.table`, so a drawing of it cannot
drift from the machine. An option that names a step is a move its key always makes
(``sure``). The other moves are a step's ``goes``: an action or a handler decides at run
time whether to make one, and the table does not say which menu key's action leads where,
so such a move is labelled with every key whose option runs an action (and "silence" when
the menu answers silence with one), never with a guess.

Keys are labelled as :meth:`flows.spec.Menu.offers` numbers them: ``Each`` takes one number
per item from the one after the last before it ("3..n+2 each now_with_saved", for ``n``
items), and ``NEXT`` the number after the last ("n+3"). After an option that is not always
offered, the numbers may be one lower than drawn: those say so ("n+4 or lower"); when the
number depends on the call in another way, the label is "next free key".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from flows.record_step import Record
from flows.spec import NEXT, CardCapture, Each, End, Entry, Hold, Menu, Option, StepSpec
from flows.state import Step

# What a step of each kind is called, and what makes it move on besides a menu key.
KINDS: dict[type[StepSpec], tuple[str, str]] = {
    Menu: ("menu", "action"),
    Entry: ("entry", "entry"),
    CardCapture: ("capture", "pay result"),
    Hold: ("hold", "hold ends"),
    Record: ("record", "recorded"),
    End: ("end", "call comes back"),
}
CANCEL_LABEL = "* cancel"  # a lone star at a cancellable entry drops the payment
SILENCE_LABEL = "silence"
# The keys a menu numbers options with: a named one counts even when not offered.
NUMBERED = frozenset("123456789")
UNKNOWN_KEY = "next free key"
_ORDER = {step: position for position, step in enumerate(Step)}


@dataclass(frozen=True)
class Node:
    """A step as drawn: its kind, whether a call may start there, whether star cancels."""

    step: Step
    kind: str
    start: bool
    cancellable: bool


@dataclass(frozen=True)
class Move:
    """A move from ``source`` to ``target``, labelled with what takes it. ``sure``: the key
    always leads there; otherwise an action or handler may (drawn dashed)."""

    source: Step
    target: Step
    label: str
    sure: bool


def kind_of(spec: StepSpec) -> str:
    """The kind a step is declared with: "menu", "entry", "end"..."""
    return next((name for cls, (name, _) in KINDS.items() if isinstance(spec, cls)),
                type(spec).__name__.lower())


def _input_of(spec: StepSpec) -> str:
    return next((label for cls, (_, label) in KINDS.items() if isinstance(spec, cls)),
                "handler")


def nodes(table: Mapping[Step, StepSpec]) -> list[Node]:
    """Every step of ``table``, in the table's order."""
    return [Node(step, kind_of(spec), spec.start,
                 isinstance(spec, Entry) and spec.cancellable) for step, spec in table.items()]


def moves(table: Mapping[Step, StepSpec]) -> list[Move]:
    """Every move of ``table`` (each pair of its transitions, once or twice: sure, and by an
    action), step by step in the table's order."""
    return [move for step, spec in table.items() for move in step_moves(step, spec)]


def step_moves(step: Step, spec: StepSpec) -> list[Move]:
    """The moves one step may make: those its declaration names outright (a menu option's
    step, the cancel of an entry), then those of its ``goes``."""
    named = replace(spec, goes=frozenset()).targets()
    sure = [Move(step, target, _named_label(spec, target), sure=True)
            for target in _ordered(named)]
    decided = [Move(step, target, _decided_label(spec), sure=False)
               for target in _ordered(spec.targets() - named | spec.goes)]
    return sure + decided


def _ordered(steps: Iterable[Step]) -> list[Step]:
    return sorted(steps, key=_ORDER.__getitem__)


def _named_label(spec: StepSpec, target: Step) -> str:
    if isinstance(spec, Menu):
        keys = [key for choice, key in zip(spec.options, option_keys(spec.options), strict=True)
                if isinstance(choice, Option) and choice.then == target]
        return ", ".join(keys)
    if isinstance(spec, Entry) and spec.cancellable:
        return CANCEL_LABEL
    return _input_of(spec)


def _decided_label(spec: StepSpec) -> str:
    if not isinstance(spec, Menu):
        return _input_of(spec)
    keys = [key for choice, key in zip(spec.options, option_keys(spec.options), strict=True)
            if isinstance(choice, Each) or not isinstance(choice.then, Step)]
    keys += [SILENCE_LABEL] if spec.on_silence is not None else []
    return ", ".join(keys) or _input_of(spec)


def option_keys(options: Sequence[Option | Each[Any]]) -> list[str]:
    """The key of each option as :meth:`flows.spec.Menu.offers` gives it, as a label:
    "4", "3..n+2 each now_with_saved", "n+3"; "n+4 or lower" after an option not always
    offered; "next free key" after a key the table names past a numbered list (the next
    number is then the larger of the two, which depends on the call)."""
    labels: list[str] = []
    last, counts, lower, known = 0, 0, False, True
    for choice in options:
        if isinstance(choice, Each):
            first, counts = _number(last + 1, counts), counts + 1
            numbers = f"{first}..{_number(last, counts)}" if known else "from the next free key"
            labels.append(f"{numbers} each {choice.prompt.removeprefix('option.')}")
        elif choice.key == NEXT:
            last += 1
            number = _number(last, counts) + (" or lower" if lower else "")
            labels.append(number if known else UNKNOWN_KEY)
            lower = lower or choice.when is not None
        else:
            if choice.key in NUMBERED and counts:
                known = False
            elif choice.key in NUMBERED:
                last = max(last, int(choice.key))
            labels.append(choice.key)
    return labels


def _number(fixed: int, counts: int) -> str:
    names = ["n" if index == 0 else f"n{index + 1}" for index in range(counts)]
    return "+".join([*names, *([str(fixed)] if fixed or not counts else [])])
