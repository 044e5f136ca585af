"""What a simulated call is made of: the caller's actions, its result, what a ``<Pay>`` uses."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Literal, Protocol

from ivr.sim.logged_turns import Turn
from ivr.sim.transport import Transport
from ivr.sim.twiml import GatherSpec

# Simulated clock: roughly how long a key press takes on a real call, and how fast the
# line speaks (150 words a minute, a usual text-to-speech rate).
SECONDS_PER_KEY = 0.4
WORDS_PER_MINUTE = 150

Outcome = Literal["hangup", "transfer", "reject", "application-error", "loop", "in-progress"]


# How sure Twilio's recogniser is of words a simulated caller says, unless a script says.
DEFAULT_CONFIDENCE = 0.92

# How a spoken message ends (``Action.keys`` of a "record"): besides a key, these.
BY_SILENCE, BY_HANGING_UP = "", "hangup"


def seconds(count: int) -> str:
    """``1 second``, ``45 seconds``."""
    return f"{count} second{'' if count == 1 else 's'}"


@dataclass(frozen=True)
class Action:
    """What the caller does at an input point: press keys, say words (at a question that
    takes speech), stay silent, hang up, or (at a ``<Record>``) speak for ``seconds`` and then
    end with ``keys``: a key, ``BY_SILENCE`` (stop talking) or ``BY_HANGING_UP``."""

    kind: Literal["press", "say", "silence", "hangup", "record"]
    keys: str = ""
    label: str = ""  # shown instead of the keys, e.g. "16 digits#" for a card number
    words: str = ""
    confidence: float = DEFAULT_CONFIDENCE  # Twilio's Confidence for the words
    seconds: int = 0

    def describe(self) -> str:
        """The transcript line for this action."""
        if self.kind == "press":
            return f"caller presses {self.label or self.keys}"
        if self.kind == "say":
            sure = "" if self.confidence == DEFAULT_CONFIDENCE else \
                f" (confidence {self.confidence:g})"
            return f'caller says "{self.words}"{sure}'
        if self.kind == "record":
            then = {BY_SILENCE: "stops talking", BY_HANGING_UP: "hangs up"}.get(
                self.keys, f"presses {self.keys}")
            return f"caller speaks for {seconds(self.seconds)}, then {then}"
        return "caller stays silent" if self.kind == "silence" else "caller hangs up"


@dataclass(frozen=True)
class Spoken:
    """One ``<Say>`` as heard: its words and the language it was said in (its ``language``
    attribute; empty when it has none)."""

    text: str
    language: str = ""


@dataclass
class CallResult:
    """Everything observable about one simulated call."""

    call_sid: str
    outcome: Outcome = "in-progress"
    hangup_by: Literal["caller", "ivr"] | None = None
    transcript: list[str] = field(default_factory=list)
    heard: list[str] = field(default_factory=list)
    sms: list[str] = field(default_factory=list)
    transferred_to: str | None = None
    error: str | None = None
    duration: int = 0
    requests: int = 0
    status_callback_status: int | None = None
    warnings: list[str] = field(default_factory=list)
    entries: int = 0  # key entries: each press at a <Gather> or a <Pay> field
    whisper: list[str] = field(default_factory=list)  # what an agent heard before connecting
    # The call's turns as the line logged them (in process, once the call is over; None
    # when its call log is out of reach): what ``ivr call --coverage`` counts.
    turns: tuple[Turn, ...] | None = None

    @property
    def words(self) -> int:
        """Words the line spoke (every ``<Say>`` as spoken: "1 2 3 4" is four words)."""
        return sum(len(text.split()) for text in self.heard)

    @property
    def speech_seconds(self) -> float:
        """How long those words take at ``WORDS_PER_MINUTE``, without pauses or key presses."""
        return self.words * 60 / WORDS_PER_MINUTE


class PayingCall(Protocol):
    """What a ``<Pay>`` needs of the call it runs in (a ``SimulatedCall``)."""

    result: CallResult
    transport: Transport
    pay_connector: str  # the Pay Connector emulated: "sandbox" or "stripe"
    seconds: float
    last_action: Action | None
    heard_since_action: list[str]
    spoken_since_action: list[Spoken]

    def ask_caller(self, spec: GatherSpec) -> Action:
        """The caller's keys for one field."""

    def line(self, text: str) -> None:
        """Add a line to the transcript."""

    def speak(self, verb: ET.Element) -> None:
        """Say a ``<Say>`` or ``<Play>`` to the caller."""

    def end(self, outcome: Outcome, by: Literal["caller", "ivr"] | None) -> None:
        """End the call."""

    def warn(self, message: str) -> None:
        """Record a warning."""

    def webhook_params(self, **extra: str) -> dict[str, str]:
        """The parameters Twilio sends with every webhook of this call."""
