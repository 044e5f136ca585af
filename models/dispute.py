"""Dispute cases: a caller questioned a charge by recording a message about it."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, utcnow

OPEN = "open"
CLOSED = "closed"


class Dispute(Base):
    """One case: the account, the call, and the message recorded about the charge.

    ``case_number`` is random (the caller is given it, so it must not reveal how many cases
    there are or let one be guessed from another). The recording's SID comes with Twilio's
    first report of it; its URL and length are filled (and corrected, once silence is
    trimmed) by Twilio's recording status callback, which also sets ``recording_status``
    (``completed``, ``absent`` or ``failed``). ``texted_at``: when the case number was queued
    to be texted (never, when there was no number to text).
    """

    __tablename__ = "disputes"
    CASE_NUMBER_LENGTH: ClassVar[int] = 8
    URL_LENGTH: ClassVar[int] = 500

    id: Mapped[int] = mapped_column(primary_key=True)
    case_number: Mapped[str] = mapped_column(String(CASE_NUMBER_LENGTH), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    call_sid: Mapped[str] = mapped_column(String(64), index=True)
    recording_sid: Mapped[str] = mapped_column(String(64), unique=True)
    recording_url: Mapped[str | None] = mapped_column(String(URL_LENGTH))
    recording_duration: Mapped[int | None] = mapped_column(Integer)  # seconds
    recording_status: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(8), default=OPEN, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    texted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
