"""The card store keeps a keyed card only as AES-256-GCM ciphertext bound to its call SID."""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import insert, select, text, update

from ivr.config import settings_of
from ivr.db import db
from ivr.security import card_store
from ivr.security.card_store import CardDetails, Keyed
from models import CardEntry
from tests.card_helpers import leaks, secrets_of, stored_bytes

CARD = CardDetails(number="4000056655665556", expiry_mmyy="1230", security_code="737",
                   postal_code="30301")
CALL, OTHER_CALL = "CA" + "1" * 32, "CA" + "2" * 32
T0 = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)


def key_of(app: Flask) -> bytes:
    """The card key the app's settings hold (the development one)."""
    return settings_of(app).card_key


def put(app: Flask, call_sid: str = CALL, details: CardDetails = CARD,
        key: bytes | None = None, now: datetime | None = None) -> None:
    """Store ``details`` for ``call_sid`` in a transaction of its own."""
    with db.transaction(app) as session:
        card_store.put(session, key or key_of(app), call_sid, details, now=now)


def get(app: Flask, call_sid: str = CALL, key: bytes | None = None) -> Keyed | None:
    """Read the card for ``call_sid`` in a transaction of its own."""
    with db.transaction(app) as session:
        return card_store.get(session, key or key_of(app), call_sid)


def raw_rows(app: Flask) -> dict[str, dict[str, Any]]:
    """Every card_entries row as the database returns it, by call SID, bypassing the model."""
    with db.transaction(app) as session:
        rows = session.execute(text("SELECT * FROM card_entries")).mappings().all()
    return {row["call_sid"]: dict(row) for row in rows}


def copy_row(app: Flask, call_sid: str, to_call_sid: str) -> None:
    """Copy a stored row, as it is, to another call SID (a bad restore, or an attacker)."""
    with db.transaction(app) as session:
        entry = session.get(CardEntry, call_sid)
        assert entry is not None
        session.execute(insert(CardEntry).values(
            call_sid=to_call_sid, nonce=entry.nonce, ciphertext=entry.ciphertext,
            created_at=entry.created_at, updated_at=entry.updated_at))


def set_column(app: Flask, call_sid: str, **values: Any) -> None:
    """Change a stored row behind the store's back, as an attacker or a bad restore might."""
    with db.transaction(app) as session:
        session.execute(update(CardEntry).where(CardEntry.call_sid == call_sid).values(**values))


def test_a_card_comes_back_as_it_was_keyed(app: Flask) -> None:
    assert get(app) is None
    put(app)
    assert get(app) == CARD
    assert get(app, OTHER_CALL) is None
    with db.transaction(app) as session:
        assert card_store.delete(session, CALL) is True
        assert card_store.delete(session, CALL) is False
    assert get(app) is None and raw_rows(app) == {}


def test_a_second_write_replaces_the_card(app: Flask) -> None:
    other = CardDetails(number="5555555555554444", expiry_mmyy="0629", security_code="1234",
                        postal_code="")
    put(app, now=T0)
    put(app, details=other, now=T0 + timedelta(minutes=1))
    assert get(app) == other
    [row] = raw_rows(app).values()
    assert set(row) == {"call_sid", "nonce", "ciphertext", "created_at", "updated_at",
                        "payment_key"}
    with db.transaction(app) as session:
        entry = session.get(CardEntry, CALL)
        assert entry is not None
        assert (entry.created_at, entry.updated_at) == (T0, T0 + timedelta(minutes=1))


def test_the_stored_row_holds_neither_the_number_nor_its_digits_nor_the_code(
        app: Flask) -> None:
    # The check itself finds a card stored in clear, so its silence below means something.
    plain = json.dumps({"card": asdict(CARD)}, separators=(",", ":")).encode()
    assert len(leaks({"ciphertext": plain}, CARD)) == len(secrets_of(CARD)) >= 3
    put(app)
    [row] = raw_rows(app).values()
    assert leaks(row, CARD) == []
    assert len(stored_bytes(row["nonce"])) == 12
    assert len(stored_bytes(row["ciphertext"])) == len(plain) + 16  # and GCM's tag


def test_the_same_card_written_twice_is_sealed_differently(app: Flask) -> None:
    put(app)
    first = raw_rows(app)[CALL]
    put(app)
    second = raw_rows(app)[CALL]
    assert stored_bytes(first["nonce"]) != stored_bytes(second["nonce"])
    assert stored_bytes(first["ciphertext"]) != stored_bytes(second["ciphertext"])
    assert get(app) == CARD


