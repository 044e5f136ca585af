"""Requests left by callers for an agent to call them back (when none could take the call)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, utcnow

OPEN = "open"  # waiting for an agent to call back
DONE = "done"  # an operator marked it called back (ivr callbacks done)
STATUSES = (OPEN, DONE)


class CallbackRequest(Base):
    """One caller's request to be called back, at most one per call.

    ``account_id`` is the account the call was about, if one was chosen; ``verified`` says
    whether the caller passed its PIN check (an agent calling back an unverified caller
    verifies them first). ``phone`` is the E.164 number to call.
    """

    __tablename__ = "callback_requests"
    __table_args__ = (CheckConstraint(f"status IN {STATUSES}", name="status_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_sid: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    verified: Mapped[bool] = mapped_column(Boolean, default=False)
    phone: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=OPEN, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
