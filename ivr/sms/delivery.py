"""Twilio's delivery reports: what became of each text after Twilio accepted it.

Twilio posts a status callback for each change (queued, sending, sent, then delivered,
undelivered or failed), with no promise of order. The outbox row is found by its
``provider_sid`` (Twilio's MessageSid) and keeps the furthest state reported, so a late
``sent`` never hides a ``delivered``. An undelivered or failed text whose ErrorCode is in
``ivr.sms.twilio.DELIVERY_FAILURES`` is marked failed, with the reason in plain words.
"""

from __future__ import annotations

import logging
from enum import Enum

from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.sms.twilio import DELIVERY_FAILURES
from models.sms import (
    DELIVERED,
    DELIVERY_FAILED,
    DELIVERY_SENT,
    FAILED,
    SENT,
    UNDELIVERED,
    SmsMessage,
)

log = logging.getLogger(__name__)

# How far along each recorded status is; "queued", "sending", "accepted" and the rest are
# steps before these that tell an operator nothing, so they are not recorded.
_PROGRESS = {DELIVERY_SENT: 1, DELIVERED: 2, UNDELIVERED: 2, DELIVERY_FAILED: 2}
_MAX_CODE = 16  # SmsMessage.error_code's length


class Report(Enum):
    """What a status callback did to the outbox."""

    RECORDED = "recorded"
    IGNORED = "ignored"  # a status not recorded, or one behind what is already known
    UNKNOWN = "unknown"  # no message has that MessageSid


def record_delivery(session: Session, message_sid: str, status: str,
                    error_code: str = "") -> Report:
    """Record ``status`` (Twilio's MessageStatus) and ``error_code`` on the message sent as
    ``message_sid``, in the caller's transaction."""
    if status not in _PROGRESS:
        return Report.IGNORED
    found = select(SmsMessage).where(SmsMessage.provider_sid == message_sid[:64])
    message = session.scalars(found.with_for_update()).first()
    if message is None:
        return Report.UNKNOWN
    if _PROGRESS[status] <= _PROGRESS.get(message.delivery_status or "", 0):
        return Report.IGNORED  # out of order or repeated: keep the furthest state
    message.delivery_status = status
    if status in (UNDELIVERED, DELIVERY_FAILED):
        _not_delivered(message, error_code.strip()[:_MAX_CODE])
    return Report.RECORDED


def _not_delivered(message: SmsMessage, code: str) -> None:
    """Keep Twilio's code and why; fail the message when the code is a final one."""
    message.error_code = code or None
    reason = DELIVERY_FAILURES.get(int(code)) if code.isdigit() else None
    if reason is not None and message.status == SENT:
        message.status = FAILED
        message.last_error = f"{code}: {reason}; not delivered"
    else:
        label = f"Twilio error {code}" if code else "no error code"
        message.last_error = f"{message.delivery_status} ({label}); not delivered"
    log.warning("SMS %s was not delivered: %s", message.id, message.last_error)
