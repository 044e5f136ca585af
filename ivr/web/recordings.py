"""Twilio's ``<Record>``: its report to the action URL, and ``/voice/recording-status``.

The action request (the call's next turn, ``ivr.web.voice``) is read into the flow's
:class:`RecordingReport` here. Twilio's recording status callback is signed like every
webhook (403 otherwise); once signed it is answered 200 (an empty TwiML document) when it
was about a recording of ours, and 204 when about no call or recording of ours (nothing is
stored then). Like
every webhook of the line it never answers 500: a failure is logged, with the SIDs only.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping

from flask import Blueprint, Response, request

from flows.recording import RecordingReport
from ivr.db import db
from ivr.ports.disputes import RecordingStatus, record_status
from ivr.web.signatures import require_twilio_signature
from ivr.web.twiml import empty_twiml

log = logging.getLogger(__name__)

bp = Blueprint("recordings", __name__, url_prefix="/voice")
bp.before_request(require_twilio_signature)

# Twilio's recording SIDs: "RE" and 32 hexadecimal digits.
_RECORDING_SID = re.compile(r"RE[0-9a-fA-F]{32}")
_LONGEST = 24 * 3600  # no recording is longer than the longest call Twilio allows
HUNG_UP = "hangup"  # ``Digits`` when the caller hung up while recording


def is_record_result(form: Mapping[str, str]) -> bool:
    """Whether a request to a call's turn is ``<Record>``'s report (a Gather's never is)."""
    return "RecordingSid" in form or "RecordingUrl" in form


def recording_report(form: Mapping[str, str]) -> RecordingReport:
    """``<Record>``'s report to its action URL, as the flow reads it; a SID that is not
    Twilio's is no recording at all (the flow treats it as no message)."""
    sid = form.get("RecordingSid", "")
    if not _RECORDING_SID.fullmatch(sid):
        log.warning("call %s: <Record> reported no valid RecordingSid", form.get("CallSid"))
        sid = ""
    return RecordingReport(sid=sid, url=_url(form.get("RecordingUrl", "")),
                           duration_seconds=_seconds(form.get("RecordingDuration")) or 0,
                           hung_up=form.get("Digits") == HUNG_UP)


def _url(raw: str) -> str:
    """Where Twilio keeps the recording: an https URL, else nothing."""
    return raw if raw.startswith("https://") and not any(c.isspace() for c in raw) else ""


def _seconds(raw: str | None) -> int | None:
    """A whole number of seconds, 0 to a day; None when it is not one."""
    text = (raw or "").strip()
    if not text or len(text) > len(str(_LONGEST)) or not (text.isascii() and text.isdigit()):
        return None  # a length no recording has (and int() refuses past 4,300 digits)
    return min(int(text), _LONGEST)


@bp.post("/recording-status")
def status() -> Response:
    """Record the status, URL and trimmed length of a recording of ours."""
    form = request.form
    call_sid, recording_sid = form.get("CallSid", ""), form.get("RecordingSid", "")
    if not call_sid or not _RECORDING_SID.fullmatch(recording_sid):
        return Response(status=204)
    report = RecordingStatus(call_sid=call_sid, recording_sid=recording_sid,
                             status=form.get("RecordingStatus", ""),
                             url=_url(form.get("RecordingUrl", "")),
                             duration_seconds=_seconds(form.get("RecordingDuration")))
    try:
        ours = db.run(lambda session: record_status(session, report))
    except Exception:
        log.exception("recording status of %s (call %s) could not be recorded", recording_sid,
                      call_sid)
        return _empty()
    if not ours:
        log.info("recording status for unknown recording %s (call %s) ignored", recording_sid,
                 call_sid)
        return Response(status=204)
    return _empty()


def _empty() -> Response:
    return Response(empty_twiml(), mimetype="text/xml")
