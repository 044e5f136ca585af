"""Demo test values standing in for a caller's secrets in a written call script.

The call log keeps a PIN, a card, a bank number, an unknown account number or a callback
number only as its kind and length (``<card number, 16 digits>``, see :mod:`flows.logged`),
and ``ivr call --record`` never writes what a caller keyed at such a question. A script
made from either presses instead a demo test value of the same kind and length that the
line answers the same way: accepted when the caller's was (the demo account's own PIN, an
approved test card, the sandbox's routing number), refused for the same reason when it was
not (``fault``: the error prompt the line said after it, e.g. ``error.card_expired``).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from functools import cache

from stdnum import luhn

from ivr.ops.demo import ACCOUNTS_FILE, open_demo
from ivr.phones import to_e164

# A caller ID no demo account has: the line asks who is calling.
UNKNOWN_CALLER = "+12025550123"
CALLBACK_NUMBER = "2125550123"  # a number an agent can call back; no demo account's
ROUTING_NUMBER = "110000000"  # the sandbox's test routing number (README)
BAD_ROUTING_NUMBER = "123456789"  # nine digits, wrong checksum
BANK_ACCOUNT = "000123456789"  # settles in the sandbox (README)
ZIP_CODE = "94105"
# The sandbox's (and Stripe's) test cards for each way a charge is declined (README); the
# call log does not keep why a card was declined, but the line said it: its prompt id.
DECLINED_CARDS = {
    "decline.card_declined": "4000000000000002",
    "decline.insufficient_funds": "4000000000009995",
    "decline.expired_card": "4000000000000069",
    "decline.incorrect_cvc": "4000000000000127",
    "decline.processing_error": "4000000000000119",
}
# An approved test card of each length a brand the line takes has.
APPROVED_CARDS = {13: "4222222222222", 15: "378282246310005", 16: "4242424242424242"}
CARDS_BY_BRAND = {"Visa": "4242424242424242", "Mastercard": "5555555555554444",
                  "American Express": "378282246310005", "Discover": "6011111111111117"}
# The errors of a number keyed with a star in it (a star alone cancels or repeats).
NOT_DIGITS = frozenset({"error.account_number_digits"})


@dataclass(frozen=True)
class DemoAccount:
    """One demo account (``ivr/ops/demo_data/demo_accounts.csv``), as a caller knows it."""

    number: str
    phone: str | None  # E.164
    pin: str
    language: str


@cache
def demo_accounts() -> tuple[DemoAccount, ...]:
    """The demo accounts, in the file's order (the first is the simulator's default caller)."""
    with open_demo(ACCOUNTS_FILE) as rows:
        return tuple(DemoAccount(row["account_number"], to_e164(row["phone"]) or None,
                                 row["pin"], row["language"]) for row in csv.DictReader(rows))


def demo_account(number: str | None) -> DemoAccount | None:
    """The demo account with this number, if there is one."""
    return next((account for account in demo_accounts() if account.number == number), None)


def caller_account(phone: str | None) -> DemoAccount | None:
    """The demo account whose caller ID is ``phone``, when exactly one has it."""
    found = [account for account in demo_accounts() if phone and account.phone == phone]
    return found[0] if len(found) == 1 else None


def demo_caller(language: str | None) -> DemoAccount:
    """A demo account the line finds by caller ID, speaking ``language`` when one does."""
    callers = [account for account in demo_accounts()
               if account.phone and caller_account(account.phone) is not None]
    return next((account for account in callers if account.language == language), callers[0])


def not_digits(length: int) -> str:
    """Keys that are not a number: a star among sevens (``77*77``)."""
    half = max(length - 1, 0) // 2
    return "7" * half + "*" + "7" * max(length - 1 - half, 0)


def luhn_number(prefix: str, length: int) -> str:
    """A number of ``length`` digits starting with ``prefix`` whose Luhn check holds."""
    body = (prefix + "0" * length)[:length - 1]
    return body + luhn.calc_check_digit(body)


def expiry(today: date, *, years: int) -> str:
    """MMYY: December, ``years`` after ``today``'s year (negative: January, before it)."""
    month = "12" if years >= 0 else "01"
    return f"{month}{(today.year + years) % 100:02d}"


