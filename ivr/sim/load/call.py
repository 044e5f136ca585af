"""One call of a load test: a script's actions with think time, every request timed.

A load caller follows its script's actions (keys, words, silence, hang-ups) and checks its
expectations as ``ivr call --script`` does, but a check that does not hold does not stop
the call: on a server that has been taking payments for a while, a balance or an offer may
rightly differ from what the script expected. The first one is recorded as the call's
expectation mismatch (reported apart from errors) and the caller carries on with the next
action; when the script has none left, it hangs up.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping

from ivr.errors import ScriptFailure
from ivr.sim.load.mix import MixEntry
from ivr.sim.load.stats import (
    APOLOGY,
    APPLICATION_ERROR,
    COMPLETED,
    CRASH,
    CUT,
    FAILED,
    HTTP_ERROR,
    NO_CONNECTION,
    TIMEOUT,
    CallRecord,
    Recorder,
    Sample,
)
from ivr.sim.load.turns import TurnNamer
from ivr.sim.results import Action
from ivr.sim.script import ScriptCaller
from ivr.sim.simulator import DEFAULT_TO, SimulatedCall
from ivr.sim.transport import Transport, WebResponse
from ivr.sim.twiml import GatherSpec

log = logging.getLogger(__name__)

FAILED_OUTCOMES = ("application-error", "loop")
_FAILED_AT = re.compile(r" failed at step (\d+) \(")
# The exceptions requests raises when no answer came in time (HttpTransport keeps the name).
_TIMEOUTS = ("ReadTimeout", "ConnectTimeout", "Timeout")


def request_error(response: WebResponse) -> str | None:
    """How a request failed, or None: any status but 2xx, no answer in time, no connection."""
    if response.status == 0:
        return TIMEOUT if response.body.startswith(_TIMEOUTS) else NO_CONNECTION
    return None if 200 <= response.status < 300 else HTTP_ERROR


class TimedTransport:
    """A transport for one call that records each request's turn and time (texts are out
    of its reach, as a server's are)."""

    supports_sms = False

    def __init__(self, http: Transport, recorder: Recorder) -> None:
        self.http = http
        self.base_url = http.base_url
        self.account_sid = http.account_sid
        self.recorder = recorder
        self.turns = TurnNamer(http.base_url)
        self.failed = False  # some request of the call failed

    def request(self, method: str, url: str, params: Mapping[str, str]) -> WebResponse:
        """Send, time and record one request (named before it is sent: by what it answers)."""
        turn = self.turns.name(url)
        started = self.recorder.now()
        response = self.http.request(method, url, params)
        error = request_error(response)
        self.recorder.request(Sample(started, turn, self.recorder.now() - started, error))
        self.failed = self.failed or error is not None
        self.turns.answered(url, response.status, response.body)
        return response

    def sms_marker(self) -> int:
        """A server's outbox is out of reach."""
        return 0

    def sms_since(self, marker: int, to_number: str) -> list[str]:
        """A server's outbox is out of reach."""
        return []


class LoadCaller:
    """A script's caller that thinks before each action and survives its expectations.

    ``pause`` waits the think time; it returns False when the run cuts the call short, and
    the caller then hangs up.
    """

    def __init__(self, entry: MixEntry, pause: Callable[[], bool]) -> None:
        self.entry = entry
        self.script = ScriptCaller(entry.script, supports_sms=False, warn=lambda _m: None)
        self.pause = pause
        self.cut = False
        self.mismatch: str | None = None

    def choose(self, call: SimulatedCall, gather: GatherSpec) -> Action:
        """The script's next action after the think time; checks that fail are noted."""
        if not self.pause():
            self.cut = True
            return Action("hangup")
        steps = len(self.entry.script.steps)
        while True:
            before = self.script.position
            try:
                return self.script.choose(call, gather)
            except ScriptFailure as failure:
                self._note(failure)
                if self.script.position in (before, steps):
                    return Action("hangup")  # nothing left to do, or no way past the check

    def finished(self, call: SimulatedCall) -> None:
        """Check what the script expects once the call ended (not for a call cut short)."""
        if self.cut:
            return
        try:
            self.script.finished(call)
        except ScriptFailure as failure:
            if call.result.outcome not in FAILED_OUTCOMES:  # an error, counted as one
                self._note(failure)

    def _note(self, failure: ScriptFailure) -> None:
        """Keep the call's first mismatch: the script, the step's number and kind."""
        if self.mismatch is not None:
            return
        found = _FAILED_AT.search(str(failure).splitlines()[0])
        if found is None:
            self.mismatch = f"{self.entry.name}: the call went beyond the script"
            return
        step = self.entry.script.steps[int(found.group(1)) - 1]
        self.mismatch = f"{self.entry.name}: step {step.number} ({step.kind})"


def run_call(http: Transport, entry: MixEntry, from_number: str, recorder: Recorder,
             pause: Callable[[], bool]) -> CallRecord:
    """Place one call of ``entry``'s script from ``from_number`` over ``http``; how it
    ended."""
    transport = TimedTransport(http, recorder)
    caller = LoadCaller(entry, pause)
    script = entry.script
    call = SimulatedCall(transport, caller, from_number=from_number,
                         to_number=script.to_number or DEFAULT_TO,
                         pay_connector=script.pay_connector, agent=script.agent)
    crashed = False
    try:
        call.run()
    except Exception:
        # A fault of the simulator's, not the server's: counted, and the caller goes on.
        log.exception("load call %s (%s) failed in the simulator", call.result.call_sid,
                      entry.name)
        crashed = True
    error = _call_error(call, transport, crashed)
    failed = transport.failed or error is not None
    ending = FAILED if failed else CUT if caller.cut else COMPLETED
    return CallRecord(entry.name, ending, error, caller.mismatch)


def _call_error(call: SimulatedCall, transport: TimedTransport, crashed: bool) -> str | None:
    """How a call failed whose every request was answered (a failed request is the
    request's error, counted once)."""
    if crashed:
        return CRASH
    if call.result.outcome in FAILED_OUTCOMES and not transport.failed:
        return APPLICATION_ERROR
    return APOLOGY if transport.turns.apologised else None
