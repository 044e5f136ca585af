"""``ivr calls replay CALLSID``: a logged call played again against the current code.

The call's turns are read from the call log, turned into a script
(:mod:`ivr.sim.replay.script`), and the script is run in process on a fresh copy of the
demo data. The replay writes its own call log there; its turns are compared with the
logged ones in order, and the first that went elsewhere (``step_after``), said other
prompts or spoke another language is the difference reported. The replay never reaches
the outside world, whatever the line is configured with: it charges the sandbox gateway
and keeps its texts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from flask import Flask

from ivr.config import settings_of
from ivr.errors import CallNotLogged, ScriptFailure
from ivr.sim.logged_turns import Turn, read_call
from ivr.sim.replay.script import replay_script
from ivr.sim.scratch import scratch_demo_app
from ivr.sim.script import run_script
from ivr.sim.script_write import parsed_script, script_yaml

# A replay's line: everything as configured but where money and texts would go.
REPLAY_SETTINGS = {"IVR_ENV": "development", "IVR_PAYMENT_GATEWAY": "sandbox",
                   "IVR_SMS_BACKEND": "console"}
FAILURE_LINES = 12  # of a failed replay's report, shown when it explains a missing turn


@dataclass(frozen=True)
class Difference:
    """The first turn answered otherwise: ``did`` is what the caller did (as logged);
    ``recorded`` or ``now`` is None when that call had no such turn."""

    number: int
    did: str
    recorded: Turn | None
    now: Turn | None


@dataclass(frozen=True)
class ReplayResult:
    """The script replayed, what it could not do as the caller did, both calls' turns, the
    first difference, and why the replayed script stopped (None: it ran to its end)."""

    script: str
    notes: Sequence[str]
    recorded: Sequence[Turn]
    replayed: Sequence[Turn]
    difference: Difference | None
    failure: str | None

    @property
    def same(self) -> bool:
        """The current code answered every turn as the logged call's."""
        return self.difference is None and self.failure is None


def replay_call(app: Flask, call_sid: str) -> ReplayResult:
    """Replay ``call_sid`` from ``app``'s call log; raises CallNotLogged if it has none."""
    logged = read_call(app, call_sid)
    if logged is None:
        raise CallNotLogged(f"no call {call_sid} in the call log")
    replay = replay_script(logged.call_sid, logged.from_number, logged.to_number,
                           logged.turns, settings_of(app).local_date())
    text = script_yaml(replay.header, replay.lines)
    failure = None
    with scratch_demo_app(app, REPLAY_SETTINGS) as scratch:
        try:
            run_script(scratch, parsed_script(text), quiet=True)
        except ScriptFailure as error:
            failure = str(error)
        now = read_call(scratch)
    replayed = now.turns if now is not None else ()
    return ReplayResult(text, replay.notes, logged.turns, replayed,
                        first_difference(logged.turns, replayed), failure)


def first_difference(recorded: Sequence[Turn], replayed: Sequence[Turn]) -> Difference | None:
    """The first turn where the two calls went elsewhere, said other prompts or spoke
    another language; a turn only one of them has is a difference too."""
    for index in range(max(len(recorded), len(replayed))):
        old = recorded[index] if index < len(recorded) else None
        new = replayed[index] if index < len(replayed) else None
        either = old or new
        if either is not None and (old is None or new is None or _answer(old) != _answer(new)):
            return Difference(index + 1, caller_did(either), old, new)
    return None


def caller_did(turn: Turn) -> str:
    """What the caller did for ``turn``, as the log keeps it (never a secret)."""
    where = f" at {turn.before}" if turn.before else ""
    if turn.kind == "start":
        return "the call's start"
    if turn.kind == "hold":
        return f"holding{where}"
    if turn.kind == "speech":
        return f'said "{turn.entry}"{where}'
    if turn.kind == "pay":
        return f"<Pay>: {turn.entry}{where}"
    entry = f" {turn.entry}" if turn.entry else ""
    return f"{turn.kind}{entry}{where}"


def report_lines(result: ReplayResult) -> list[str]:
    """The replay's report: notes, then the same answers or the first difference."""
    lines = [f"note: {note}" for note in result.notes]
    count = len(result.recorded)
    difference = result.difference
    if difference is None:
        lines.append(f"replayed {count} turns: the current code answers the same")
        if result.failure is not None:
            lines += ["but the replayed script failed:", *_indented(result.failure)]
        return lines
    lines += [f"turn {difference.number} of {count} answers differently "
              f"(after {difference.did}):",
              f"  recorded: {_shown(difference.recorded, 'the call had ended')}",
              f"  now:      {_shown(difference.now, 'the replayed call had ended')}"]
    if difference.now is None and result.failure is not None:
        lines += ["the replayed script stopped:", *_indented(result.failure)]
    return lines


def _answer(turn: Turn) -> tuple[str, tuple[str, ...], str | None]:
    return turn.after, turn.prompts, turn.language


def _shown(turn: Turn | None, missing: str) -> str:
    if turn is None:
        return f"no turn ({missing})"
    language = f" [{turn.language}]" if turn.language else ""
    return f"{turn.answer()}{language}"


def _indented(text: str) -> list[str]:
    lines = text.splitlines()
    cut = ["  ..."] if len(lines) > FAILURE_LINES else []
    return [f"  {line}" for line in lines[:FAILURE_LINES]] + cut
