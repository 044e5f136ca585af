"""Every exception the call flow raises, in one place (``flows`` imports nothing from ``ivr``,
so the line's own hierarchy is :mod:`ivr.errors`).

``AmountError`` and ``CallerThrottled`` are answers the flow turns into prompts; the others
are bugs: a move or a lookup the step table or the draft does not allow.
"""

from __future__ import annotations


class AmountError(ValueError):
    """The keyed amount could not be read; ``problem`` names the prompt that explains why."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


class CallerThrottled(Exception):
    """This caller ID keyed too many wrong PINs or unknown account numbers lately."""


class FlowError(RuntimeError):
    """The flow tried something its step table does not allow (a bug, not input)."""


class DraftError(LookupError):
    """A step needed a payment detail the call has not chosen yet (a bug, not caller input)."""


class StepTableError(ValueError):
    """The step table is inconsistent; the message names the step at fault."""
