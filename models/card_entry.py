"""Card details being keyed, encrypted, for the few minutes before they are authorised.

PCI DSS allows a card's number and security code to be kept until authorisation when they
are unreadable (req. 3.3.2, 3.5). Each row holds one call's card as AES-256-GCM ciphertext
(:mod:`ivr.security.card_store` writes and reads it): nothing about the card is in clear, not
even its last four digits or brand, which the call's own state keeps where it needs them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, utcnow


class CardEntry(Base):
    """The card one call is keying, encrypted with the call SID as associated data.

    No foreign key to ``call_sessions``: the entry is deleted on its own schedule (at the
    authorisation outcome, the call's end, or 15 minutes after ``created_at``), and must never
    stop a call's row from being written or kept.
    """

    __tablename__ = "card_entries"

    call_sid: Mapped[str] = mapped_column(String(64), primary_key=True)
    nonce: Mapped[bytes] = mapped_column(LargeBinary(12))  # fresh for every write
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)  # includes GCM's 16-byte tag
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The payment written ahead with this card: only its outcome deletes it (the call may be
    # keying another card, for another payment, when an earlier one is settled).
    payment_key: Mapped[str | None] = mapped_column(String(128))
