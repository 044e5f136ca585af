"""Saved payment methods, AutoPay enrolments and payment arrangements."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, UTCDateTime, utcnow


class SavedPaymentMethod(Base):
    """A card or bank account kept as a gateway token: never the number itself."""

    __tablename__ = "saved_payment_methods"
    __table_args__ = (CheckConstraint("kind IN ('card', 'bank')", name="kind_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    gateway_token: Mapped[str] = mapped_column(String(200))
    brand: Mapped[str | None] = mapped_column(String(20))
    bank_account_type: Mapped[str | None] = mapped_column(String(16))
    last4: Mapped[str] = mapped_column(String(4))
    expiry_mmyy: Mapped[str | None] = mapped_column(String(4))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AutopayEnrollment(Base):
    """An account's AutoPay: charge the balance on the due date with a saved method."""

    __tablename__ = "autopay_enrollments"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), unique=True)
    payment_method_id: Mapped[int] = mapped_column(ForeignKey("saved_payment_methods.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # By bank, a standing authorisation (NACHA TEL): the words said, when and by which key it
    # was agreed. Each AutoPay debit carries a copy; empty for a card.
    authorization_text: Mapped[str | None] = mapped_column(Text)
    authorized_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    authorization_key: Mapped[str | None] = mapped_column(String(1))

    payment_method: Mapped[SavedPaymentMethod] = relationship()


class Arrangement(Base):
    """A past-due balance split into instalments; each instalment is a scheduled payment."""

    __tablename__ = "arrangements"
    __table_args__ = (CheckConstraint("instalments BETWEEN 2 AND 3", name="instalments_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    total_cents: Mapped[int] = mapped_column(Integer)
    instalments: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="active")
    call_sid: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
