"""``POST /sms/status``: Twilio's delivery reports for the texts the outbox sent.

Each text goes out with this URL as its ``StatusCallback`` (``IVR_PUBLIC_URL`` +
``/sms/status``). Requests are signed like the voice webhooks. Like every webhook of the line,
it never answers with a 500: once signed, the answer is an empty 200, even for a message this
line does not know or when the report could not be recorded (that is logged, with the
message's sid only; the message keeps its last known status).
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, request

from ivr.db import db
from ivr.sms.delivery import Report, record_delivery
from ivr.web.signatures import require_twilio_signature

log = logging.getLogger(__name__)

bp = Blueprint("sms", __name__, url_prefix="/sms")
bp.before_request(require_twilio_signature)


@bp.post("/status")
def status() -> Response:
    """Record MessageStatus and ErrorCode on the message Twilio sent as MessageSid."""
    form = request.form
    message_sid = form.get("MessageSid") or form.get("SmsSid") or ""
    if not message_sid:
        return Response(status=200)
    try:
        report = db.run(lambda session: record_delivery(
            session, message_sid, form.get("MessageStatus", ""), form.get("ErrorCode", "")))
    except Exception:
        log.exception("delivery report for message %s could not be recorded", message_sid)
        return Response(status=200)
    if report is Report.UNKNOWN:
        log.info("delivery report for unknown message %s ignored", message_sid)
    return Response(status=200)
