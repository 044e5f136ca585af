"""Outbox of text messages, written in the same transaction as what they announce."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, utcnow

QUEUED = "queued"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"
# What Twilio's status callback last said of a sent message (``delivery_status``).
DELIVERY_SENT = "sent"
DELIVERED = "delivered"
UNDELIVERED = "undelivered"
DELIVERY_FAILED = "failed"


class SmsMessage(Base):
    """A text waiting to be sent, sent, or given up on after repeated failures.

    ``status`` is the outbox's (queued, sending, sent, failed); once sent, Twilio's delivery
    reports go to ``delivery_status``, and a permanent delivery error makes it ``failed``.
    """

    __tablename__ = "sms_outbox"
    # The next message due in a status (queued to send, or sending past its lease), without
    # reading the millions already sent.
    __table_args__ = (Index("ix_sms_outbox_status_next_attempt_at", "status", "next_attempt_at",
                            "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    to_number: Mapped[str] = mapped_column(String(16))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    error_code: Mapped[str | None] = mapped_column(String(16))  # the provider's, e.g. 21211
    # Twilio's MessageSid; its status callbacks find the message by it.
    provider_sid: Mapped[str | None] = mapped_column(String(64), index=True)
    # Set only by the status callback: sent, delivered, undelivered or failed.
    delivery_status: Mapped[str | None] = mapped_column(String(16))
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
