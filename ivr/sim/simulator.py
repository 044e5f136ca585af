"""A simulated phone call that speaks Twilio's voice webhook protocol to the app.

``SimulatedCall(transport, caller).run()`` posts to ``<base>/voice``, executes the TwiML
it gets back the way Twilio would, asks ``caller`` what to do at every ``<Gather>`` (and
every ``<Pay>`` field, see ``ivr.sim.pay``) and posts the status callback to
``<base>/voice/status`` when the call ends. Scripts (``ivr.sim.script``) and the interactive
keypad (``ivr.sim.callers``) are callers.
"""

from __future__ import annotations

import contextlib
import math
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Literal, Protocol
from urllib.parse import urljoin

from ivr.errors import TwimlError
from ivr.phones import to_e164
from ivr.sim.dial import ring_agent
from ivr.sim.pay import PaySession
from ivr.sim.pay_connectors import CONNECTORS, connector_for
from ivr.sim.record import LaterCallbacks, RecordSession
from ivr.sim.results import SECONDS_PER_KEY, WORDS_PER_MINUTE, Action, CallResult, Outcome, Spoken
from ivr.sim.transport import Transport
from ivr.sim.twiml import GatherSpec, local_name, parse_twiml, say_text

DEFAULT_FROM = "+14155550100"
DEFAULT_TO = "+18005550199"
MAX_REQUESTS = 200
# Simulated clock: roughly how long speech takes on a real call.
WORDS_PER_SECOND = WORDS_PER_MINUTE / 60


class Caller(Protocol):
    """Decides the caller's actions; may raise to stop the call (e.g. ScriptFailure)."""

    def choose(self, call: SimulatedCall, gather: GatherSpec) -> Action:
        """The caller's action at a ``<Gather>``; ``call.heard_since_action`` is fresh."""
        ...

    def finished(self, call: SimulatedCall) -> None:
        """Called once after the call ended and the status callback was posted."""
        ...


@dataclass(frozen=True)
class _Request:
    method: str
    url: str
    params: dict[str, str]


_CONTINUE = None  # a verb finished; go on with the next verb of the document
_STOP = "stop"  # the call is over


