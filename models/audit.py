"""The audit trail (PCI DSS 10.2): who did what, when, with what outcome, from where."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, utcnow


class AuditEvent(Base):
    """One security-relevant event. Never a card number, security code or PIN."""

    __tablename__ = "audit_events"
    # A caller ID's recent failures of one kind (the throttle on guessing, counted on every
    # PIN and account number keyed): found without reading its other events, which for
    # "caller:withheld" are every withheld caller's.
    __table_args__ = (Index("ix_audit_events_actor_action_outcome_at", "actor", "action",
                            "outcome", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(64))  # "caller:+14155550100", "operator", ...
    action: Mapped[str] = mapped_column(String(40), index=True)
    outcome: Mapped[str] = mapped_column(String(40))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    origin: Mapped[str | None] = mapped_column(String(100))  # call SID, IP address, host
    detail: Mapped[str | None] = mapped_column(Text)
