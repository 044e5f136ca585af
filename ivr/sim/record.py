"""Twilio's ``<Record>`` for the call simulator: beep, let the caller speak, report it.

``RecordSession(call, record, url).run()`` checks the verb against Twilio's schema (what
Twilio would warn of is a :class:`TwimlError`), asks the caller what they do, and then does
what Twilio does: an empty recording goes on to the next verb without telling the action
URL; a message is posted to the action URL (``RecordingSid``, ``RecordingUrl``,
``RecordingDuration``, ``Digits``: the key that ended it, or ``hangup``), even when the
caller hung up, and to ``recordingStatusCallback`` once processed (after the action's
answer), for the events asked for.
"""

from __future__ import annotations

import secrets
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Literal, Protocol
from urllib.parse import urljoin

from ivr.errors import TwimlError
from ivr.sim.results import (
    BY_HANGING_UP,
    BY_SILENCE,
    SECONDS_PER_KEY,
    Action,
    PayingCall,
)
from ivr.sim.results import seconds as said_for
from ivr.sim.transport import Transport
from ivr.sim.twiml import DTMF_KEYS, GatherSpec

# Twilio's <Record> schema (its TwiML reference and generated types).
RECORD_ATTRIBUTES = frozenset({
    "action", "method", "timeout", "finishOnKey", "maxLength", "playBeep", "trim",
    "recordingStatusCallback", "recordingStatusCallbackMethod", "recordingStatusCallbackEvent",
    "transcribe", "transcribeCallback", "recordingConfigurationId"})
RECORD_VALUES = {"method": ("GET", "POST"), "recordingStatusCallbackMethod": ("GET", "POST"),
                 "playBeep": ("true", "false"), "transcribe": ("true", "false"),
                 "trim": ("trim-silence", "do-not-trim")}
STATUS_EVENTS = ("in-progress", "completed", "absent")
LONGEST = 14400  # seconds: maxLength's ceiling on a standard account (4 hours)
TOO_SHORT = "16101"  # the ErrorCode of an "absent" recording: too short to keep

# The action request to make; None: go on to the next verb; "stop": the call is over.
RecordOutcome = tuple[str, str, dict[str, str]] | Literal["stop"] | None


@dataclass(frozen=True)
class RecordAttributes:
    """The ``<Record>`` attributes the simulator acts on, with Twilio's defaults."""

    method: str = "POST"
    timeout: int = 5
    finish_on_key: str = "1234567890*#"
    max_length: int = 3600
    play_beep: bool = True
    events: tuple[str, ...] = ("completed",)

    @classmethod
    def from_element(cls, record: ET.Element) -> RecordAttributes:
        """Read a ``<Record>``; TwimlError names what Twilio's schema refuses."""
        unknown = sorted(set(record.attrib) - RECORD_ATTRIBUTES)
        if unknown:
            raise TwimlError(f"12200: <Record> has no attribute {unknown[0]!r}")
        if len(record):
            raise TwimlError("12200: <Record> takes no nested elements")
        for name, allowed in RECORD_VALUES.items():
            if record.get(name) is not None and record.get(name) not in allowed:
                raise TwimlError(f"12200: <Record {name}={record.get(name)!r}> is not one of "
                                 f"{', '.join(allowed)}")
        keys = record.get("finishOnKey", cls.finish_on_key)
        if not set(keys) <= DTMF_KEYS:
            raise TwimlError(f"12200: <Record finishOnKey={keys!r}> is not keypad keys")
        events = tuple((record.get("recordingStatusCallbackEvent") or "completed").split())
        if not set(events) <= set(STATUS_EVENTS):
            raise TwimlError(f"12200: <Record recordingStatusCallbackEvent={' '.join(events)!r}>"
                             f" is not among {', '.join(STATUS_EVENTS)}")
        return cls(method=record.get("method") or "POST",
                   timeout=_whole("timeout", record.get("timeout"), 1, 5),
                   finish_on_key=keys,
                   max_length=_whole("maxLength", record.get("maxLength"), 2, 3600),
                   play_beep=record.get("playBeep", "true") == "true", events=events)


def _whole(name: str, raw: str | None, least: int, default: int) -> int:
    """A whole-number attribute from ``least`` (maxLength: up to ``LONGEST``)."""
    if raw is None:
        return default
    most = LONGEST if name == "maxLength" else None
    if not (raw.isascii() and raw.isdigit()) or int(raw) < least or (most and int(raw) > most):
        raise TwimlError(f"12200: <Record {name}={raw!r}> is not a whole number from {least}"
                         + (f" to {most}" if most else ""))
    return int(raw)


@dataclass(frozen=True)
class RecordSpec(GatherSpec):
    """A ``<Record>`` as the caller meets it: speak, then a finish key, silence or hang up."""

    max_length: int = 3600

    def describe(self) -> str:
        """What the recording takes, e.g. ``<Record>: speak up to 120 s, finish with #``."""
        finish = f", finish with {self.finish_on_key}" if self.finish_on_key else ""
        return f"<Record>: speak up to {self.max_length} s{finish}, " \
               f"silence ends it after {self.timeout}s"

    def keys_prompt(self) -> str:
        """The interactive prompt asks for seconds of speech."""
        return "record> "