class SimulatedCall:
    """One inbound call from ``from_number`` to ``to_number``, driven by ``caller``."""

    def __init__(self, transport: Transport, caller: Caller, *, from_number: str = DEFAULT_FROM,
                 to_number: str = DEFAULT_TO, echo: Callable[[str], None] | None = None,
                 max_requests: int = MAX_REQUESTS, call_sid: str | None = None,
                 pay_connector: str | None = None, agent: str = "answer") -> None:
        """Prepare the call; nothing is sent until ``run()``. ``pay_connector``: the Pay
        Connector a ``<Pay>`` emulates (``ivr.sim.pay_connectors``); by default the one
        that fits the app in process, else the sandbox's. ``agent``: what an agent's phone
        a ``<Dial>`` rings does (``ivr.sim.dial``)."""
        pay_connector = pay_connector or connector_for(transport)
        if pay_connector not in CONNECTORS:
            raise ValueError(f"pay connector {pay_connector!r} is not one of "
                             f"{', '.join(CONNECTORS)}")
        self.transport = transport
        self.pay_connector = pay_connector
        self.agent = agent
        self.caller = caller
        self.from_number = from_number
        self.to_number = to_number
        self.echo = echo or (lambda _line: None)
        self.max_requests = max_requests
        self.result = CallResult(call_sid=call_sid or f"CA{uuid.uuid4().hex}")
        self.heard_since_action: list[str] = []
        self.spoken_since_action: list[Spoken] = []  # the same, with each one's language
        self.last_action: Action | None = None
        self.seconds = 0.0
        self.reject_reason = ""
        self._started = datetime.now(UTC)
        self._sms_marker = transport.sms_marker()
        self.later = LaterCallbacks(transport, self.warn)  # a recording's status callbacks

    def run(self) -> CallResult:
        """Place the call, follow it to its end, post the status callback, return the result."""
        next_step: _Request | str | None = _Request("POST", self.url("/voice"), {})
        try:
            while isinstance(next_step, _Request):
                next_step = self._turn(next_step)
        except Exception:
            # The caller gave up (e.g. a failed expectation): hang up cleanly first.
            self.end("hangup", by="caller")
            with contextlib.suppress(Exception):
                self._post_status()
            raise
        self._post_status()
        self.later.post()
        self.caller.finished(self)
        return self.result

    def url(self, path: str) -> str:
        """An absolute URL on the app under test."""
        return self.transport.base_url + path

    def line(self, text: str) -> None:
        """Record a transcript line and show it."""
        self.result.transcript.append(text)
        self.echo(text)

    def sms(self) -> list[str]:
        """Texts queued for the caller since the call started (in-process only)."""
        number = to_e164(self.from_number) or self.from_number
        return self.transport.sms_since(self._sms_marker, number)

    def webhook_params(self, **extra: str) -> dict[str, str]:
        """The parameters Twilio sends with every voice webhook of this call."""
        params = {
            "CallSid": self.result.call_sid, "AccountSid": self.transport.account_sid,
            "From": self.from_number, "To": self.to_number, "Caller": self.from_number,
            "Called": self.to_number, "Direction": "inbound", "ApiVersion": "2010-04-01",
            "CallStatus": "in-progress" if self.result.requests else "ringing",
        }
        params.update(extra)
        return params

    def _turn(self, request: _Request) -> _Request | str | None:
        """Fetch one TwiML document and execute it; return the next request, if any."""
        if self.result.requests >= self.max_requests:
            self._fail("loop", f"more than {self.max_requests} webhook requests in one call "
                               "(a redirect loop?)")
            return _STOP
        params = self.webhook_params(**request.params)
        self.result.requests += 1
        response = self.transport.request(request.method, request.url, params)
        self.later.post()
        where = f"{request.method} {request.url}"
        if not 200 <= response.status < 300:
            detail = f"HTTP {response.status} from {where}"
            self._fail("application-error", f"{detail}\n{response.body[:2000]}".rstrip())
            return _STOP
        try:
            return self._execute(parse_twiml(response.body), request.url)
        except TwimlError as exc:
            self._fail("application-error", f"{where}: {exc}\n{response.body[:2000]}".rstrip())
            return _STOP

    def _execute(self, verbs: list[ET.Element], current_url: str) -> _Request | str | None:
        """Run the verbs of one document until one of them leaves it."""
        for index, verb in enumerate(verbs):
            outcome = self._verb(verb, current_url, first=index == 0)
            if outcome is not _CONTINUE:
                return outcome
        self.line("[end of TwiML: Twilio hangs up]")
        self.end("hangup", by="ivr")
        return _STOP

    def _verb(self, verb: ET.Element, current_url: str, *, first: bool) -> _Request | str | None:
        """Execute one top-level verb."""
        name = local_name(verb)
        if name in ("Say", "Play", "Pause"):
            self.speak(verb)
            return _CONTINUE
        if name == "Gather":
            return self._gather(verb, current_url)
        if name == "Pay":
            return self._pay(verb, current_url)
        if name == "Record":
            outcome = RecordSession(self, verb, current_url).run()
            return _Request(*outcome) if isinstance(outcome, tuple) else outcome
        if name == "Redirect":
            target = urljoin(current_url, (verb.text or "").strip())
            return _Request((verb.get("method") or "POST").upper(), target, {})
        if name == "Dial":
            rung = ring_agent(self, verb, current_url)
            return _Request(*rung) if isinstance(rung, tuple) else _STOP if rung else _CONTINUE
        if name in ("Hangup", "Reject"):
            return self._hangup(verb, first=first)
        self.warn(f"unknown verb <{name}> ignored")
        return _CONTINUE

    def _hangup(self, verb: ET.Element, *, first: bool) -> str:
        """``<Hangup>`` or ``<Reject>``; a first-verb Reject means the call was never answered."""
        if local_name(verb) == "Reject":
            self.reject_reason = verb.get("reason") or "rejected"
            self.line(f"[call rejected: {self.reject_reason}]")
            # Only a Reject before anything else keeps Twilio from answering the call.
            rejected = first and self.result.requests == 1
            self.end("reject" if rejected else "hangup", by="ivr")
            return _STOP
        self.line("[IVR hangs up]")
        self.end("hangup", by="ivr")
        return _STOP

    def speak(self, verb: ET.Element) -> None:
        """``<Say>``, ``<Play>`` or ``<Pause>``: what the caller hears, and how long it takes."""
        name = local_name(verb)
        if name == "Say":
            text = say_text(verb)
            self.result.heard.append(text)
            self.heard_since_action.append(text)
            self.spoken_since_action.append(Spoken(text, verb.get("language") or ""))
            self.seconds += max(1.0, len(text.split()) / WORDS_PER_SECOND)
            self.line(f"IVR: {text}")
        elif name == "Play":
            self.seconds += 3.0
            self.line(f"[plays {(verb.text or '').strip()}]")
        else:
            self.seconds += float(verb.get("length") or 1)

    def _gather(self, gather: ET.Element, current_url: str) -> _Request | str | None:
        """Play the nested prompts, ask the caller, then post Digits or fall through."""
        spec = GatherSpec.from_element(gather)
        for child in gather:
            if local_name(child) in ("Say", "Play", "Pause"):
                self.speak(child)
            else:
                self.warn(f"<{local_name(child)}> inside <Gather> ignored")
        action = self.ask_caller(spec)
        self.last_action = action
        self.heard_since_action, self.spoken_since_action = [], []
        self.line(action.describe())
        if action.kind == "hangup":
            self.end("hangup", by="caller")
            return _STOP
        target = urljoin(current_url, spec.action) if spec.action else current_url
        if action.kind == "say":
            # Twilio posts what it heard, and how sure it is, once the caller pauses.
            self.seconds += len(action.words.split()) / WORDS_PER_SECOND + spec.speech_timeout
            return _Request(spec.method, target, {"SpeechResult": action.words,
                                                  "Confidence": f"{action.confidence:.2f}"})
        digits = spec.digits(action.keys) if action.kind == "press" else ""
        self.seconds += len(action.keys) * SECONDS_PER_KEY
        if not spec.ends_early(action.keys):
            self.seconds += spec.timeout  # Twilio waits out the timeout before moving on
        if not digits and not spec.action_on_empty_result:
            return _CONTINUE
        return _Request(spec.method, target, {"Digits": digits})

    def _pay(self, verb: ET.Element, current_url: str) -> _Request | str:
        """``<Pay>`` (see ivr.sim.pay); its result is posted to the Pay's action."""
        posted = PaySession(self, verb, current_url).run()
        return _Request("POST", *posted) if posted else _STOP

    def ask_caller(self, spec: GatherSpec) -> Action:
        """The caller's action at ``spec`` (a ``<Gather>``, or a ``<Pay>`` field); a press
        counts as one key entry, however many keys it holds."""
        action = self.caller.choose(self, spec)
        if action.kind == "say" and not spec.speech:
            # Twilio listens for words only where input names speech: none would arrive.
            raise ValueError(f"words said where only keys are taken ({spec.describe()})")
        if action.kind == "press":
            self.result.entries += 1
        return action

    def warn(self, message: str) -> None:
        """Record a warning and show it in the transcript."""
        self.result.warnings.append(message)
        self.line(f"[warning: {message}]")

    def _fail(self, outcome: Outcome, error: str) -> None:
        """End the call the way Twilio does when the app misbehaves."""
        self.result.error = error
        self.line(f"[application error: {error.splitlines()[0]}]")
        self.line("IVR: We are sorry, an application error has occurred. Goodbye.")
        self.end(outcome, by="ivr")

    def end(self, outcome: Outcome, by: Literal["caller", "ivr"] | None) -> None:
        """Record how the call ended; the first ending wins."""
        if self.result.outcome == "in-progress":
            self.result.outcome = outcome
            self.result.hangup_by = by

    def _post_status(self) -> None:
        """Post the final status callback, as Twilio does when the call completes."""
        rejected = self.result.outcome == "reject"
        self.result.duration = 0 if rejected else math.ceil(self.seconds)
        status = "completed"
        if rejected:
            status = "busy" if self.reject_reason == "busy" else "no-answer"
        ended = self._started + timedelta(seconds=self.result.duration)
        params = self.webhook_params(CallStatus=status, CallDuration=str(self.result.duration),
                                     Timestamp=format_datetime(ended),
                                     CallbackSource="call-progress-events", SequenceNumber="0")
        response = self.transport.request("POST", self.url("/voice/status"), params)
        self.result.status_callback_status = response.status
        if not 200 <= response.status < 300:
            self.warn(f"status callback got HTTP {response.status}")
        self.result.sms = self.sms()
