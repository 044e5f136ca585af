"""What a step handler decides; the machine turns these into replies."""

from __future__ import annotations

from dataclasses import dataclass, field

from flows.speech import Prompt
from flows.state import Step


@dataclass(frozen=True)
class Go:
    """Move to ``step`` (possibly the same one), saying ``say`` first."""

    step: Step
    say: list[Prompt] = field(default_factory=list)


@dataclass(frozen=True)
class Retry:
    """The input was wrong: say why and ask again (at ``step`` if given). Counts a failure."""

    say: list[Prompt]
    step: Step | None = None


@dataclass(frozen=True)
class Finish:
    """End the call, or hand it to an agent."""

    say: list[Prompt]
    transfer: bool = False


Outcome = Go | Retry | Finish
