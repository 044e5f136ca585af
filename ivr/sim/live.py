"""A live simulated call: the caller's actions pushed one at a time (the browser phone, pytest).

:class:`~ivr.sim.simulator.SimulatedCall` pulls: it asks its caller what to do at every
``<Gather>``, ``<Pay>`` field and ``<Record>``. A :class:`LiveCall` runs one in a worker thread
whose caller hands each question over a queue and waits for the answer on another, so a test
or a web page can push: ``call.start()``, then ``call.press("1")``, ``call.say("pay my bill")``,
``call.silence()``, ``call.hang_up()``, each returning the :class:`Turn` that followed: what
was heard (with each ``<Say>``'s language and the prompt ids its words may be), the
transcript's new lines, and the next question or how the call ended.

Nothing waits forever: the caller side waits ``answer_seconds`` for the line to ask again or
end the call (else :class:`TimeoutError`), and the worker hangs up for a caller who does
nothing for ``idle_seconds``. An exception in the call (the app raising under ``TESTING``) is
raised again to whoever acted.
"""

from __future__ import annotations

import contextlib
import math
import queue
import threading
from dataclasses import dataclass
from typing import Literal

from flask import Flask

from ivr.sim import prompts
from ivr.sim.record import RecordSpec
from ivr.sim.results import BY_SILENCE, DEFAULT_CONFIDENCE, Action, Outcome, Spoken
from ivr.sim.script_language import LanguageChooser
from ivr.sim.simulator import DEFAULT_FROM, DEFAULT_TO, WORDS_PER_SECOND, SimulatedCall
from ivr.sim.transport import Transport, transport_for
from ivr.sim.twiml import DTMF_KEYS, GatherSpec

# How long the caller side waits for the line's next question (a turn over --url may take
# several webhooks, each up to Twilio's 15 s), and how long the line waits for a caller.
ANSWER_SECONDS = 60.0
IDLE_SECONDS = 300.0
_JOIN_SECONDS = 5.0


@dataclass(frozen=True)
class Heard:
    """One ``<Say>`` as the caller heard it: its words, language (``""`` when the ``<Say>``
    names none) and the catalog prompts those words may be (by words, as ``expect_prompt``)."""

    text: str
    language: str
    prompt_ids: tuple[str, ...]

    @classmethod
    def of(cls, spoken: Spoken) -> Heard:
        """Tell which prompts ``spoken`` may be."""
        return cls(spoken.text, spoken.language, tuple(prompts.prompts_in(spoken)))

    @property
    def spoken(self) -> Spoken:
        """As the simulator's prompt checks take it."""
        return Spoken(self.text, self.language)


@dataclass(frozen=True)
class Turn:
    """What happened between two of the caller's actions (or since the call started)."""

    heard: tuple[Heard, ...]
    lines: tuple[str, ...]  # the transcript's new lines (the caller's action first)
    question: GatherSpec | None  # what the line waits for; None once the call has ended
    outcome: Outcome
    hangup_by: Literal["caller", "ivr"] | None
    error: str | None  # the application error that ended the call, if one did

    @property
    def ended(self) -> bool:
        """Whether the call is over."""
        return self.question is None

    @property
    def prompt_ids(self) -> list[str]:
        """Every prompt id heard in this turn, in order."""
        return [prompt_id for heard in self.heard for prompt_id in heard.prompt_ids]

    @property
    def texts(self) -> list[str]:
        """The words heard, one ``<Say>`` each."""
        return [heard.text for heard in self.heard]


class _QueueCaller:
    """The worker's caller: hands each question to the caller side and waits for its action."""

    def __init__(self, events: queue.Queue[Turn], actions: queue.Queue[Action],
                 idle_seconds: float, language: str | None) -> None:
        self.events = events
        self.actions = actions
        self.idle_seconds = idle_seconds
        self.chooser = LanguageChooser(language)
        self.heard_list: list[Spoken] | None = None  # the list last read, and how far
        self.heard_read = 0
        self.lines_read = 0

    def choose(self, call: SimulatedCall, gather: GatherSpec) -> Action:
        """Report the question, then wait for the caller's action (choosing ``language`` at
        the first question, as a script does, without asking)."""
        chosen = self.chooser.choose(call.spoken_since_action)
        if chosen is not None:
            return chosen
        self.events.put(self.turn(call, gather))
        try:
            return self.actions.get(timeout=self.idle_seconds)
        except queue.Empty:
            call.line(f"[the caller did nothing for {self.idle_seconds:g} s and hangs up]")
            return Action("hangup")

    def finished(self, call: SimulatedCall) -> None:
        """The call side reports the end itself (after a failure too)."""

    def turn(self, call: SimulatedCall, question: GatherSpec | None,
             error: str | None = None) -> Turn:
        """What is new since the last turn reported."""
        spoken = call.spoken_since_action
        if spoken is not self.heard_list:  # the simulator started a new list: all is new
            self.heard_list, self.heard_read = spoken, 0
        new_heard, self.heard_read = spoken[self.heard_read:], len(spoken)
        lines = call.result.transcript[self.lines_read:]
        self.lines_read = len(call.result.transcript)
        result = call.result
        return Turn(tuple(Heard.of(each) for each in new_heard), tuple(lines), question,
                    result.outcome, result.hangup_by, error or result.error)


