"""Every Twilio webhook is signed: requests without a valid ``X-Twilio-Signature`` get a 403.

Blueprints register :func:`require_twilio_signature` as their ``before_request`` hook, so
the voice webhooks and the SMS status callback refuse, count and audit alike.
"""

from __future__ import annotations

import logging

from flask import abort, current_app, request
from twilio.request_validator import RequestValidator

from ivr.config import settings_of
from ivr.db import db
from ivr.security.audit import record
from ivr.security.refusals import count_refusal

log = logging.getLogger(__name__)


def require_twilio_signature() -> None:
    """Refuse (403) any request not signed with our Twilio auth token."""
    signature = request.headers.get("X-Twilio-Signature", "")
    validator = RequestValidator(settings_of(current_app).twilio_auth_token)
    if not signature or not validator.validate(request.url, request.form.to_dict(), signature):
        _audit_refusal("unsigned" if not signature else "forged")
        abort(403)


def _audit_refusal(kind: str) -> None:
    """Count a refused request; audit only the hour's first of its kind.

    Each refusal is one increment of ``webhook_refusals``, never a row of its own, so
    unauthenticated traffic cannot grow the database. The refusal stands even if the
    database cannot record it.
    """
    log.warning("rejected %s request to %s from %s", kind, request.path, request.remote_addr)
    try:
        with db.transaction() as session:
            if count_refusal(session, kind, request.remote_addr):
                record(session, "unknown", "webhook_signature", f"refused_{kind}",
                       origin=request.remote_addr, detail=request.path)
    except Exception:
        log.exception("could not record a refused request")
