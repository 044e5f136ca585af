"""Per-call state, so any worker can answer the next webhook of a call."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, utcnow


class CallSession(Base):
    """One phone call, keyed by Twilio's CallSid.

    ``flow_state`` is the flow's serialised state: never a card number, security
    code or PIN. ``turn`` counts answered webhooks; ``last_response`` is the
    TwiML of the latest one, replayed when the platform redelivers a request.
    """

    __tablename__ = "call_sessions"
    # Calls not ended, by when they were last heard of: housekeeping's abandoned calls (the
    # ended ones, nearly all of them, are not in it).
    __table_args__ = (Index("ix_call_sessions_open_updated_at", "updated_at",
                            sqlite_where=text("ended_at IS NULL"),
                            postgresql_where=text("ended_at IS NULL")),)
    # Caller and called IDs may be SIP URIs ("sip:alice@example.com;transport=tls"), not
    # only E.164 numbers; a status callback's CallStatus is cut to what the column holds.
    CALLER_ID_LENGTH: ClassVar[int] = 255
    CALL_STATUS_LENGTH: ClassVar[int] = 20

    call_sid: Mapped[str] = mapped_column(String(64), primary_key=True)
    from_number: Mapped[str | None] = mapped_column(String(CALLER_ID_LENGTH))
    to_number: Mapped[str | None] = mapped_column(String(CALLER_ID_LENGTH))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    state: Mapped[str] = mapped_column(String(40))
    flow_state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    turn: Mapped[int] = mapped_column(Integer, default=0)
    last_response: Mapped[str | None] = mapped_column(Text)
    call_status: Mapped[str | None] = mapped_column(String(CALL_STATUS_LENGTH))
    duration_seconds: Mapped[int | None] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
