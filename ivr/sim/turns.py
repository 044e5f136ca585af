"""The call so far, turn by turn, for a failing script's report.

Turn N is what the caller heard before their N-th action, then that action (what was heard
after the last action is turn N+1, which the failure itself reports). A report shows the
last lines before the failure, each with its turn number, so a reader sees how the call got
there. What the caller keyed for a secret shows as its kind and length (:mod:`ivr.sim.keyed`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ivr.sim.keyed import masked, secret_kind
from ivr.sim.results import Action, Spoken
from ivr.sim.twiml import GatherSpec

# How many lines of the call before a failure its report shows.
CONTEXT_LINES = 10


@dataclass(frozen=True)
class Turn:
    """The caller's ``number``-th action, as a report shows it, and what they heard first."""

    number: int
    heard: tuple[str, ...]
    action: str


@dataclass
class TurnLog:
    """The turns of one call, kept as a script plays it."""

    turns: list[Turn] = field(default_factory=list)

    def add(self, heard: list[Spoken], gather: GatherSpec, action: Action) -> None:
        """Keep one turn: ``heard`` since the previous action, then ``action`` at ``gather``."""
        line = masked(action, secret_kind(heard, gather))
        self.turns.append(Turn(len(self.turns) + 1, tuple(s.text for s in heard), line))

    @property
    def last_action(self) -> str | None:
        """The caller's latest action as a report shows it, if they acted yet."""
        return self.turns[-1].action if self.turns else None

    def lines(self) -> list[str]:
        """Every line of the call so far, each led by its turn number."""
        rows: list[str] = []
        for turn in self.turns:
            rows += [f"turn {turn.number}  IVR: {text}" for text in turn.heard]
            rows.append(f"turn {turn.number}  {turn.action}")
        return rows

    def report(self, limit: int = CONTEXT_LINES) -> str:
        """The last ``limit`` lines before a failure; empty before the caller's first action."""
        rows = self.lines()
        if not rows:
            return ""
        shown = rows[-limit:]
        first = "the call so far:" if len(shown) == len(rows) else \
            f"the call so far (its last {len(shown)} lines):"
        return "\n".join([first, *(f"  {row}" for row in shown)])
