"""Refused webhook requests, counted per hour and kind rather than stored one row each."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, utcnow

UNSIGNED = "unsigned"
FORGED = "forged"


class WebhookRefusal(Base):
    """How many requests of one kind were refused (403) in one hour, and the latest origin.

    Unauthenticated traffic only ever increments these counters: at most two rows an hour,
    however many requests come. The first refusal of each kind in an hour is also audited.
    """

    __tablename__ = "webhook_refusals"
    __table_args__ = (
        UniqueConstraint("hour_start", "kind"),
        CheckConstraint("kind IN ('unsigned', 'forged')", name="kind_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    hour_start: Mapped[datetime] = mapped_column(UTCDateTime())  # UTC, on the hour
    kind: Mapped[str] = mapped_column(String(16))
    refusals: Mapped[int] = mapped_column(Integer)
    last_origin: Mapped[str | None] = mapped_column(String(100))  # the latest IP address
    last_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
