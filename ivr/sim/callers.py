"""The interactive caller: a keypad on stdin for ``ivr call`` without a script."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TextIO

from flask import Flask

from ivr.sim.simulator import DEFAULT_FROM, DEFAULT_TO, Action, CallResult, SimulatedCall
from ivr.sim.transport import Transport, transport_for
from ivr.sim.twiml import DTMF_KEYS, GatherSpec

HELP = ("type digits, * or # (or, where words are heard, what you say); an empty line to "
        "stay silent; h to hang up")


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


class InteractiveCaller:
    """Reads the caller's keys at every ``<Gather>`` and ``<Pay>`` field; EOF hangs up."""

    def __init__(self, stream: TextIO | None = None, echo: Callable[[str], None] = print,
                 prompt: Callable[[str], None] = _print_prompt) -> None:
        """``prompt`` shows ``keys> `` without a newline; ``echo`` prints hints."""
        self.stream = stream if stream is not None else sys.stdin
        self.echo = echo
        self.prompt = prompt

    def choose(self, call: SimulatedCall, gather: GatherSpec) -> Action:
        """Ask until the line typed is valid keypad input, silence or a hang-up."""
        self.echo(f"[waiting for {gather.describe()}; {HELP}]")
        while True:
            self.prompt(gather.keys_prompt())
            line = self.stream.readline()
            if not line:
                self.echo("")  # end of input: leave the prompt line before hanging up
                return Action("hangup")
            action = parse_keys(line, speech=gather.speech)
            if action is not None:
                return action
            self.echo(f"not keypad input: {line.strip()!r} (this question takes keys only; "
                      f"{HELP})")

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
                    pay_connector: str | None = None) -> CallResult:
    """Place a call to ``target`` whose keys are typed on ``stream`` (stdin by default);
    ``pay_connector`` is the Pay Connector its ``<Pay>`` emulates (default: the line's)."""
    caller = InteractiveCaller(stream, echo=echo, prompt=prompt)
    call = SimulatedCall(transport_for(target), caller, from_number=from_number,
                         to_number=to_number, echo=echo, pay_connector=pay_connector)
    return call.run()