def test_a_row_copied_to_another_call_does_not_decrypt_and_is_deleted(
        app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    put(app)
    copy_row(app, CALL, OTHER_CALL)
    caplog.set_level(logging.DEBUG)

    assert get(app, OTHER_CALL) is None

    assert set(raw_rows(app)) == {CALL}, "the copy is deleted"
    assert get(app) == CARD, "the original still decrypts for its own call"
    [record] = [r for r in caplog.records if r.name == card_store.__name__]
    assert record.levelno == logging.WARNING and "deleted" in record.getMessage()
    assert leaks({"log": record.getMessage()}, CARD) == []


@pytest.mark.parametrize(("column", "position"), [("ciphertext", 0), ("ciphertext", -1),
                                                  ("ciphertext", 20), ("nonce", 5)])
def test_a_flipped_byte_is_detected(app: Flask, column: str, position: int) -> None:
    put(app)
    data = bytearray(stored_bytes(raw_rows(app)[CALL][column]))
    data[position] ^= 0x01
    set_column(app, CALL, **{column: bytes(data)})

    assert get(app) is None
    assert raw_rows(app) == {}


@pytest.mark.parametrize("damage", [{"nonce": b"short"}, {"ciphertext": b""},
                                    {"ciphertext": b"\x00" * 15}])
def test_a_malformed_row_reads_as_no_card(app: Flask, damage: dict[str, bytes]) -> None:
    put(app)
    set_column(app, CALL, **damage)
    assert get(app) is None
    assert raw_rows(app) == {}


def test_a_new_key_loses_old_entries_without_error(app: Flask) -> None:
    old_key, new_key = os.urandom(32), os.urandom(32)
    put(app, key=old_key)
    put(app, OTHER_CALL, key=old_key)

    assert get(app, key=new_key) is None
    assert set(raw_rows(app)) == {OTHER_CALL}
    put(app, key=new_key)
    assert get(app, key=new_key) == CARD
    assert get(app, OTHER_CALL, key=old_key) == CARD


def test_a_key_of_the_wrong_size_is_refused_and_deletes_nothing(app: Flask) -> None:
    put(app)
    for key in (os.urandom(16), os.urandom(31)):
        with pytest.raises(ValueError, match="must be 32 bytes"):
            get(app, key=key)
        with pytest.raises(ValueError, match="must be 32 bytes"):
            put(app, key=key)
    assert get(app) == CARD


def test_sweep_deletes_only_entries_first_written_over_15_minutes_ago(app: Flask) -> None:
    ages = {"CA" + "a" * 32: 16, "CA" + "b" * 32: 15, "CA" + "c" * 32: 14}
    for call_sid, minutes in ages.items():
        put(app, call_sid, now=T0 - timedelta(minutes=minutes))
    rewritten = "CA" + "d" * 32  # rewritten a minute ago: its age still counts from the first
    put(app, rewritten, now=T0 - timedelta(minutes=20))
    put(app, rewritten, now=T0 - timedelta(minutes=1))

    with db.transaction(app) as session:
        assert card_store.sweep(session, T0) == 2
    assert set(raw_rows(app)) == {"CA" + "b" * 32, "CA" + "c" * 32}
    with db.transaction(app) as session:
        assert card_store.sweep(session, T0, older_than=timedelta(minutes=14, seconds=30)) == 1
        assert session.scalars(select(CardEntry.call_sid)).all() == ["CA" + "c" * 32]


def test_card_details_never_show_their_values() -> None:
    shown = [repr(CARD), str(CARD), f"{CARD}", f"{CARD!r}", repr([CARD]), repr({"c": CARD})]
    for text_form in shown:
        assert "CardDetails(" in text_form
        assert leaks({"shown": text_form}, CARD) == [], text_form
        for value in asdict(CARD).values():
            assert value not in text_form


def test_a_card_claimed_by_a_payment_is_deleted_only_by_its_outcome(app: Flask) -> None:
    put(app)
    with db.transaction(app) as session:
        assert card_store.claim(session, CALL, "CA1-1") is True
        assert card_store.claim(session, OTHER_CALL, "CA2-1") is False  # nothing keyed there
        assert card_store.get(session, key_of(app), CALL, "CA1-2") is None  # not that payment's
        assert card_store.get(session, key_of(app), CALL, "CA1-1") == CARD
        assert card_store.delete(session, CALL, "CA1-2") is False
    put(app)  # the caller keys the card again: it is no payment's until claimed
    with db.transaction(app) as session:
        assert card_store.get(session, key_of(app), CALL, "CA1-1") is None
        assert card_store.delete(session, CALL, "CA1-1") is False
        assert card_store.delete(session, CALL) is True
