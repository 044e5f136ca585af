"""The accounts CSV an import reads: its columns, each field's check, and its rows as a stream.

:func:`check_rows` reads every row once and raises :class:`ImportRowError` for the first
bad one (naming its line and field); :func:`read_rows` reads the same CSV again as
:class:`AccountRow` values, trusting what the check found. Both hold one row at a time,
whatever the file's size, except the account numbers already seen (a duplicate is an error).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from flows.speech import languages
from ivr.errors import ImportRowError
from ivr.phones import e164_of_valid, to_e164
from ivr.security.pins import is_valid_pin

REQUIRED_COLUMNS = ("account_number", "name", "phone", "pin", "balance", "due_date")
OPTIONAL_COLUMNS = ("zip", "language")

_ACCOUNT_NUMBER = re.compile(r"[0-9]{4,20}")
_DOLLARS = re.compile(r"\$?([0-9]+)(?:\.([0-9]{1,2}))?")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_ZIP = re.compile(r"[0-9]{5}")
_MAX_NAME = 200
# balance_cents is a 32-bit INTEGER column; refuse what it cannot hold.
_MAX_CENTS = 2**31 - 1


@dataclass(slots=True)
class AccountRow:
    """One account as the file gives it, checked and normalised."""

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
        return f"AccountRow(line={self.line}, account_number={self.account_number!r})"


def parse_cents(text: str) -> int:
    """Parse a dollar amount like ``1204.10`` or ``$5`` into integer cents.

    Raises ValueError for negative amounts, more than two decimal places or
    anything that is not a plain amount; floats are never involved.
    """
    text = text.strip()
    if text.startswith(("-", "$-", "-$")):
        raise ValueError("must not be negative")
    match = _DOLLARS.fullmatch(text)
    if match is None:
        raise ValueError("is not an amount in dollars and cents")
    dollars, fraction = match.groups()
    cents = int(dollars) * 100 + int((fraction or "0").ljust(2, "0"))
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


def check_rows(lines: Iterable[str], on_row: Callable[[int], None] = lambda _: None) -> int:
    """Check every row of an accounts CSV; how many accounts it holds.

    Raises ImportRowError for the first bad row (or header), naming its line and field, and
    for an account number that appears twice. ``on_row`` is told each row's number (1, 2, ...).
    """
    seen: dict[str, int] = {}  # a million 8-digit numbers: about 120 MB
    count = 0
    for row in _rows(lines, _checking_fields()):
        first = seen.setdefault(row.account_number, row.line)
        if first != row.line:
            message = f'"{row.account_number}" already appears on line {first}'
            raise ImportRowError(row.line, message, "account_number")
        count += 1
        on_row(count)
    return count


def read_rows(lines: Iterable[str]) -> Iterator[AccountRow]:
    """The rows of a CSV that :func:`check_rows` passed, normalised as it did.

    It does not check them again: a phone number is put in E.164 form without asking
    phonenumbers whether it is valid (the check did, and that is its dearest part).
    """
    return _rows(lines, _READING_FIELDS)


Fields = tuple[tuple[str, Callable[[str], Any]], ...]  # AccountRow's fields, each's parser


def _rows(lines: Iterable[str], fields: Fields) -> Iterator[AccountRow]:
    reader = csv.reader(lines)
    columns = _read_header(reader)
    width = len(columns)
    # Where each field is in a record (-1: an optional column the file does not have).
    places = [(name, parse, columns.index(name) if name in columns else -1)
              for name, parse in fields]
    line = reader.line_num + 1  # where the next record starts
    try:
        for values in reader:
            if len(values) != width or not values[0].strip():  # blank, or wrong: look closer
                if not "".join(values).strip():
                    line = reader.line_num + 1
                    continue
                if len(values) != width:
                    raise ImportRowError(line, f"expected {width} fields, found {len(values)}")
            values.append("")  # what an absent column reads as
            try:
                yield AccountRow(line, *[parse(values[place].strip())
                                         for _, parse, place in places])
            except ValueError:
                raise _field_error(line, values, places) from None
            line = reader.line_num + 1
    except csv.Error as exc:
        raise ImportRowError(line, f"malformed CSV ({exc})") from None


def _field_error(line: int, values: list[str],
                 places: list[tuple[str, Callable[[str], Any], int]]) -> ImportRowError:
    """The error of the first field of a row that its parser refuses."""
    for field, parse, place in places:
        text = values[place].strip()
        try:
            parse(text)
        except ValueError as exc:
            message = str(exc) if field in _NEVER_ECHO else f'"{text}" {exc}'
            return ImportRowError(line, message, field)
    raise AssertionError("no field was refused")  # pragma: no cover


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


def _checked_phone(text: str) -> str | None:
    return e164_of_valid(text) if text else None


def _pin(text: str) -> str:
    if not is_valid_pin(text):  # ASCII digits only (flows.keys.is_digits)
        raise ValueError("must be exactly 4 digits")
    return text


def _zip(text: str) -> str | None:
    if text and not _ZIP.fullmatch(text):
        raise ValueError("is not a 5-digit ZIP code")
    return text or None


def _language(text: str, catalogs: frozenset[str]) -> str | None:
    if text and text not in catalogs:
        raise ValueError(f"is not a language with a prompt catalog "
                         f"({', '.join(sorted(catalogs))})")
    return text or None


def _same(text: str) -> str:
    return text


def _or_none(text: str) -> str | None:
    return text or None


def _checking_fields() -> Fields:
    """Each field's check, in AccountRow's order."""
    catalogs = languages()  # a folder listing: once per import, not once per row
    return (("account_number", _account_number), ("name", _name), ("phone", _phone),
            ("pin", _pin), ("balance", parse_balance), ("due_date", parse_iso_date),
            ("zip", _zip), ("language", lambda text: _language(text, catalogs)))


# Reading rows already checked: only what turns a field into its value.
_READING_FIELDS: Fields = (
    ("account_number", _same), ("name", _same), ("phone", _checked_phone), ("pin", _same),
    ("balance", parse_balance), ("due_date", date.fromisoformat), ("zip", _or_none),
    ("language", _or_none))


# Error messages end up in terminals and logs: never echo a PIN (nor a huge name).
_NEVER_ECHO = frozenset({"pin", "name"})
