"""The checks a step table must pass before a call may use it.

:mod:`flows.table` runs :func:`check` when it is imported, so a step added without a
question, an option pointing nowhere, or a step no caller can reach stops the line from
starting, with the step named, instead of surfacing as a dead end in a call.
"""

from __future__ import annotations

from collections.abc import Mapping, Set

from flows.errors import StepTableError
from flows.keys import KEYPAD, LANGUAGE, STAR
from flows.record_step import Record
from flows.spec import NEXT, CardCapture, End, Entry, Hold, Menu, Option, StepSpec
from flows.speech import load_catalog
from flows.state import Step


def check(table: Mapping[Step, StepSpec], names: Set[Step] | None = None) -> None:
    """Refuse ``table`` unless its graph holds together.

    Every name in ``names`` (default: the table's own) is declared; every step it
    leads to exists; every step but a start is reachable from a start; every step
    that asks something has prompts in the catalog; and a menu's keys are single
    keypad keys, given to one option each (at a start step, never the language key).
    """
    missing = sorted(set(names or table) - set(table))
    if missing:
        raise StepTableError(f"step {missing[0]} is not declared in the step table")
    starts = [step for step, spec in table.items() if spec.start]
    if not starts:
        raise StepTableError("no step is marked as a start")
    for step, spec in table.items():
        _check_targets(step, spec, table)
        _check_question(step, spec)
        if isinstance(spec, Menu):
            _check_keys(step, spec)
    _check_reachable(table, starts)


def _check_targets(step: Step, spec: StepSpec, table: Mapping[Step, StepSpec]) -> None:
    for target in sorted(spec.targets()):
        if target not in table:
            raise StepTableError(f"step {step} leads to {target}, which is not declared")


def _check_question(step: Step, spec: StepSpec) -> None:
    if not isinstance(spec, Menu | Entry | CardCapture | Hold | Record | End):
        raise StepTableError(f"step {step} is declared with no kind: it asks nothing")
    if isinstance(spec, Menu) and not spec.options:
        raise StepTableError(f"menu {step} has no options")
    catalog = load_catalog()
    for prompt_id in sorted(spec.prompt_ids()):
        if prompt_id not in catalog:
            raise StepTableError(f"step {step} says {prompt_id!r}, which the catalog lacks")


def _check_keys(step: Step, spec: Menu) -> None:
    keys = [o.key for o in spec.options if isinstance(o, Option) and o.key != NEXT]
    for key in keys:
        if len(key) != 1 or key not in KEYPAD or key == STAR:
            raise StepTableError(f"menu {step} offers key {key!r}: not one keypad key "
                                 "(star repeats the menu)")
        if keys.count(key) > 1:
            raise StepTableError(f"menu {step} gives key {key} to more than one option")
        if spec.start and key == LANGUAGE:
            raise StepTableError(f"menu {step} is a start step: its key {key} changes the "
                                 "call's language (flows.languages)")


def _check_reachable(table: Mapping[Step, StepSpec], starts: list[Step]) -> None:
    # An End is reached by finishing, which every step may do, and so is where it leads.
    ends = [step for step, spec in table.items() if isinstance(spec, End)]
    reached, waiting = {*starts, *ends}, [*starts, *ends]
    while waiting:
        for target in table[waiting.pop()].targets():
            if target not in reached:
                reached.add(target)
                waiting.append(target)
    for step in table:
        if step not in reached:
            raise StepTableError(f"step {step} cannot be reached from a start step")
