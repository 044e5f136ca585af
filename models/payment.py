"""Payments taken on the line (and earlier payments loaded for history)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.account import Account
from models.base import Base, UTCDateTime, utcnow

APPROVED = "approved"
DECLINED = "declined"


class Payment(Base):
    """One charge attempt. Only the card's brand and last four digits are kept."""

    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        CheckConstraint("status IN ('approved', 'declined')", name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    call_sid: Mapped[str | None] = mapped_column(String(64), index=True)
    # One key per charge attempt; the gateway gets the same key, so a replay never charges twice.
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    amount_cents: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    decline_code: Mapped[str | None] = mapped_column(String(40))
    confirmation_number: Mapped[str | None] = mapped_column(String(12), unique=True)
    method: Mapped[str] = mapped_column(String(16), default="card")
    card_brand: Mapped[str | None] = mapped_column(String(20))
    card_last4: Mapped[str | None] = mapped_column(String(4))
    gateway_reference: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)

    account: Mapped[Account] = relationship()
