"""Billing accounts callers look up by phone number or account number."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, utcnow

DEFAULT_LANGUAGE = "en-US"  # accounts from before languages, and any created without one


class Account(Base):
    """A biller's customer account. Balance is integer cents; the PIN is only a hash.

    The balance is what is owed; below zero it is a credit (money received beyond the bill,
    never clamped away). Only :mod:`ivr.payments.ledger` changes it.
    """

    __tablename__ = "accounts"
    # The daily run finds the accounts whose AutoPay is due by due date, a batch at a time.
    __table_args__ = (Index("ix_accounts_due_date_id", "due_date", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_number: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    phone_e164: Mapped[str | None] = mapped_column(String(16), index=True)
    pin_hash: Mapped[str] = mapped_column(String(200))
    balance_cents: Mapped[int] = mapped_column(Integer)
    due_date: Mapped[date] = mapped_column(Date)
    billing_zip: Mapped[str | None] = mapped_column(String(10))
    # The language of its calls and texts (a prompt catalog's name): imported, or the caller's
    # choice on the line.
    language: Mapped[str] = mapped_column(String(16), default=DEFAULT_LANGUAGE,
                                          server_default=DEFAULT_LANGUAGE)
    # Failed PINs counted within a window that starts at the first failure (lockout policy).
    failed_pin_attempts: Mapped[int] = mapped_column(Integer, default=0)
    pin_failure_window_start: Mapped[datetime | None] = mapped_column(UTCDateTime())
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