class LiveCall:
    """One simulated call to ``target`` (an app in process, a base URL, or a transport),
    driven one action at a time. Use as a context manager, or call :meth:`close`."""

    def __init__(self, target: Flask | str | Transport, *, from_number: str = DEFAULT_FROM,
                 to_number: str = DEFAULT_TO, language: str | None = None,
                 pay_connector: str | None = None, answer_seconds: float = ANSWER_SECONDS,
                 idle_seconds: float = IDLE_SECONDS) -> None:
        """Prepare the call; nothing is sent before :meth:`start`. ``language``: as a script's,
        the caller chooses it at the first question if the line speaks another."""
        self._events: queue.Queue[Turn] = queue.Queue()
        self._actions: queue.Queue[Action] = queue.Queue()
        self._caller = _QueueCaller(self._events, self._actions, idle_seconds, language)
        self.call = SimulatedCall(transport_for(target), self._caller, from_number=from_number,
                                  to_number=to_number, pay_connector=pay_connector)
        self.language = language
        self.answer_seconds = answer_seconds
        self.turns: list[Turn] = []
        self._failure: BaseException | None = None
        self._stalled = ""  # why the call can no longer be driven
        self._busy = threading.Lock()
        self._worker = threading.Thread(target=self._run, daemon=True,
                                        name=f"live-call-{self.call.result.call_sid}")

    def __enter__(self) -> LiveCall:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @property
    def last(self) -> Turn | None:
        """The latest turn, or None before the call started."""
        return self.turns[-1] if self.turns else None

    @property
    def ended(self) -> bool:
        """Whether the call has started and is over."""
        return self.last is not None and self.last.ended

    @property
    def running(self) -> bool:
        """Whether the call's worker is still going (it may have hung up on an idle caller
        that has not acted since)."""
        return self._worker.is_alive()

    def start(self) -> Turn:
        """Place the call; return what was heard up to the first question (or the end)."""
        if self._worker.ident is not None:
            raise RuntimeError("this call has already been placed")
        with self._busy:
            self._worker.start()
            return self._next_turn("after the call was placed")

    def press(self, keys: str) -> Turn:
        """Press keypad keys (digits, ``*``, ``#``), all in one entry."""
        if not keys or not set(keys) <= DTMF_KEYS:
            raise ValueError(f"not keypad keys (0-9, * and #): {keys!r}")
        return self._act(Action("press", keys))

    def say(self, words: str, confidence: float = DEFAULT_CONFIDENCE) -> Turn:
        """Say ``words`` where the question takes speech; at a ``<Record>``, speak them as the
        message (for as long as they take to say), then stop talking."""
        words = " ".join(words.split())
        if not words:
            raise ValueError("nothing to say: use silence() to say nothing")
        question = self._question()
        if isinstance(question, RecordSpec):
            spoken_for = max(1, math.ceil(len(words.split()) / WORDS_PER_SECOND))
            return self._act(Action("record", BY_SILENCE, seconds=spoken_for))
        if not question.speech:
            raise ValueError(f"this question takes keys only ({question.describe()}): "
                             f"Twilio would deliver no words")
        return self._act(Action("say", words=words, confidence=confidence))

    def silence(self) -> Turn:
        """Say and press nothing until the question times out."""
        return self._act(Action("silence"))

    def record(self, seconds: int, then: str = BY_SILENCE) -> Turn:
        """At a ``<Record>``: speak for ``seconds``, then end with a key, ``""`` (stop talking)
        or ``"hangup"``."""
        if not isinstance(self._question(), RecordSpec):
            raise ValueError("the line is not recording: record() is for a <Record>")
        return self._act(Action("record", then, seconds=seconds))

    def hang_up(self) -> Turn:
        """Hang up; return the turn that ends the call."""
        return self._act(Action("hangup"))

    def close(self) -> None:
        """Hang up if the call is still going, and let the worker finish. Never blocks long:
        a line that stopped answering gets the hang-up at its next question, if it asks one."""
        if self._worker.ident is None:
            return
        if not self.ended:
            self._actions.put(Action("hangup"))
            if self._stalled or not self._busy.acquire(timeout=_JOIN_SECONDS):
                return
            try:
                with contextlib.suppress(queue.Empty):
                    self._events.get(timeout=self.answer_seconds)
            finally:
                self._busy.release()
        self._worker.join(_JOIN_SECONDS)

    def _question(self) -> GatherSpec:
        """The question the line is waiting on, or why no action can be taken now."""
        last = self.last
        if self._stalled:
            raise RuntimeError(f"the call cannot go on: {self._stalled}")
        if last is None:
            raise RuntimeError("the call has not been placed: start() it first")
        if last.question is None:
            by = f" by the {last.hangup_by}" if last.hangup_by else ""
            raise RuntimeError(f"the call has ended ({last.outcome}{by})")
        return last.question

    def _act(self, action: Action) -> Turn:
        """Hand ``action`` to the waiting line and return the turn that follows."""
        if not self._busy.acquire(blocking=False):
            raise RuntimeError("the caller is already doing something on this call")
        try:
            self._question()
            self._actions.put(action)
            return self._next_turn(f"after '{action.describe()}'")
        finally:
            self._busy.release()

    def _next_turn(self, after: str) -> Turn:
        """Wait for the line's next question or the end of the call."""
        try:
            turn = self._events.get(timeout=self.answer_seconds)
        except queue.Empty:
            self._stalled = (f"the line neither asked for input nor ended the call within "
                             f"{self.answer_seconds:g} s {after}")
            raise TimeoutError(self._stalled) from None
        self.turns.append(turn)
        if turn.ended and self._failure is not None:
            failure, self._failure = self._failure, None
            raise failure
        return turn

    def _run(self) -> None:
        """The worker: run the call to its end, then report the last turn."""
        error: str | None = None
        try:
            self.call.run()
        except Exception as failure:
            self._failure = failure
            error = f"{type(failure).__name__}: {failure}"
        self._events.put(self._caller.turn(self.call, None, error))
