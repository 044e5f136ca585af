"""Finding card data where it must not be: in a stored row, a whole database, or log lines.

Secrets are the card number, every run of ``run`` of its digits (four in the card store's own
rows; six across the whole database, where shorter runs turn up by chance in ids and
amounts), and the security code; for a bank account, its number and its runs of digits.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from flask import Flask
from sqlalchemy import select

from ivr.db import db
from ivr.security.card_store import BankDetails, CardDetails
from models import Base, CardEntry


def stored_bytes(value: object) -> bytes:
    """A column's value as bytes, however the driver hands it back (bytes, memoryview, text)."""
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    return str(value).encode()


def secrets_of(details: CardDetails | BankDetails, run: int = 4) -> set[str]:
    """What must never be readable: the number, runs of its digits, the security code."""
    if isinstance(details, BankDetails):
        number, extra = details.account_number, set()
    else:
        number, extra = details.number, {details.security_code}
    return {number, *extra} | {number[i:i + run] for i in range(len(number) - run + 1)}


def leaks(row: dict[str, Any], details: CardDetails | BankDetails,
          run: int = 4) -> list[str]:
    """Which of :func:`secrets_of` ``details`` are readable in ``row``, by column."""
    found = []
    for column, value in row.items():
        data = stored_bytes(value)
        found += [f"{column}: {secret}" for secret in secrets_of(details, run)
                  if secret.encode() in data]
    return found


def database_leaks(app: Flask, details: CardDetails | BankDetails) -> list[str]:
    """Every readable secret of ``details`` in any column of any table, as table.column."""
    found = []
    with db.transaction(app) as session:
        for table in Base.metadata.sorted_tables:
            for row in session.execute(select(table)).mappings():
                # Only columns that can hold text: digits turn up by chance in timestamps.
                found += [f"{table.name}.{column}: {secret}" for column, value in row.items()
                          if isinstance(value, str | bytes | dict | list)
                          for secret in _found(str(value), details)]
    return found


def text_leaks(texts: Iterable[str], details: CardDetails | BankDetails) -> list[str]:
    """Which secrets of ``details`` appear in any of ``texts`` (log lines, TwiML)."""
    return sorted({secret for text in texts for secret in _found(text, details)})


def _found(text: str, details: CardDetails | BankDetails) -> list[str]:
    """The secrets of ``details`` in ``text``: runs of six digits anywhere, and a security
    code standing alone (three digits turn up inside any timestamp)."""
    return [secret for secret in secrets_of(details, 6)
            if re.search(rf"(?<!\d){secret}(?!\d)" if len(secret) < 6 else secret, text)]


def card_entries(app: Flask) -> int:
    """How many cards or bank accounts the card store holds."""
    with db.transaction(app) as session:
        return len(session.scalars(select(CardEntry)).all())