class LaterCallbacks:
    """Callbacks Twilio makes once a recording is processed: posted after the next request
    of the call has been answered (or once the call is over)."""

    def __init__(self, transport: Transport, warn: Callable[[str], None]) -> None:
        self.transport = transport
        self.warn = warn
        self.waiting: list[tuple[str, str, dict[str, str]]] = []

    def add(self, method: str, url: str, params: dict[str, str]) -> None:
        """Post this later."""
        self.waiting.append((method, url, params))

    def post(self) -> None:
        """Post everything waiting, oldest first."""
        while self.waiting:
            method, url, params = self.waiting.pop(0)
            response = self.transport.request(method, url, params)
            if not 200 <= response.status < 300:
                self.warn(f"<Record> recordingStatusCallback got HTTP {response.status}")


class RecordingCall(PayingCall, Protocol):
    """What a ``<Record>`` needs of its call: a ``<Pay>``'s, and callbacks made later."""

    later: LaterCallbacks


class RecordSession:
    """One ``<Record>``: the caller's message, and Twilio's reports of it."""

    def __init__(self, call: RecordingCall, record: ET.Element, current_url: str) -> None:
        """Nothing happens until ``run()``."""
        self.call = call
        self.record = record
        self.current_url = current_url
        self.sid = f"RE{secrets.token_hex(16)}"

    def run(self) -> RecordOutcome:
        """The action request to make, or None (nothing recorded) or "stop" (hung up)."""
        attrs = RecordAttributes.from_element(self.record)
        if attrs.play_beep:
            self.call.line("[beep]")
        spec = RecordSpec(action=self.record.get("action"), method=attrs.method,
                          finish_on_key=attrs.finish_on_key, timeout=attrs.timeout,
                          max_length=attrs.max_length)
        action = self.call.ask_caller(spec)
        self.call.last_action = action
        self.call.heard_since_action, self.call.spoken_since_action = [], []
        self.call.line(action.describe())
        seconds, ending = _message(action, attrs)
        self.call.seconds += seconds + (attrs.timeout if ending == BY_SILENCE else SECONDS_PER_KEY)
        self._status(attrs, "in-progress", now=True)
        if seconds == 0:
            return self._nothing(attrs, ending)
        self.call.line(f"[<Record>: {said_for(seconds)} recorded as {self.sid}]")
        params = {"RecordingSid": self.sid, "RecordingUrl": self._url(),
                  "RecordingDuration": str(seconds), **({"Digits": ending} if ending else {})}
        self._status(attrs, "completed", RecordingUrl=self._url(),
                     RecordingDuration=str(seconds))
        target = urljoin(self.current_url, self.record.get("action") or self.current_url)
        if ending != BY_HANGING_UP:
            return attrs.method, target, params
        self._post_hangup(attrs.method, target, params)
        return "stop"

    def _nothing(self, attrs: RecordAttributes, ending: str) -> RecordOutcome:
        """An empty recording: no action request; Twilio reports it absent, if asked."""
        self._status(attrs, "absent", ErrorCode=TOO_SHORT, RecordingDuration="0")
        if ending == BY_HANGING_UP:
            self.call.end("hangup", by="caller")
            return "stop"
        self.call.line("[<Record>: nothing recorded; Twilio goes on to the next verb]")
        return None

    def _url(self) -> str:
        account = self.call.transport.account_sid
        return f"https://api.twilio.com/2010-04-01/Accounts/{account}/Recordings/{self.sid}"

    def _post_hangup(self, method: str, target: str, params: dict[str, str]) -> None:
        """Twilio still tells the action URL; the call is over, so its TwiML is ignored."""
        self.call.end("hangup", by="caller")
        self.call.result.requests += 1
        response = self.call.transport.request(
            method, target, self.call.webhook_params(CallStatus="completed", **params))
        if not 200 <= response.status < 300:
            self.call.warn(f"<Record> action got HTTP {response.status} after the hang-up")

    def _status(self, attrs: RecordAttributes, status: str, now: bool = False,
                **more: str) -> None:
        """Tell ``recordingStatusCallback`` of ``status``, if that event was asked for."""
        target = self.record.get("recordingStatusCallback")
        if not target or status not in attrs.events:
            return
        method = (self.record.get("recordingStatusCallbackMethod") or "POST").upper()
        params = {"AccountSid": self.call.transport.account_sid,
                  "CallSid": self.call.result.call_sid, "RecordingSid": self.sid,
                  "RecordingStatus": status, "RecordingChannels": "1",
                  "RecordingSource": "RecordVerb",
                  "RecordingStartTime": format_datetime(datetime.now(UTC)), **more}
        url = urljoin(self.current_url, target)
        if now:
            response = self.call.transport.request(method, url, params)
            if not 200 <= response.status < 300:
                self.call.warn(f"<Record> recordingStatusCallback got HTTP {response.status}")
        else:
            self.call.later.add(method, url, params)


def _message(action: Action, attrs: RecordAttributes) -> tuple[int, str]:
    """How many seconds are recorded, and what ended the recording."""
    if action.kind == "hangup":
        return 0, BY_HANGING_UP
    if action.kind in ("silence", "press"):
        key = action.keys[:1]
        return 0, key if key and key in attrs.finish_on_key else BY_SILENCE
    seconds, ending = action.seconds, action.keys
    if ending not in (BY_SILENCE, BY_HANGING_UP) and ending not in attrs.finish_on_key:
        ending = BY_SILENCE  # not a finish key: recorded as a tone; silence ends it
    if seconds >= attrs.max_length and ending != BY_HANGING_UP:
        return attrs.max_length, BY_SILENCE  # cut off at maxLength, with no key
    return min(seconds, attrs.max_length), ending
