"""Agents: the whisper an agent hears, and the call's context an agent desktop fetches.

``POST /voice/agent/whisper?call=CA...`` is Twilio's request for the TwiML said to the agent
before the call is connected (``<Number url>``): signed like every webhook (403 otherwise),
and always TwiML. ``GET /agent/context/CA...?expires=...&signature=...`` answers the call's
context as JSON to whoever holds a link the line gave out with the transfer: 403 for a link
not signed for that call and expiry, or expired; 404 for a call the line does not know.
The <Dial> action (an agent who did not answer) is a voice turn: ``ivr.web.voice``.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from flask import Blueprint, Flask, Response, current_app, jsonify, request, url_for
from sqlalchemy.orm import Session

from flows.speech import say
from flows.state import CallState
from ivr.config import settings_of
from ivr.db import db
from ivr.ports.handover import call_facts, facts_of
from ivr.security.context_links import LinkCheck, check, signature
from ivr.web.agent_twiml import (
    Handoff,
    context_document,
    parameters,
    whisper_prompts,
    whisper_twiml,
)
from ivr.web.signatures import require_twilio_signature

log = logging.getLogger(__name__)

voice_bp = Blueprint("agent_voice", __name__, url_prefix="/voice/agent")
voice_bp.before_request(require_twilio_signature)
context_bp = Blueprint("agent_context", __name__, url_prefix="/agent")


def handoff(app: Flask, session: Session, state: CallState, turn: int) -> Handoff:
    """How the transfer decided at ``turn`` rings the agent, with the call's facts now."""
    settings = settings_of(app)
    facts = facts_of(session, state)
    return Handoff(
        target=settings.agent_number,
        action_url=url_for("voice.agent_result", t=turn),
        whisper_url=url_for("agent_voice.whisper", call=state.call_sid, _external=True),
        ring_seconds=settings.agent_ring_seconds,
        facts=parameters(facts, context_link(app, state.call_sid)))


def context_link(app: Flask, call_sid: str) -> str:
    """A signed link to the call's context, valid for ``IVR_AGENT_CONTEXT_MINUTES`` from now
    (by the settings' clock), on ``IVR_PUBLIC_URL`` when set, else the host Twilio called."""
    settings = settings_of(app)
    expires = int((settings.now() + timedelta(minutes=settings.agent_context_minutes))
                  .timestamp())
    signed = signature(settings.agent_context_key.encode(), call_sid, expires)
    if settings.public_url:
        path = url_for("agent_context.context", call_sid=call_sid, expires=expires,
                       signature=signed)
        return settings.public_url + path
    return url_for("agent_context.context", call_sid=call_sid, expires=expires,
                   signature=signed, _external=True)


@voice_bp.post("/whisper")
def whisper() -> Response:
    """The summary said to the agent; when the call cannot be read, only "connecting"."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    settings = settings_of(app)
    call_sid = request.args.get("call") or request.form.get("ParentCallSid") or ""
    try:
        facts = db.run(lambda session: call_facts(session, call_sid), app)
        prompts = whisper_prompts(facts) if facts else [say("whisper.connecting")]
    except Exception:
        log.exception("whisper for call %s failed: the agent hears no summary", call_sid)
        prompts = [say("whisper.connecting")]
    return Response(whisper_twiml(prompts, settings.voice, settings.language),
                    mimetype="text/xml")


@context_bp.get("/context/<call_sid>")
def context(call_sid: str) -> tuple[Response, int]:
    """The call's context, for the holder of a link the line signed (see module docstring)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    settings = settings_of(app)
    expires, signed = request.args.get("expires", ""), request.args.get("signature", "")
    verdict = check(settings.agent_context_key.encode(), call_sid, expires, signed,
                    settings.now().timestamp())
    if verdict is not LinkCheck.VALID:
        log.warning("refused a %s context link for call %s from %s", verdict, call_sid,
                    request.remote_addr)
        return _json({"error": "link expired" if verdict is LinkCheck.EXPIRED
                      else "link not valid"}, 403)
    try:
        facts = db.run(lambda session: call_facts(session, call_sid), app)
    except Exception:
        log.exception("context of call %s could not be read", call_sid)
        return _json({"error": "try again"}, 503)
    if facts is None:
        return _json({"error": "no such call"}, 404)
    expiry = datetime.fromtimestamp(int(expires), UTC)
    return _json(context_document(facts, expiry), 200)


def _json(body: dict[str, object], status: int) -> tuple[Response, int]:
    """JSON that no cache keeps; readable from an agent desktop on another origin (the link,
    not a cookie, is the credential)."""
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response, status
