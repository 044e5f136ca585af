"""The browser phone (``ivr phone``): a keypad page driving live simulated calls.

A small Flask app of its own, never the webhook app: it serves one page (``page/``:
plain HTML, a little vanilla JavaScript that reads each prompt aloud with the browser's speech
synthesis) and a JSON API over a :class:`Switchboard` of :class:`~ivr.sim.live.LiveCall`\\ s,
each reached by a random id. It is bounded: at most ``max_calls`` calls at once, and a call
nobody acts on for ``idle_seconds`` is hung up. For development only (the command refuses
``IVR_ENV=production``), and on loopback unless told otherwise.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask, Response, abort, current_app, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from ivr.errors import PhoneBusy
from ivr.phones import to_e164
from ivr.sim.live import ANSWER_SECONDS, LiveCall, Turn
from ivr.sim.pay_twiml import PayFieldSpec
from ivr.sim.record import RecordSpec
from ivr.sim.simulator import DEFAULT_FROM, DEFAULT_TO
from ivr.sim.transport import Transport

PAGE = Path(__file__).with_name("page")
MAX_CALLS = 4
IDLE_SECONDS = 300.0
# Host headers the page answers to on IPv4 loopback: another name (a DNS-rebinding page) is
# refused. (Werkzeug's check cannot name IPv6's [::1]: on --host ::1 no name is checked.)
LOOPBACK_NAMES = ("127.0.0.1", "localhost")
# The page loads only its own script and style, and may not be framed.
CSP = "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

log = logging.getLogger(__name__)


@dataclass
class _Line:
    live: LiveCall
    touched: float  # time.monotonic() of the last action


class Switchboard:
    """The calls the phone holds, by id: at most ``max_calls``, each hung up once idle."""

    def __init__(self, target: Flask | Transport, *, max_calls: int = MAX_CALLS,
                 idle_seconds: float = IDLE_SECONDS, answer_seconds: float = ANSWER_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.target = target
        self.max_calls = max_calls
        self.idle_seconds = idle_seconds
        self.answer_seconds = answer_seconds
        self.clock = clock
        self._lines: dict[str, _Line] = {}
        self._lock = threading.Lock()

    def place(self, from_number: str = DEFAULT_FROM,
              to_number: str = DEFAULT_TO) -> tuple[str, Turn]:
        """Start a call; its id and what was heard up to the first question."""
        self.sweep()
        live = LiveCall(self.target, from_number=from_number, to_number=to_number,
                        answer_seconds=self.answer_seconds, idle_seconds=self.idle_seconds)
        call_id = secrets.token_urlsafe(16)
        with self._lock:
            if len(self._lines) >= self.max_calls:
                raise PhoneBusy(f"{self.max_calls} calls are going already: hang one up "
                                f"(or leave it {self.idle_seconds:g} s) first")
            self._lines[call_id] = _Line(live, self.clock())
        return call_id, self._report(call_id, live.start)

    def act(self, call_id: str, action: str, value: str = "") -> Turn:
        """Do ``action`` (press, say, silence, hangup) on call ``call_id``; KeyError when no
        such call is going."""
        with self._lock:
            line = self._lines[call_id]
            line.touched = self.clock()
        live = line.live
        actions: dict[str, Callable[[], Turn]] = {
            "press": lambda: live.press("".join(value.split())),
            "say": lambda: live.say(value), "silence": live.silence, "hangup": live.hang_up}
        if action not in actions:
            raise ValueError(f"no such action {action!r}: one of {', '.join(actions)}")
        return self._report(call_id, actions[action])

    def sweep(self) -> None:
        """Hang up and forget calls left idle, and those that hung up on their own."""
        now = self.clock()
        with self._lock:
            stale = {call_id: line for call_id, line in self._lines.items()
                     if not line.live.running or now - line.touched > self.idle_seconds}
            for call_id in stale:
                del self._lines[call_id]
        for line in stale.values():
            line.live.close()

    def close(self) -> None:
        """Hang up every call (the server is stopping)."""
        with self._lock:
            lines, self._lines = list(self._lines.values()), {}
        for line in lines:
            line.live.close()

    def __len__(self) -> int:
        return len(self._lines)

    def _report(self, call_id: str, step: Callable[[], Turn]) -> Turn:
        """Run ``step``; a call that ended (or failed) is forgotten."""
        try:
            turn = step()
        except ValueError:
            raise  # refused before the line heard it: the call goes on
        except Exception:
            self._forget(call_id)
            raise
        if turn.ended:
            self._forget(call_id)
        return turn

    def _forget(self, call_id: str) -> None:
        with self._lock:
            line = self._lines.pop(call_id, None)
        if line is not None:
            line.live.close()


def turn_json(turn: Turn) -> dict[str, Any]:
    """A turn as the page reads it."""
    question = turn.question
    asks = None if question is None else {
        "describe": question.describe(), "speech": question.speech,
        "num_digits": question.num_digits, "finish_on_key": question.finish_on_key,
        "timeout": question.timeout, "recording": isinstance(question, RecordSpec),
        "field": question.field if isinstance(question, PayFieldSpec) else ""}
    return {"heard": [{"text": heard.text, "language": heard.language,
                       "prompts": list(heard.prompt_ids)} for heard in turn.heard],
            "lines": list(turn.lines), "question": asks, "ended": turn.ended,
            "outcome": turn.outcome, "hangup_by": turn.hangup_by, "error": turn.error}


def _trusted_hosts(host: str) -> list[str] | None:
    """The Host names to answer to: loopback's, when listening on loopback."""
    if host in LOOPBACK_NAMES:
        return list(LOOPBACK_NAMES)
    return None  # listening elsewhere on purpose: the operator named the address


