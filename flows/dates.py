"""Dates keyed on a phone keypad as MMDD."""

from __future__ import annotations

from datetime import date

from flows.keys import is_digits


def parse_keyed_date(keys: str, today: date) -> date | None:
    """``1205`` -> the next December 5th on or after ``today``; None if not a real date."""
    if len(keys) != 4 or not is_digits(keys):
        return None
    month, day = int(keys[:2]), int(keys[2:])
    for year in (today.year, today.year + 1):
        try:
            candidate = date(year, month, day)
        except ValueError:  # e.g. February 29th outside a leap year
            continue
        if candidate >= today:
            return candidate
    return None


def expiry_has_passed(mmyy: str, today: date) -> bool:
    """A card is good through the last day of its expiry month."""
    return (2000 + int(mmyy[2:]), int(mmyy[:2])) < (today.year, today.month)
