"""Payments: taken on the line, scheduled for later, or loaded for history."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.account import Account
from models.base import Base, UTCDateTime, utcnow

APPROVED = "approved"
DECLINED = "declined"
PENDING = "pending"  # bank debit submitted, not yet settled
SCHEDULED = "scheduled"  # to be charged on ``scheduled_for``
PROCESSING = "processing"  # written before the gateway is called: the charge may be in flight
CANCELLED = "cancelled"
RETURNED = "returned"  # bank debit returned by the bank
UNKNOWN = "unknown"  # the gateway's answer was lost: reconcile looks the charge up
FAILED = "failed"  # nothing was taken: the gateway refused the request, or has no such charge
STATUSES = (APPROVED, DECLINED, PENDING, SCHEDULED, PROCESSING, CANCELLED, RETURNED, UNKNOWN,
            FAILED)

CARD = "card"
BANK = "bank"
SAVED_CARD = "saved_card"
SAVED_BANK = "saved_bank"
METHODS = (CARD, BANK, SAVED_CARD, SAVED_BANK, "check", "cash")


# The predicates of the partial indexes below: the queries using them write these statuses into
# their SQL (ivr.db.inline), so that any plan of them may use the index.
OPEN = text(f"status IN ('{SCHEDULED}', '{PROCESSING}', '{UNKNOWN}')")  # may still be charged
UNSETTLED = text(f"status IN ('{PENDING}', '{PROCESSING}', '{UNKNOWN}')")  # outcome to come
SCHEDULED_ONLY = text(f"status = '{SCHEDULED}'")


class Payment(Base):
    """One payment. Only a card's brand and last four, a bank account's type and last four.

    Its status changes only through :mod:`ivr.payments.ledger`, which declares the allowed
    transitions and applies the balance change each one carries.
    """

    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        CheckConstraint("fee_cents >= 0", name="fee_not_negative"),
        CheckConstraint(f"status IN {STATUSES}", name="status_known"),
        CheckConstraint(f"method IN {METHODS}", name="method_known"),
        # One charge at the processor stands for one payment: recorded for two, it would take
        # twice its amount off the balance (and a bank debit's return give it back twice).
        Index("uq_payments_gateway_reference", "gateway_reference", unique=True,
              sqlite_where=text("gateway_reference IS NOT NULL"),
              postgresql_where=text("gateway_reference IS NOT NULL")),
        # What a line of a million accounts and ten million payments looks rows up by (the
        # README's "Indexes"; tests/models/test_explain.py holds every query of a turn or a
        # batch job to a few hundred rows). An account's payments newest first: its history
        # and its declines of the last day.
        Index("ix_payments_account_id_created_at", "account_id", "created_at"),
        # An account's open payments: what those in flight hold, those scheduled (it may have
        # thousands in other statuses). Partial, so that it is small, and no plan made for any
        # statuses (a generic plan) takes it for the history.
        Index("ix_payments_account_id_open", "account_id", "status",
              sqlite_where=OPEN, postgresql_where=OPEN),
        # The batch jobs' queues, each read a batch at a time: payments not yet settled by id
        # (reconcile's in doubt, settlement's pending debits), scheduled ones by due date (the
        # scheduled run). Partial: a few thousand rows each, not ten million.
        Index("ix_payments_unsettled", "status", "id",
              sqlite_where=UNSETTLED, postgresql_where=UNSETTLED),
        Index("ix_payments_due", "scheduled_for", "id",
              sqlite_where=SCHEDULED_ONLY, postgresql_where=SCHEDULED_ONLY),
        # Settled debits still to be asked about late returns, by when they are next due.
        Index("ix_payments_returns_recheck_at", "returns_recheck_at", "id",
              sqlite_where=text("returns_recheck_at IS NOT NULL"),
              postgresql_where=text("returns_recheck_at IS NOT NULL")),
        # A new method a call paid with, to keep on file: a token only while the call lasts.
        Index("ix_payments_keep_token", "keep_token",
              sqlite_where=text("keep_token IS NOT NULL"),
              postgresql_where=text("keep_token IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    call_sid: Mapped[str | None] = mapped_column(String(64), index=True)
    # One key per charge attempt; the gateway gets the same key, so a replay never charges twice.
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    amount_cents: Mapped[int] = mapped_column(Integer)
    fee_cents: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16))
    decline_code: Mapped[str | None] = mapped_column(String(40))
    confirmation_number: Mapped[str | None] = mapped_column(String(12), unique=True)
    method: Mapped[str] = mapped_column(String(16), default=CARD)
    card_brand: Mapped[str | None] = mapped_column(String(20))
    card_last4: Mapped[str | None] = mapped_column(String(4))
    bank_account_type: Mapped[str | None] = mapped_column(String(16))
    bank_last4: Mapped[str | None] = mapped_column(String(4))
    payment_method_id: Mapped[int | None] = mapped_column(ForeignKey("saved_payment_methods.id"))
    arrangement_id: Mapped[int | None] = mapped_column(ForeignKey("arrangements.id"), index=True)
    scheduled_for: Mapped[date | None] = mapped_column(Date)
    # NACHA telephone-initiated entries: the authorisation read to the caller (the words said,
    # ending with the key to press), when they agreed, and the key they pressed to agree.
    authorization_text: Mapped[str | None] = mapped_column(Text)
    authorized_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    authorization_key: Mapped[str | None] = mapped_column(String(1))
    gateway_reference: Mapped[str | None] = mapped_column(String(100))
    # Only while the charge may be in flight (processing, unknown): the token it charges.
    gateway_token: Mapped[str | None] = mapped_column(String(200))
    # A new card or bank account paid with on a call: the gateway's token to keep it on file
    # if the caller asks. Dropped when the call ends (a method on file needs its consent).
    keep_token: Mapped[str | None] = mapped_column(String(200))
    keep_expiry: Mapped[str | None] = mapped_column(String(4))  # MMYY, for a card kept so
    # When it became processing (written ahead of the gateway call): the age reconcile goes by.
    processing_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # How many times its charge was about to be sent: a refusal proves nothing was taken only
    # when no other request with the same key may have gone out.
    send_attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Charged by Twilio's <Pay> through its Pay Connector: no key of ours to look it up by.
    twilio_pay: Mapped[bool] = mapped_column(Boolean, default=False)
    # Where the result is texted (E.164); for scheduled payments, the number that scheduled it.
    notify_number: Mapped[str | None] = mapped_column(String(16))
    # When a bank debit was recorded settled: for the age-bounded look for late returns.
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When settlement last asked the gateway whether a settled debit came back (late returns
    # are looked for once a day, not on every run).
    returns_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When settlement asks that next (a day after it last did); None once it never will again
    # (the debit came back, or its window for late returns has passed). Only the debits still
    # watched are in its index, however many settled over the years.
    returns_recheck_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    account: Mapped[Account] = relationship()
