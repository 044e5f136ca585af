"""Card checks done before any charge: Luhn, brand, expiry, security code, ZIP."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from stdnum import luhn

from flows.dates import expiry_has_passed
from flows.keys import is_digits


class CardPart(StrEnum):
    """The parts of a keyed card, in the order they are asked for."""

    NUMBER = "number"
    EXPIRY = "expiry_mmyy"
    SECURITY_CODE = "security_code"
    POSTAL_CODE = "postal_code"


class Brand(StrEnum):
    """Card brands the line accepts."""

    VISA = "Visa"
    MASTERCARD = "Mastercard"
    AMEX = "American Express"
    DISCOVER = "Discover"


class CardProblem(StrEnum):
    """Why keyed card details were refused; each has a prompt saying so."""

    INVALID_NUMBER = "card_number_invalid"
    UNSUPPORTED_BRAND = "card_brand_unsupported"
    INVALID_EXPIRY = "card_expiry_invalid"
    EXPIRED = "card_expired"
    CODE_LENGTH = "card_code_length"
    INVALID_ZIP = "card_zip_invalid"


# (brand, lengths, prefix ranges as inclusive (low, high) over the first len(low) digits)
_BRAND_RULES: tuple[tuple[Brand, tuple[int, ...], tuple[tuple[str, str], ...]], ...] = (
    (Brand.AMEX, (15,), (("34", "34"), ("37", "37"))),
    (Brand.VISA, (13, 16, 19), (("4", "4"),)),
    (Brand.MASTERCARD, (16,), (("51", "55"), ("2221", "2720"))),
    (Brand.DISCOVER, (16, 17, 18, 19),
     (("6011", "6011"), ("644", "649"), ("65", "65"), ("622126", "622925"))),
)


def card_brand(number: str) -> Brand | None:
    """The brand of a card number by prefix and length, or None if not one we accept."""
    for brand, lengths, ranges in _BRAND_RULES:
        if len(number) not in lengths:
            continue
        for low, high in ranges:
            if low <= number[: len(low)] <= high:
                return brand
    return None


def check_card_number(number: str) -> tuple[Brand | None, CardProblem | None]:
    """Validate a keyed card number: digits, Luhn checksum, then a supported brand."""
    if not is_digits(number) or not 12 <= len(number) <= 19 or not luhn.is_valid(number):
        return None, CardProblem.INVALID_NUMBER
    brand = card_brand(number)
    if brand is None:
        return None, CardProblem.UNSUPPORTED_BRAND
    return brand, None


def check_expiry(mmyy: str, today: date) -> CardProblem | None:
    """A card is good through the last day of its expiry month."""
    if len(mmyy) != 4 or not is_digits(mmyy) or not 1 <= int(mmyy[:2]) <= 12:
        return CardProblem.INVALID_EXPIRY
    if expiry_has_passed(mmyy, today):
        return CardProblem.EXPIRED
    return None


def security_code_length(brand: Brand) -> int:
    """American Express prints a 4-digit code on the front; the others 3 on the back."""
    return 4 if brand is Brand.AMEX else 3


def check_security_code(code: str, brand: Brand) -> CardProblem | None:
    """The code must be all digits and the brand's length."""
    if not is_digits(code) or len(code) != security_code_length(brand):
        return CardProblem.CODE_LENGTH
    return None


def check_zip(zip_code: str) -> CardProblem | None:
    """A US billing ZIP code is five digits."""
    if len(zip_code) != 5 or not is_digits(zip_code):
        return CardProblem.INVALID_ZIP
    return None