class StandIns:
    """Chooses the demo value for each secret of one call, in the order they were keyed.

    It remembers what later entries depend on: the account (whose PIN a right PIN is), the
    card chosen (whose brand the security code's length follows) and the bank account
    (keyed again to match). ``decline`` is the prompt id of the decline the next card met.
    """

    def __init__(self, today: date, account: DemoAccount | None) -> None:
        self.today = today
        self.account = account or demo_accounts()[0]
        self.bank_account = BANK_ACCOUNT
        self.decline: str | None = None

    def value(self, kind: str, length: int, fault: str | None, accepted: bool) -> str:
        """Digits for a secret of ``kind`` and ``length``: ``accepted`` by the line, or
        refused, saying ``fault`` (an error prompt id, when it said one)."""
        if fault in NOT_DIGITS:
            return not_digits(length)
        if kind == "account number":
            return self.account.number if accepted else "7" * length
        if kind == "PIN":
            return self.pin(length, fault, accepted)
        if kind == "card number":
            return self.card_number(length, fault, accepted)
        if kind == "card expiry":
            return self.card_expiry(length, fault, accepted)
        if kind == "bank account number":
            return self.bank_number(length, fault, accepted)
        return _simple(kind, length, fault, accepted)

    def pin(self, length: int, fault: str | None, accepted: bool) -> str:
        """The account's PIN; a wrong one; or one that is no PIN (its length, or a star)."""
        if accepted:
            return self.account.pin
        if fault == "error.pin_format":  # the wrong length, or a star among the digits
            return not_digits(length)
        return "0000" if length == 4 else "1" * length

    def account_number(self, number: str) -> str:
        """A known account number as keyed when it is a demo account's, else the first demo
        account's; either becomes the call's account (whose PIN is the right one)."""
        self.account = demo_account(number) or demo_accounts()[0]
        return self.account.number

    def card_number(self, length: int, fault: str | None, accepted: bool) -> str:
        """An approved (or, before a decline, the declining) test card; else one refused
        as the caller's was: not a card number, or a brand the line does not take."""
        if accepted:
            declined = DECLINED_CARDS.get(self.decline or "")
            card = declined if declined and length == 16 else APPROVED_CARDS.get(length)
            self.decline = None
            return card or APPROVED_CARDS[16]
        if fault == "error.card_brand_unsupported" and 12 <= length <= 19:
            return luhn_number("1", length)
        valid = luhn_number("4", length)
        return valid[:-1] + str((int(valid[-1]) + 1) % 10)

    def card_expiry(self, length: int, fault: str | None, accepted: bool) -> str:
        """A date three years ahead; or past, or no date, as the caller's was refused."""
        if accepted:
            return expiry(self.today, years=3)
        if fault == "error.card_expired":
            return expiry(self.today, years=-1)
        return "13" + expiry(self.today, years=3)[2:] if length == 4 else "1" * length

    def bank_number(self, length: int, fault: str | None, accepted: bool) -> str:
        """The sandbox's settling account, at the length keyed; again, the same one (or,
        when they did not match, another)."""
        if fault == "error.bank_account_mismatch":
            number = self.bank_account
            return number[:-1] + str((int(number[-1]) + 1) % 10)
        if not accepted:
            return "1" * length
        if 4 <= length <= 17 and length != len(self.bank_account):
            self.bank_account = ("0" * 17 + BANK_ACCOUNT.lstrip("0"))[-length:]
        return self.bank_account

    def card_for_brand(self, brand: str) -> str:
        """The approved test card of ``brand`` (a Visa when the brand is not known)."""
        declined = DECLINED_CARDS.get(self.decline or "")
        self.decline = None
        return declined or CARDS_BY_BRAND.get(brand, APPROVED_CARDS[16])


def _simple(kind: str, length: int, fault: str | None, accepted: bool) -> str:
    """The stand-ins that depend on nothing else keyed on the call."""
    if kind == "security code":
        return "1234"[:length] if accepted and length in (3, 4) else "1" * length
    if kind == "ZIP code":
        return ZIP_CODE if accepted else "1" * length
    if kind == "routing number":
        if accepted:
            return ROUTING_NUMBER
        return BAD_ROUTING_NUMBER if fault == "error.routing_invalid" else "1" * length
    if kind == "phone number":
        return CALLBACK_NUMBER if accepted else "1" * length
    raise ValueError(f"no demo value for {kind!r}")