def _fail(status: int, message: str) -> Response:
    response = jsonify(error=message)
    response.status_code = status
    return response


_EXTENSION = "ivr_phone"


@dataclass(frozen=True)
class _Phone:
    switchboard: Switchboard
    line: str  # which line the calls reach, as the page says


def phone_app(switchboard: Switchboard, *, line: str, host: str = "127.0.0.1") -> Flask:
    """The page and its JSON API over ``switchboard``; ``line`` says which line it calls."""
    app = Flask(__name__, template_folder=str(PAGE), static_folder=str(PAGE),
                static_url_path="/static")
    app.config["TRUSTED_HOSTS"] = _trusted_hosts(host)
    app.extensions[_EXTENSION] = _Phone(switchboard, line)
    app.after_request(_protect)
    app.register_error_handler(Exception, _failed)
    app.add_url_rule("/", view_func=_page, methods=["GET"])
    app.add_url_rule("/api/calls", view_func=_new_call, methods=["POST"])
    app.add_url_rule("/api/calls/<call_id>", view_func=_act, methods=["POST"])
    return app


def _phone() -> _Phone:
    phone: _Phone = current_app.extensions[_EXTENSION]
    return phone


def _protect(response: Response) -> Response:
    """The page's script and style are its own; nothing is cached or framed."""
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response


def _page() -> str:
    return render_template("index.html", line=_phone().line, default_from=DEFAULT_FROM)


def _new_call() -> Response:
    """Place a call from the number the page names."""
    number = str(_json().get("from") or DEFAULT_FROM)
    if to_e164(number) is None:
        return _fail(400, f"not a telephone number: {number!r}")
    try:
        call_id, turn = _phone().switchboard.place(from_number=number)
    except PhoneBusy as busy:
        return _fail(503, str(busy))
    except TimeoutError as slow:
        return _fail(504, str(slow))
    return jsonify(call=call_id, turn=turn_json(turn))


def _act(call_id: str) -> Response:
    """The caller's next action on a call: press, say, silence or hang up."""
    body = _json()
    value = str(body.get("keys") or body.get("words") or "")
    try:
        turn = _phone().switchboard.act(call_id, str(body.get("action", "")), value)
    except KeyError:
        return _fail(404, "no such call: it has ended, or was hung up when left idle")
    except ValueError as refused:
        return _fail(400, str(refused))
    except TimeoutError as slow:
        return _fail(504, str(slow))
    except RuntimeError as ended:  # it ended (or went silent) before this action
        return _fail(409, str(ended))
    return jsonify(turn=turn_json(turn))


def _failed(error: Exception) -> Response:
    """Every error as JSON the page shows; an unexpected one is logged in full."""
    if isinstance(error, HTTPException):
        return _fail(error.code or 500, error.description or error.name)
    log.exception("ivr phone: the call failed")
    return _fail(500, f"the call failed: {type(error).__name__}: {error}")


def _json() -> dict[str, Any]:
    """The request's JSON object. Only JSON is taken: a form another site posts is refused
    (a cross-site script cannot send JSON here without a CORS pre-flight, never granted)."""
    if not request.is_json:
        abort(415, "send JSON (Content-Type: application/json)")
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(400, "send a JSON object")
    return body
