"""The interactive caller: a keypad on stdin for ``ivr call`` without a script."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TextIO

from flask import Flask

from ivr.sim.record import RecordSpec
from ivr.sim.results import BY_HANGING_UP, BY_SILENCE
from ivr.sim.simulator import DEFAULT_FROM, DEFAULT_TO, Action, Caller, CallResult, SimulatedCall
from ivr.sim.transport import Transport, transport_for
from ivr.sim.twiml import DTMF_KEYS, GatherSpec

HELP = ("type digits, * or # (or, where words are heard, what you say); an empty line to "
        "stay silent; h to hang up")
RECORD_HELP = ("type the seconds you speak, then how you end: a key (30 #), nothing to stop "
               "talking (30), or h to hang up (30 h); an empty line says nothing")


def _print_prompt(text: str) -> None:
    print(text, end="", flush=True)


def parse_keys(line: str, speech: bool = False) -> Action | None:
    """Turn one typed line into an action, or None when it is neither keypad input nor, at
    a question that takes speech (``speech``), words said."""
    text = "".join(line.split())
    if text.lower() == "h":
        return Action("hangup")
    if not text:
        return Action("silence")
    if set(text) <= DTMF_KEYS:
        return Action("press", text)
    if speech:
        return Action("say", words=" ".join(line.split()))
    return None


def parse_recording(line: str) -> Action | None:
    """What a caller typed at a ``<Record>``: seconds of speech and how they end, or None."""
    words = line.split()
    if not words:
        return Action("silence")
    if words == ["h"]:
        return Action("hangup")
    if len(words) > 2 or not (words[0].isascii() and words[0].isdigit()):
        return None
    ending = words[1] if len(words) == 2 else BY_SILENCE
    if ending == "h":
        ending = BY_HANGING_UP
    elif ending and not (len(ending) == 1 and ending in DTMF_KEYS):
        return None
    return Action("record", ending, seconds=int(words[0]))


class InteractiveCaller:
    """Reads the caller's keys at every ``<Gather>`` and ``<Pay>`` field; EOF hangs up."""

    def __init__(self, stream: TextIO | None = None, echo: Callable[[str], None] = print,
                 prompt: Callable[[str], None] = _print_prompt) -> None:
        """``prompt`` shows ``keys> `` without a newline; ``echo`` prints hints."""
        self.stream = stream if stream is not None else sys.stdin
        self.echo = echo
        self.prompt = prompt

    def choose(self, call: SimulatedCall, gather: GatherSpec) -> Action:
        """Ask until the line typed is valid keypad input, silence or a hang-up (at a
        ``<Record>``: seconds of speech and how they end)."""
        recording = isinstance(gather, RecordSpec)
        usage = RECORD_HELP if recording else HELP
        self.echo(f"[waiting for {gather.describe()}; {usage}]")
        while True:
            self.prompt(gather.keys_prompt())
            line = self.stream.readline()
            if not line:
                self.echo("")  # end of input: leave the prompt line before hanging up
                return Action("hangup")
            action = parse_recording(line) if recording \
                else parse_keys(line, speech=gather.speech)
            if action is not None:
                return action
            why = "a recording" if recording else "keypad input"
            only = "" if recording else "this question takes keys only; "
            self.echo(f"not {why}: {line.strip()!r} ({only}{usage})")

    def finished(self, call: SimulatedCall) -> None:
        """Summarise how the call ended."""
        result = call.result
        self.echo(f"[call ended: {result.outcome}, {result.duration}s, {result.call_sid}]")
        if result.error:
            self.echo(result.error)


def run_interactive(target: Flask | str | Transport, *, stream: TextIO | None = None,
                    echo: Callable[[str], None] = print,
                    prompt: Callable[[str], None] = _print_prompt,
                    from_number: str = DEFAULT_FROM, to_number: str = DEFAULT_TO,
                    pay_connector: str | None = None,
                    keep: Callable[[Caller], Caller] | None = None) -> CallResult:
    """Place a call to ``target`` whose keys are typed on ``stream`` (stdin by default);
    ``pay_connector`` is the Pay Connector its ``<Pay>`` emulates (default: the line's).
    ``keep`` wraps the keypad caller in one that keeps what it does (``--record``)."""
    caller: Caller = InteractiveCaller(stream, echo=echo, prompt=prompt)
    if keep is not None:
        caller = keep(caller)
    call = SimulatedCall(transport_for(target), caller, from_number=from_number,
                         to_number=to_number, echo=echo, pay_connector=pay_connector)
    return call.run()
