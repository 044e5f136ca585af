"""The card a caller is keying, kept encrypted in its own table until it is authorised.

PCI DSS lets sensitive authentication data (the security code) and the card number be kept
*before* authorisation when they are encrypted with strong cryptography (req. 3.3.2, 3.5).
So a keyed card lives only here: one ``card_entries`` row per call, AES-256-GCM under the key
of ``IVR_CARD_DATA_KEY``, never in the call's state, a log line or saved TwiML. A keyed bank
account waits here the same way (NACHA requires account numbers unreadable when stored).

- The call SID is the associated data: a row copied to another call does not decrypt.
- Every write draws a fresh 12-byte nonce (never reused under one key, as GCM requires).
- A row that does not decrypt (the key was rotated, the row altered or moved) is deleted and
  read as absent: the caller keys the card again, nothing else is lost.
- :func:`sweep` deletes rows 15 minutes after they were first written, however often they
  were rewritten since; every server worker runs it (:mod:`ivr.ops.housekeeping`).

This sits in ``ivr.security`` rather than ``ivr.payments``: it is data protection, with no
money in it, and this lowest ``ivr`` layer lets the payments, ports and web layers all use it.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import delete as sql_delete
from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from models import CardEntry, utcnow

# Each database's INSERT that can update the row it collides with instead (see :func:`put`).
_UPSERTS: dict[str, Callable[[type[CardEntry]], postgresql.Insert | sqlite.Insert]] = {
    "postgresql": postgresql.insert, "sqlite": sqlite.insert}

log = logging.getLogger(__name__)

KEY_BYTES = 32  # AES-256
NONCE_BYTES = 12  # GCM's standard nonce; random is safe far beyond this store's writes
MAX_AGE = timedelta(minutes=15)


@dataclass(frozen=True, repr=False)
class CardDetails:
    """A keyed card: number, expiry as MMYY, security code and billing ZIP, all as keyed.

    A card part-way through keying has the later fields empty. Its repr names the fields
    but never their values, so a stray log line or a traceback's locals cannot leak a card.
    """

    number: str
    expiry_mmyy: str = ""
    security_code: str = ""
    postal_code: str = ""

    def __repr__(self) -> str:
        return "CardDetails(number=***, expiry_mmyy=***, security_code=***, postal_code=***)"

    __str__ = __repr__

    @property
    def complete(self) -> bool:
        """Every field keyed: the card can be charged."""
        return all((self.number, self.expiry_mmyy, self.security_code, self.postal_code))


@dataclass(frozen=True, repr=False)
class BankDetails:
    """A keyed bank account: ABA routing number, account number, ``checking``/``savings``.

    ``holder_name`` is the bill account's name, which gateways send as the name on the
    account; it is filled in when the debit is sent, never keyed.
    """

    routing: str
    account_number: str
    account_type: str
    holder_name: str = ""

    def __repr__(self) -> str:
        return f"BankDetails(routing=***, account_number=***, account_type={self.account_type})"

    __str__ = __repr__


Keyed = CardDetails | BankDetails


def _cipher(key: bytes) -> AESGCM:
    """AES-256-GCM under ``key``; a key of any other length is a programming error."""
    if len(key) != KEY_BYTES:
        raise ValueError(f"the card data key must be {KEY_BYTES} bytes, got {len(key)}")
    return AESGCM(key)


def _seal(key: bytes, call_sid: str, details: Keyed) -> tuple[bytes, bytes]:
    """(nonce, ciphertext) of ``details``, bound to ``call_sid``."""
    nonce = os.urandom(NONCE_BYTES)
    kind = "bank" if isinstance(details, BankDetails) else "card"
    plaintext = json.dumps({kind: asdict(details)}, separators=(",", ":")).encode("utf-8")
    return nonce, _cipher(key).encrypt(nonce, plaintext, call_sid.encode("utf-8"))


def _open(cipher: AESGCM, entry: CardEntry) -> Keyed:
    """The details in ``entry``; raises InvalidTag if it was not sealed for its call SID
    under this key (ValueError or TypeError if its nonce or contents are malformed)."""
    plaintext = cipher.decrypt(entry.nonce, entry.ciphertext, entry.call_sid.encode("utf-8"))
    sealed = json.loads(plaintext)
    if "bank" in sealed:
        return BankDetails(**sealed["bank"])
    return CardDetails(**sealed.get("card", sealed))  # a row written before banks were kept


def put(session: Session, key: bytes, call_sid: str, details: Keyed,
        now: datetime | None = None) -> None:
    """Keep ``details`` for ``call_sid``, replacing what it had (``created_at`` stays).

    One statement, an insert that updates the call's row if it has one (``ON CONFLICT DO
    UPDATE``, on SQLite and PostgreSQL alike): two writers for one call at once never both
    insert, the second replaces what the first wrote.
    """
    now = now or utcnow()
    nonce, ciphertext = _seal(key, call_sid, details)
    # A card changed (or started again) is no payment's yet.
    values = {"nonce": nonce, "ciphertext": ciphertext, "updated_at": now, "payment_key": None}
    insert = _UPSERTS[session.get_bind().dialect.name](CardEntry)
    session.execute(insert.values(call_sid=call_sid, created_at=now, **values)
                    .on_conflict_do_update(index_elements=[CardEntry.call_sid], set_=values))


def get(session: Session, key: bytes, call_sid: str,
        payment_key: str | None = None) -> Keyed | None:
    """The card or bank account ``call_sid`` is keying (written ahead for ``payment_key``,
    when given); None if there is none or it does not decrypt."""
    cipher = _cipher(key)  # outside the try: a wrong-sized key must raise, not delete cards
    entry = session.scalars(select(CardEntry).where(CardEntry.call_sid == call_sid)
                            .execution_options(populate_existing=True)).one_or_none()
    if entry is None or (payment_key is not None and entry.payment_key != payment_key):
        return None
    try:
        return _open(cipher, entry)
    except (InvalidTag, ValueError, TypeError, AttributeError):
        # Nothing about the card is logged, only that the caller must key it again.
        log.warning("card entry for call %s did not decrypt (key rotated, or the row altered "
                    "or moved); deleted", call_sid)
        delete(session, call_sid)
        return None


def claim(session: Session, call_sid: str, payment_key: str) -> bool:
    """Mark the card ``call_sid`` keyed as the one the payment ``payment_key`` charges;
    False when there is none (it was swept, or never finished)."""
    result = session.execute(
        update(CardEntry).where(CardEntry.call_sid == call_sid)
        .values(payment_key=payment_key).execution_options(synchronize_session=False))
    return bool(getattr(result, "rowcount", 0))


def delete(session: Session, call_sid: str, payment_key: str | None = None) -> bool:
    """Forget the card ``call_sid`` was keying (only if it is ``payment_key``'s, when given);
    True if there was one."""
    query = sql_delete(CardEntry).where(CardEntry.call_sid == call_sid)
    if payment_key is not None:
        query = query.where(CardEntry.payment_key == payment_key)
    result = session.execute(query.execution_options(synchronize_session=False))
    return bool(getattr(result, "rowcount", 0))


def sweep(session: Session, now: datetime | None = None,
          older_than: timedelta = MAX_AGE) -> int:
    """Delete every entry first written more than ``older_than`` ago; how many went."""
    now = now or utcnow()
    result = session.execute(
        sql_delete(CardEntry).where(CardEntry.created_at < now - older_than)
        .execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0))
