"""What call scripts reached of the flow's step table (``ivr call --script DIR --coverage``).

Three measures, each out of the table in :mod:`flows.table`:

- transitions: the (step, target) pairs of ``TRANSITIONS``. A turn takes each pair along
  its path, from the step it was taken at through the steps it moved to, in order (the call
  log keeps them): a transfer no agent can take passes the agent step on its way to the
  callback offer, and ``agent -> callback_offer`` counts. ``--min-coverage`` applies to it.
- steps: every step a turn was taken at, moved through or ended at.
- menu options: each option of each menu (an ``Each``, one per saved method say, counts
  once), reached when the caller chose it by key or by voice.

The turns are the line's own call log (:mod:`ivr.sim.logged_turns`), so only in-process
scripts can be measured: a server at a URL keeps its log to itself.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import pairwise

from flows.spec import Menu, StepSpec
from flows.state import Step
from flows.table import STEPS
from ivr.sim.logged_turns import Turn


@dataclass(frozen=True)
class Measure:
    """How many of ``total`` things were reached, and the ones that were not, in table order."""

    name: str
    reached: int
    total: int
    missed: tuple[str, ...]

    @property
    def percent(self) -> float:
        """The share reached, in percent (100 when there is nothing to reach)."""
        return 100.0 if self.total == 0 else 100.0 * self.reached / self.total

    def count(self) -> str:
        """``57/57``."""
        return f"{self.reached}/{self.total}"

    def shown_percent(self) -> str:
        """``98.1%``, rounded down, so anything short of all of it never shows as 100%."""
        return f"{math.floor(self.percent * 10) / 10:g}%"

    def missed_lines(self) -> list[str]:
        """``transitions missed (2):`` and one indented line each; nothing when none is."""
        if not self.missed:
            return []
        return [f"{self.name} missed ({len(self.missed)}):", *(f"  {m}" for m in self.missed)]


@dataclass(frozen=True)
class Coverage:
    """The three measures of a set of turns."""

    transitions: Measure
    steps: Measure
    options: Measure

    def summary(self) -> str:
        """``coverage: transitions 57/57 (100%), steps 40/40, menu options 60/62``."""
        return (f"coverage: transitions {self.transitions.count()} "
                f"({self.transitions.shown_percent()}), steps {self.steps.count()}, "
                f"menu options {self.options.count()}")

    def lines(self) -> list[str]:
        """The summary, then what each measure missed."""
        return [self.summary(), *self.transitions.missed_lines(), *self.steps.missed_lines(),
                *self.options.missed_lines()]

    def short_of(self, minimum: float) -> str | None:
        """Why transition coverage is below ``minimum`` percent, or None when it is not."""
        if self.transitions.reached * 100 >= minimum * self.transitions.total:
            return None
        return (f"the scripts reach {self.transitions.shown_percent()} of the transitions "
                f"({self.transitions.count()}), below --min-coverage {minimum:g}")


def transitions_of(table: Mapping[Step, StepSpec]) -> list[tuple[Step, Step]]:
    """Every (step, target) pair the table allows, in table order."""
    order = {step: index for index, step in enumerate(table)}
    return [(step, target) for step, spec in table.items()
            for target in sorted(spec.targets(), key=lambda t: order.get(t, len(order)))]


def options_of(table: Mapping[Step, StepSpec]) -> list[tuple[Step, str]]:
    """Every menu option as (menu, ``Option.name``), in table order."""
    return [(step, choice.name) for step, spec in table.items() if isinstance(spec, Menu)
            for choice in spec.options]


def measure(turns: Iterable[Turn], table: Mapping[Step, StepSpec] = STEPS) -> Coverage:
    """What ``turns`` reached of ``table`` (the flow's, by default)."""
    taken: set[tuple[str, str]] = set()
    visited: set[str] = set()
    chosen: set[tuple[str, str]] = set()
    for turn in turns:
        path = turn.path()
        taken.update(pairwise(path))
        visited.update([*path, turn.after])
        if turn.option is not None and turn.before is not None:
            chosen.add((turn.before, turn.option))
    transitions = transitions_of(table)
    options = options_of(table)
    return Coverage(
        _measure("transitions", [(f"{a} -> {b}", (str(a), str(b)) in taken)
                                 for a, b in transitions]),
        _measure("steps", [(str(step), str(step) in visited) for step in table]),
        _measure("menu options", [(f"{menu}: {name}", (str(menu), name) in chosen)
                                  for menu, name in options]))


def _measure(name: str, things: list[tuple[str, bool]]) -> Measure:
    return Measure(name, sum(reached for _, reached in things), len(things),
                   tuple(thing for thing, reached in things if not reached))
