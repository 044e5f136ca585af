"""Import billing accounts from a CSV file: validate every row, then upsert.

One bad row aborts the whole import. Rows are all validated before anything is
written, and the caller's transaction is the guarantee that a failure while
writing leaves the database untouched too.

The optional ``language`` column names the prompt catalog of the account's calls and
texts (``en-US``, ``es-US``). Left empty (or absent), a new account takes the line's
language and an existing one keeps its own: a caller's choice on the line is not undone
by the next import of the billing file.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, TextIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from flows.money import decimal_to_cents
from flows.speech import DEFAULT_LANGUAGE, languages
from ivr.errors import ImportRowError
from ivr.payments import ledger
from ivr.phones import to_e164
from ivr.security.pins import PinHasher, is_valid_pin
from models import Account

REQUIRED_COLUMNS = ("account_number", "name", "phone", "pin", "balance", "due_date")
OPTIONAL_COLUMNS = ("zip", "language")

_ACCOUNT_NUMBER = re.compile(r"[0-9]{4,20}")
_DOLLARS = re.compile(r"\$?[0-9]+(\.[0-9]{1,2})?")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_ZIP = re.compile(r"[0-9]{5}")
_MAX_NAME = 200
# balance_cents is a 32-bit INTEGER column; refuse what it cannot hold.
_MAX_CENTS = 2**31 - 1
# Keep IN (...) lists well under SQLite's bound-parameter limit.
_LOOKUP_CHUNK = 500


@dataclass(frozen=True)
class ImportSummary:
    """How many accounts an import created and how many it updated."""

    created: int
    updated: int

    @property
    def total(self) -> int:
        """Accounts in the file."""
        return self.created + self.updated


@dataclass(frozen=True)
class _Row:
    line: int
    account_number: str
    name: str
    phone_e164: str | None
    pin: str
    balance_cents: int
    due_date: date
    billing_zip: str | None
    language: str | None  # None: the line's for a new account, unchanged for one imported

    def __repr__(self) -> str:
        # The dataclass repr would print the PIN in any traceback or debug log.
        return f"_Row(line={self.line}, account_number={self.account_number!r})"


def parse_cents(text: str) -> int:
    """Parse a dollar amount like ``1204.10`` or ``$5`` into integer cents.

    Raises ValueError for negative amounts, more than two decimal places or
    anything that is not a plain amount; floats are never involved.
    """
    text = text.strip()
    if text.startswith(("-", "$-", "-$")):
        raise ValueError("must not be negative")
    if not _DOLLARS.fullmatch(text):
        raise ValueError("is not an amount in dollars and cents")
    try:
        cents = decimal_to_cents(Decimal(text.lstrip("$")))
    except InvalidOperation:
        raise ValueError("is not an amount in dollars and cents") from None
    if cents > _MAX_CENTS:
        raise ValueError("is too large")
    return cents


def parse_balance(text: str) -> int:
    """A balance in dollars: like :func:`parse_cents`, and a credit is negative (``-12.50``)."""
    text = text.strip()
    if text.startswith("-"):
        return -parse_cents(text[1:])
    return parse_cents(text)


def parse_iso_date(text: str) -> date:
    """Parse exactly ``YYYY-MM-DD`` (Python also accepts other ISO forms; we don't)."""
    if not _ISO_DATE.fullmatch(text):
        raise ValueError("is not a date like 2026-12-31")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError("is not a real calendar date") from None


def import_accounts(session: Session, lines: Iterable[str] | TextIO, pins: PinHasher,
                    default_language: str = DEFAULT_LANGUAGE) -> ImportSummary:
    """Validate every row of an accounts CSV, then create or update each account.

    Raises ImportRowError for the first invalid row, before writing anything. PINs are hashed
    by ``pins`` (the line's, ``IVR_PIN_PEPPER``). A new account without a language takes
    ``default_language`` (the line's, ``IVR_LANGUAGE``).
    """
    rows = list(_parse(lines))
    existing = _existing_accounts(session, [row.account_number for row in rows])
    created = 0
    for row in rows:
        account = existing.get(row.account_number)
        if account is None:
            account = Account(account_number=row.account_number, failed_pin_attempts=0,
                              language=default_language)
            session.add(account)
            created += 1
        _apply(account, row, pins)
    session.flush()
    return ImportSummary(created=created, updated=len(rows) - created)


def _apply(account: Account, row: _Row, pins: PinHasher) -> None:
    account.name = row.name
    account.phone_e164 = row.phone_e164
    account.pin_hash = pins.hash(row.pin)
    ledger.bill(account, row.balance_cents)
    account.due_date = row.due_date
    account.billing_zip = row.billing_zip
    if row.language is not None:
        account.language = row.language


def _existing_accounts(session: Session, numbers: list[str]) -> dict[str, Account]:
    found: dict[str, Account] = {}
    for start in range(0, len(numbers), _LOOKUP_CHUNK):
        chunk = numbers[start:start + _LOOKUP_CHUNK]
        query = select(Account).where(Account.account_number.in_(chunk))
        found.update((a.account_number, a) for a in session.scalars(query))
    return found


def _parse(lines: Iterable[str] | TextIO) -> Iterator[_Row]:
    reader = csv.reader(lines)
    columns = _read_header(reader)
    seen: dict[str, int] = {}
    while True:
        line = reader.line_num + 1  # where the next record starts
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise ImportRowError(line, f"malformed CSV ({exc})") from None
        if not any(value.strip() for value in values):
            continue  # blank line
        if len(values) != len(columns):
            raise ImportRowError(line, f"expected {len(columns)} fields, found {len(values)}")
        row = _parse_row(line, dict(zip(columns, (v.strip() for v in values), strict=True)))
        if row.account_number in seen:
            message = f'"{row.account_number}" already appears on line {seen[row.account_number]}'
            raise ImportRowError(line, message, "account_number")
        seen[row.account_number] = line
        yield row


def _read_header(reader: Iterator[list[str]]) -> list[str]:
    try:
        header = next(reader)
    except StopIteration:
        raise ImportRowError(1, "the file is empty; expected a header row") from None
    except csv.Error as exc:
        raise ImportRowError(1, f"malformed CSV ({exc})") from None
    columns = [name.strip().lstrip("\ufeff").lower() for name in header]
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    unknown = [name for name in columns if name not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    duplicated = sorted({name for name in columns if columns.count(name) > 1})
    problems = []
    if missing:
        problems.append("missing column(s) " + ", ".join(missing))
    if unknown:
        problems.append("unknown column(s) " + ", ".join(repr(name) for name in unknown))
    if duplicated:
        problems.append("repeated column(s) " + ", ".join(duplicated))
    if problems:
        expected = ",".join(REQUIRED_COLUMNS) + "".join(f"[,{name}]" for name in OPTIONAL_COLUMNS)
        raise ImportRowError(1, "; ".join(problems) + f" (expected {expected})")
    return columns


def _account_number(text: str) -> str:
    if not _ACCOUNT_NUMBER.fullmatch(text):
        raise ValueError("is not an account number (4 to 20 digits)")
    return text


def _name(text: str) -> str:
    if not text or len(text) > _MAX_NAME:
        raise ValueError(f"must be 1 to {_MAX_NAME} characters")
    return text


def _phone(text: str) -> str | None:
    if not text:
        return None
    e164 = to_e164(text)
    if e164 is None:
        raise ValueError("is not a valid phone number")
    return e164


def _pin(text: str) -> str:
    if not is_valid_pin(text):  # ASCII digits only (flows.keys.is_digits)
        raise ValueError("must be exactly 4 digits")
    return text


def _zip(text: str) -> str | None:
    if text and not _ZIP.fullmatch(text):
        raise ValueError("is not a 5-digit ZIP code")
    return text or None


def _language(text: str) -> str | None:
    if text and text not in languages():
        raise ValueError(f"is not a language with a prompt catalog "
                         f"({', '.join(sorted(languages()))})")
    return text or None


_FIELD_PARSERS: dict[str, Callable[[str], object]] = {
    "account_number": _account_number,
    "name": _name,
    "phone": _phone,
    "pin": _pin,
    "balance": parse_balance,
    "due_date": parse_iso_date,
    "zip": _zip,
    "language": _language,
}
# Error messages end up in terminals and logs: never echo a PIN (nor a huge name).
_NEVER_ECHO = frozenset({"pin", "name"})


def _parse_row(line: int, fields: dict[str, str]) -> _Row:
    values: dict[str, Any] = {}
    for field, parse in _FIELD_PARSERS.items():
        text = fields.get(field, "")
        try:
            values[field] = parse(text)
        except ValueError as exc:
            message = str(exc) if field in _NEVER_ECHO else f'"{text}" {exc}'
            raise ImportRowError(line, message, field) from None
    return _Row(line=line, account_number=values["account_number"], name=values["name"],
                phone_e164=values["phone"], pin=values["pin"], balance_cents=values["balance"],
                due_date=values["due_date"], billing_zip=values["zip"],
                language=values["language"])
