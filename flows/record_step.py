"""A step kind of its own: the caller records a spoken message (Twilio's ``<Record>``).

Declared in :mod:`flows.table` like the kinds in :mod:`flows.spec`: ``prompt`` says what to
say before the beep (with ``params``), ``recording`` how to record, and ``result`` acts on
what was recorded (None when nothing was: an empty recording, or keys instead).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flows.context import Context
from flows.keys import is_keypad
from flows.outcomes import Outcome
from flows.recording import Recording, RecordingReport
from flows.spec import Params, StepSpec
from flows.speech import Key, Prompt, say
from flows.state import CallState, Event, Reply

RecordResult = Callable[[CallState, RecordingReport | None, Context], Outcome]


@dataclass(frozen=True, kw_only=True)
class Record(StepSpec):
    """Say ``prompt``, then record the caller; ``result`` hears what came of it.

    The prompt is given the finish key as ``{key}`` and the longest message, in whole
    minutes, as ``{minutes}``, so what the caller is told is what the recording does.
    """

    prompt: str
    recording: Recording
    result: RecordResult
    params: Params | None = None

    def __post_init__(self) -> None:
        if not (len(self.recording.finish_on_key) == 1 and is_keypad(self.recording.finish_on_key)):
            raise ValueError("a recording is finished by one keypad key, which the prompt names")

    def prompt_ids(self) -> frozenset[str]:
        """The instruction said before the beep."""
        return frozenset({self.prompt})

    def instruction(self, state: CallState, ctx: Context) -> Prompt:
        """What to say, how long it may be and which key ends it."""
        params = dict(self.params(state, ctx)) if self.params else {}
        minutes = max(1, self.recording.max_seconds // 60)
        return say(self.prompt, key=Key(self.recording.finish_on_key), minutes=minutes, **params)

    def reply(self, state: CallState, ctx: Context, said: list[Prompt]) -> Reply:
        """Say ``said`` and the instruction, then record."""
        return Reply([*said, self.instruction(state, ctx)], record=self.recording)

    def take(self, state: CallState, event: Event, ctx: Context) -> Outcome:
        """What was recorded, or None: nothing was (keys pressed here count for nothing)."""
        return self.result(state, event.recording, ctx)
