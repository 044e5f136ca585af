"""Amounts keyed on a phone keypad: dollars, star, two digits of cents."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from flows.errors import AmountError
from flows.keys import is_digits


def parse_keyed_amount(keys: str) -> int:
    """Turn ``10*50`` (ten dollars fifty) or ``10`` (ten dollars) into integer cents.

    Cents must be two digits so ``10*5`` is refused rather than guessed.
    """
    dollars, star, cents = keys.partition("*")
    if not is_digits(dollars) or len(dollars) > 7:
        raise AmountError("amount_invalid")
    if star and (len(cents) != 2 or not is_digits(cents)):
        raise AmountError("amount_cents_two_digits")
    return int(dollars) * 100 + (int(cents) if star else 0)


def cents_to_decimal(cents: int) -> Decimal:
    """Integer cents as a dollars Decimal with two places (for exports and gateways)."""
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


def decimal_to_cents(amount: Decimal) -> int:
    """A dollars Decimal with at most two places as integer cents."""
    cents = amount * 100
    if cents != cents.to_integral_value():
        raise ValueError(f"{amount} has fractions of a cent")
    return int(cents)


def convenience_fee(amount_cents: int, flat_cents: int, percent: Decimal) -> int:
    """The fee on a payment: a flat part plus a percentage, rounded half up to the cent."""
    share = (Decimal(amount_cents) * percent / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return flat_cents + int(share)


def split_evenly(total_cents: int, parts: int) -> list[int]:
    """Split an amount into ``parts`` instalments; the first carries the odd cents."""
    base, remainder = divmod(total_cents, parts)
    return [base + remainder] + [base] * (parts - 1)
