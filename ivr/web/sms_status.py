"""``POST /sms/status``: Twilio's delivery reports for the texts the outbox sent.

Each text goes out with this URL as its ``StatusCallback`` (``IVR_PUBLIC_URL`` +
``/sms/status``). Requests are signed like the voice webhooks. The answer is always an empty
200 once signed, even for a message this line does not know, so Twilio does not retry it;
a database error is a 500, which Twilio may retry.
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
    if message_sid:
        with db.transaction() as session:
            report = record_delivery(session, message_sid, form.get("MessageStatus", ""),
                                     form.get("ErrorCode", ""))
        if report is Report.UNKNOWN:
            log.info("delivery report for unknown message %s ignored", message_sid)
    return Response(status=200)
