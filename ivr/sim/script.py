"""Scripted calls: replay a YAML script against the app and check what the caller hears.

``run_script(app_or_url, "fixtures/calls/pay.yaml")`` returns the ``CallResult`` or raises
``ScriptFailure`` whose message shows the expectation, what was heard and a diff.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from ivr.db import db
from ivr.errors import ScriptError, ScriptFailure
from ivr.sim.keyed import shown_step
from ivr.sim.logged_turns import logged_turns
from ivr.sim.record import RecordSpec
from ivr.sim.results import BY_HANGING_UP, BY_SILENCE, DEFAULT_CONFIDENCE
from ivr.sim.script_language import LanguageChooser, prompt_heard, prompt_texted
from ivr.sim.script_load import (
    INPUT_KINDS,
    SETTINGS_KIND,
    Script,
    Step,
    check_language,
    load_script,
)
from ivr.sim.script_settings import SettingsSteps, not_applied, script_overrides
from ivr.sim.simulator import DEFAULT_FROM, DEFAULT_TO, Action, CallResult, SimulatedCall
from ivr.sim.transport import InProcessTransport, Transport, transport_for
from ivr.sim.turns import TurnLog
from ivr.sim.twiml import GatherSpec, normalise_space
from models import CardEntry

__all__ = ["ScriptError", "ScriptFailure", "load_script", "run_script"]

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def _norm(text: str) -> str:
    return normalise_space(text).lower()


def closest_sentence(expected: str, heard: list[str]) -> str | None:
    """The heard line or sentence most similar to ``expected`` (difflib ratio)."""
    candidates = [*heard, *(s for line in heard for s in _SENTENCE_END.split(line))]
    if not candidates:
        return None
    return max(candidates,
               key=lambda c: difflib.SequenceMatcher(None, _norm(expected), _norm(c)).ratio())


def heard_report(call: SimulatedCall, last_action: str | None = None) -> str:
    """Everything heard since the caller's last action (``last_action``: as a report shows
    it, keys for a secret masked; else as the call describes it), one line each."""
    last_action = last_action or (call.last_action.describe() if call.last_action else None)
    since = f"'{last_action}'" if last_action else "the call started"
    lines = [f"  IVR: {text}" for text in call.heard_since_action] or ["  (nothing)"]
    return f"heard since {since}:\n" + "\n".join(lines)


def expectation_diff(expected: str, call: SimulatedCall,
                     last_action: str | None = None) -> str:
    """The failure text for an ``expect``: expected, heard, and a diff to the closest."""
    parts = [f'expected to hear: "{expected}"', heard_report(call, last_action)]
    closest = closest_sentence(expected, call.heard_since_action)
    if closest is not None:
        diff = difflib.ndiff([normalise_space(expected)], [normalise_space(closest)])
        parts.append("closest heard sentence (- expected, + heard):\n"
                     + "\n".join(f"  {line.rstrip()}" for line in diff))
    return "\n".join(parts)


def _end_matches(expected: str, result: CallResult) -> bool:
    """Whether the call ended the way ``expect_end`` says."""
    if expected == "caller-hangup":
        return result.outcome == "hangup" and result.hangup_by == "caller"
    if expected == "ivr-hangup":
        return result.outcome == "hangup" and result.hangup_by == "ivr"
    return result.outcome == expected


class ScriptCaller:
    """Plays a ``Script``: checks expectations, then returns its next press/silence/hangup."""

    def __init__(self, script: Script, supports_sms: bool, warn: Callable[[str], None],
                 language: str | None = None,
                 change_settings: Callable[[Step], None] | None = None) -> None:
        """``warn`` reports steps that cannot be checked (expect_sms over HTTP); ``language``
        (else the script's) is the one the call is played in; ``change_settings`` applies a
        settings step (``SettingsSteps.apply``; without it, each is a warning)."""
        self.script = script
        self.supports_sms = supports_sms
        self.warn = warn
        self.change_settings = change_settings or \
            (lambda step: warn(not_applied(step.describe())))
        self.position = 0
        self.end_checked = False
        self.language = language or script.language
        self.chooser = LanguageChooser(self.language)
        self.turns = TurnLog()  # the call so far, for a failure's report

    def _fail(self, step: Step | None, message: str, call: SimulatedCall) -> ScriptFailure:
        """The failure: where in the script, the call's last lines before it, then why."""
        where = f" at {shown_step(step)}" if step else ""
        header = f"Script '{self.script.name}' failed{where}:"
        parts = [header, self.turns.report(), message]
        return ScriptFailure("\n".join(part for part in parts if part), call.result)

    def _heard(self, call: SimulatedCall) -> str:
        """What was heard since the caller's last action, that action shown masked."""
        return heard_report(call, self.turns.last_action)

    def choose(self, call: SimulatedCall, gather: GatherSpec) -> Action:
        """The caller's next action (see ``_next_action``), kept for a failure's report."""
        action = self._next_action(call, gather)
        self.turns.add(call.spoken_since_action, gather, action)
        return action

    def _next_action(self, call: SimulatedCall, gather: GatherSpec) -> Action:
        """Check the steps up to the next input step and return that input (first, if the
        call is not in the script's language, the key that chooses it)."""
        try:
            chosen = self.chooser.choose(call.spoken_since_action)
        except ValueError as why:
            raise self._fail(None, f"{why}\n{self._heard(call)}", call) from None
        if chosen is not None:
            return chosen
        while self.position < len(self.script.steps):
            step = self.script.steps[self.position]
            self.position += 1
            if step.kind == "say":
                return self._say(step, call, gather)
            if step.kind in INPUT_KINDS:
                return self._input(step, gather, call)
            if step.kind == SETTINGS_KIND:  # before the next action is sent
                self.change_settings(step)
                continue
            if step.kind == "expect_end":
                raise self._fail(step, f"the call has not ended: the IVR is waiting for input "
                                       f"({gather.describe()})\n{self._heard(call)}", call)
            self._check(step, call)
        raise self._fail(None, f"after the last step ({len(self.script.steps)}) the IVR is "
                               f"waiting for input ({gather.describe()}) but the script has "
                               f"no steps left\n{self._heard(call)}", call)

    def _say(self, step: Step, call: SimulatedCall, gather: GatherSpec) -> Action:
        """The words of a ``say`` step, where the question takes speech (Twilio delivers no
        words to a keys-only <Gather>, nor to a <Pay> field)."""
        if not gather.speech:
            raise self._fail(step, f"this question takes keys only ({gather.describe()}): "
                                   f"Twilio would not deliver words said here\n"
                                   f"{self._heard(call)}", call)
        sure = DEFAULT_CONFIDENCE if step.confidence is None else step.confidence
        return Action("say", words=step.value, confidence=sure)

    def _input(self, step: Step, gather: GatherSpec, call: SimulatedCall) -> Action:
        """The caller's action for an input step; a recording only where one is asked for."""
        recording = isinstance(gather, RecordSpec)
        if step.kind == "record" and not recording:
            raise self._fail(step, f"the IVR is waiting for keys ({gather.describe()}), not a "
                                   f"recording\n{self._heard(call)}", call)
        if step.kind == "record":
            ending = {"silence": BY_SILENCE, "hangup": BY_HANGING_UP}.get(step.value, step.value)
            return Action("record", ending, seconds=step.seconds)
        return Action(step.kind, step.value)  # type: ignore[arg-type]

    def finished(self, call: SimulatedCall) -> None:
        """Check the steps left after the call ended; any input step left is a failure."""
        remaining = self.script.steps[self.position:]
        if not any(step.kind == "expect_end" for step in remaining):
            self._raise_if_error(call)  # the root cause beats "expected X, heard nothing"
        for step in remaining:
            if step.kind in (*INPUT_KINDS, SETTINGS_KIND):  # only a call going on takes these
                self._raise_if_error(call)
                raise self._fail(step, f"the call already ended ({call.result.outcome}); "
                                       f"this step was never reached\n{self._heard(call)}", call)
            self._check(step, call)
        self.position = len(self.script.steps)
        self._raise_if_error(call)

    def _raise_if_error(self, call: SimulatedCall) -> None:
        """An application error fails the script unless an expect_end asked for it."""
        result = call.result
        if result.outcome in ("application-error", "loop") and not self.end_checked:
            raise self._fail(None, f"{result.outcome}: {result.error}\n{self._heard(call)}",
                             call)
        if result.status_callback_status is not None and not self.end_checked \
                and not 200 <= result.status_callback_status < 300:
            raise self._fail(None, f"the status callback got HTTP "
                                   f"{result.status_callback_status}", call)

    def _check(self, step: Step, call: SimulatedCall) -> None:
        """Check one expectation step against the call so far."""
        heard = _norm(" ".join(call.heard_since_action))
        if step.kind == "expect" and _norm(step.value) not in heard:
            diff = expectation_diff(step.value, call, self.turns.last_action)
            raise self._fail(step, diff, call)
        if step.kind == "expect_not" and _norm(step.value) in heard:
            raise self._fail(step, f'"{step.value}" was heard but must not be\n'
                                   f"{self._heard(call)}", call)
        if step.kind == "expect_end":
            self._check_end(step, call)
        if step.kind == "expect_sms":
            self._check_sms(step, call)
        if step.kind == "expect_prompt":
            why = prompt_heard(step.value, call.spoken_since_action, self.language)
            if why is not None:
                raise self._fail(step, why, call)
        if step.kind == "expect_sms_prompt" and self._sms_visible(step):
            why = prompt_texted(step.value, call.sms(), self.language)
            if why is not None:
                raise self._fail(step, why, call)

    def _check_end(self, step: Step, call: SimulatedCall) -> None:
        result = call.result
        if not _end_matches(step.value, result):
            by = f" by the {result.hangup_by}" if result.hangup_by else ""
            detail = f"\n{result.error}" if result.error else ""
            raise self._fail(step, f"the call ended with {result.outcome}{by}, "
                                   f"not {step.value}{detail}", call)
        self.end_checked = True

    def _sms_visible(self, step: Step) -> bool:
        """Texts can be checked (in process); else a warning that this step was skipped."""
        if not self.supports_sms:
            self.warn(f"{step.describe()} skipped: texts are only visible in-process")
        return self.supports_sms

    def _check_sms(self, step: Step, call: SimulatedCall) -> None:
        if not self._sms_visible(step):
            return
        bodies = call.sms()
        if not any(_norm(step.value) in _norm(body) for body in bodies):
            listed = "\n".join(f"  {body}" for body in bodies) or "  (none)"
            raise self._fail(step, f'no text to {call.from_number} contains "{step.value}"; '
                                   f"texts queued during the call:\n{listed}", call)


def run_script(target: Flask | str | Transport, script: str | Path | Mapping[str, Any] | Script,
               *, echo: Callable[[str], None] | None = None, quiet: bool = False,
               from_number: str | None = None, to_number: str | None = None,
               pay_connector: str | None = None, language: str | None = None) -> CallResult:
    """Run one scripted call; raise ScriptFailure (or ScriptError) when it does not pass.

    ``echo`` receives the transcript (unless ``quiet``), warnings and the PASS line.
    ``from_number``/``to_number``/``pay_connector``/``language`` override the script's own.
    """
    script = script if isinstance(script, Script) else load_script(script)
    check_language(language)
    out = echo or (lambda _line: None)
    transport = transport_for(target)
    settings_steps = SettingsSteps(transport, out)
    caller = ScriptCaller(script, transport.supports_sms, warn=lambda m: out(f"warning: {m}"),
                          language=language, change_settings=settings_steps.apply)
    call = SimulatedCall(transport, caller, echo=None if quiet else out,
                         from_number=from_number or script.from_number or DEFAULT_FROM,
                         to_number=to_number or script.to_number or DEFAULT_TO,
                         pay_connector=pay_connector or script.pay_connector,
                         agent=script.agent)
    with script_overrides(script, transport, out), settings_steps:
        try:
            result = call.run()
        finally:  # a failed script's call reached steps too (its failure holds the result)
            call.result.turns = logged_turns(transport, call.result.call_sid)
    _check_nothing_kept(transport, result)
    spoken_in = f", in {caller.language}" if caller.language else ""
    out(f"PASS {script.name} ({len(script.steps)} steps{spoken_in})")
    return result


def _check_nothing_kept(transport: Transport, result: CallResult) -> None:
    """In process, once the call has ended, nothing the caller keyed may be left in the card
    store: the call's outcome, its end or the caller moving on must have emptied it."""
    # Only the line's own app has a card store (a stand-in app in a test has none).
    if not isinstance(transport, InProcessTransport) or \
            "ivr_gateway" not in transport.app.extensions:
        return
    with db.transaction(transport.app) as session:
        kept = session.scalar(select(func.count()).select_from(CardEntry)) or 0
    if kept:
        raise ScriptFailure(f"the card store still holds {kept} card or bank account(s) the "
                            "caller keyed after the call ended", result)

