"""The sandbox gateway's own record of what it charged: what a real gateway keeps on its side.

It lets the offline sandbox answer a replayed idempotency key with its first result, and
lets reconciliation look a charge up by key, across workers and machines, like Stripe does.
Only the sandbox gateway reads or writes it; nothing here is the line's own bookkeeping.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, utcnow


class SandboxCharge(Base):
    """One charge or debit the sandbox carried out, keyed by the idempotency key it came with."""

    __tablename__ = "sandbox_charges"

    idempotency_key: Mapped[str] = mapped_column(String(128), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))  # "card" | "bank"
    token: Mapped[str] = mapped_column(String(200))
    amount_cents: Mapped[int] = mapped_column(Integer)
    approved: Mapped[bool] = mapped_column(Boolean)
    pending: Mapped[bool] = mapped_column(Boolean, default=False)
    decline_reason: Mapped[str | None] = mapped_column(String(40))
    reference: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
