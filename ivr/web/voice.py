"""Twilio voice webhooks: ``/voice`` answers, ``/voice/turn`` continues, ``/voice/status`` closes.

Every request must carry a valid ``X-Twilio-Signature`` (:mod:`ivr.web.signatures`); every
answer is TwiML, and an unexpected error becomes a spoken apology rather than an HTTP 500.
"""

from __future__ import annotations

import logging
import math

from flask import Blueprint, Flask, Response, current_app, request

from flows.keys import NOT_A_KEY, is_keypad
from flows.state import Event
from ivr.config import settings_of
from ivr.web.calls import (
    call_language,
    charge_held_payment,
    close_call,
    forget_keyed,
    take_turn,
    voice_settings,
)
from ivr.web.pay_form import capture_report, is_pay_result, pay_tokens
from ivr.web.recordings import is_record_result, recording_report
from ivr.web.signatures import require_twilio_signature
from ivr.web.twiml import apology_twiml, empty_twiml, goodbye_twiml
from models import CallSession

log = logging.getLogger(__name__)

# <Dial>'s DialCallStatus when no agent took the call (answered ones are "completed").
UNANSWERED = frozenset({"no-answer", "busy", "failed"})

bp = Blueprint("voice", __name__, url_prefix="/voice")
bp.before_request(require_twilio_signature)


def _form() -> dict[str, str]:
    """The webhook's parameters, with caller and called IDs cut to what a call row keeps."""
    form = request.form.to_dict()
    for name in ("From", "To"):
        if name in form:
            form[name] = form[name][:CallSession.CALLER_ID_LENGTH]
    return form


def _twiml(body: str) -> Response:
    return Response(body, mimetype="text/xml")


def _answer(turn: int, event: Event | None, holding: bool = False) -> Response:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if not request.form.get("CallSid"):
        # Signed, but no call to answer for: a misconfigured caller, not a fault of ours.
        log.warning("voice webhook without CallSid (turn %d): apologising", turn)
        return _twiml(apology_twiml(voice_settings(app)))
    try:
        return _twiml(take_turn(app, _form(), turn, event, holding))
    except Exception:
        # Never let Twilio play "an application error has occurred": apologise instead, in
        # the call's language when it can still be read.
        call_sid = request.form.get("CallSid")
        log.exception("call %s turn %d failed", call_sid, turn)
        _forget_keyed(app, call_sid)
        return _twiml(apology_twiml(voice_settings(app, call_language(app, call_sid))))


def _forget_keyed(app: Flask, call_sid: str | None) -> None:
    """The apology ends the payment: what was keyed for it goes (if the database lets us)."""
    if not call_sid:
        return
    try:
        forget_keyed(app, call_sid)
    except Exception:
        log.exception("call %s: could not forget what was keyed; the sweep will", call_sid)


@bp.post("")
def incoming() -> Response:
    """A new call (or a redelivery of its first request)."""
    return _answer(0, None)


@bp.post("/turn")
def turn() -> Response:
    """The caller's keys (or words) for turn ``t``; ``silence=1`` when none came; <Pay>'s
    result, or <Record>'s (``silence=1`` after a <Record>: it recorded nothing).

    ``hold=1``: the caller is holding while the payment just authorised is charged.
    """
    number = request.args.get("t", default=-1, type=int)
    if request.args.get("hold") == "1":
        return _answer(number, Event(digits=None), holding=True)
    if request.args.get("silence") == "1":
        return _answer(number, Event(digits=None))
    if is_pay_result(request.form):
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        tokens = pay_tokens(settings_of(app).payment_gateway)
        return _answer(number, Event(digits=None,
                                     captured=capture_report(request.form, tokens)))
    if is_record_result(request.form):
        return _answer(number, Event(digits=None, recording=recording_report(request.form)))
    digits = request.form.get("Digits", "")
    speech = request.form.get("SpeechResult", "")
    if speech.strip() and not digits:
        # What the caller said goes to the flow for this turn only: never logged, never
        # saved (a caller may say a card number at any question).
        return _answer(number, Event(digits=None, speech=speech,
                                     confidence=_confidence(request.form.get("Confidence"))))
    return _answer(number, Event(digits=_keys(digits)))


def _confidence(raw: str | None) -> float | None:
    """Twilio's confidence in the words, 0 to 1; None when it sent none. Anything else (not
    a number, or outside 0 to 1) counts as no confidence: the words are asked for again,
    never acted on."""
    if not raw:
        return None
    try:
        value = float(raw) if len(raw) <= 32 else math.nan
    except ValueError:
        return 0.0
    return value if 0.0 <= value <= 1.0 else 0.0


def _keys(digits: str) -> str:
    """The keys as the flow sees them: anything no keypad can send becomes invalid input."""
    if is_keypad(digits):
        return digits
    # Not logged as keyed: whatever was sent might still be a caller's secret.
    log.warning("call %s: Digits holds characters that are not telephone keys",
                request.form.get("CallSid"))
    return NOT_A_KEY


@bp.post("/agent-result")
def agent_result() -> Response:
    """<Dial>'s action, once the agent's leg is over: ``DialCallStatus`` ``no-answer``,
    ``busy`` or ``failed`` take the call on (the flow offers a callback) as turn ``t``; an
    agent who answered has had the caller, who is said goodbye (``canceled``: already gone)."""
    number = request.args.get("t", default=-1, type=int)
    if request.form.get("DialCallStatus") in UNANSWERED:
        return _answer(number, Event(digits=None))
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    return _twiml(goodbye_twiml(voice_settings(app)))


@bp.post("/pay-status")
def pay_status() -> Response:
    """<Pay>'s progress: which field Twilio is asking for, and why it asks again.

    Logged for operators (the field names and Twilio's error type only: its masked card
    digits are not); the answer is ignored by Twilio, so it is always an empty document.
    """
    form = request.form
    log.info("call %s: <Pay> asking for %s (attempt %s)%s", form.get("CallSid"),
             form.get("For") or form.get("Capture") or "the payment",
             form.get("Attempt") or "1",
             f" after {form['ErrorType']}" if form.get("ErrorType") else "")
    return _twiml(empty_twiml())


@bp.post("/status")
def status() -> Response:
    """Status callback: record how the call ended."""
    call_sid = request.form.get("CallSid")
    if call_sid:
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        # Closed first, so no turn can start a payment after this; then a payment the caller
        # authorised before hanging up (while holding) is charged, and texted.
        for step in (lambda: close_call(app, request.form),
                     lambda: charge_held_payment(app, call_sid)):
            try:
                step()
            except Exception:
                log.exception("status callback for %s failed", call_sid)
    return _twiml(empty_twiml())
