"""The payment a call is building: how much, when, what for, and with what.

A :class:`PaymentDraft` exists once the caller has chosen an amount (or an arrangement)
and is dropped when the payment is placed or cancelled. Its method is a finished
:class:`~flows.ports.PaymentSource`, or a new card or bank account still being keyed
(:class:`CardEntry`, :class:`BankEntry`). Every part is frozen: a step replaces the draft
rather than changing it, so a state loaded from the database never changes the data it
came from. ``to_dict``/``from_dict`` give the JSON saved with the call.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from flows.cards import Brand
from flows.errors import DraftError
from flows.money import split_evenly
from flows.ports import PaymentSource


class Purpose(StrEnum):
    """What the payment method being chosen is for."""

    NOW = "now"
    SCHEDULE = "schedule"
    ARRANGEMENT = "arrangement"


@dataclass(frozen=True)
class CardEntry:
    """A new card being keyed: its brand and last four; the card itself (number, expiry,
    security code, ZIP) waits in the card store."""

    brand: Brand
    last4: str

    def finished(self) -> PaymentSource:
        """The card as a payment source, once its billing ZIP code is keyed."""
        return PaymentSource(kind="card", label=str(self.brand), last4=self.last4)


@dataclass(frozen=True)
class BankEntry:
    """A new bank account being keyed: its type, routing number, then the number twice.

    The first entry of the account number is kept only as a keyed digest (``fingerprint``),
    to compare with the second; the number itself waits in the card store.
    """

    account_type: str  # "checking" or "savings"
    routing: str = ""
    fingerprint: str | None = None

    def finished(self, last4: str) -> PaymentSource:
        """The account as a payment source, once its number is keyed twice and held."""
        return PaymentSource(kind="bank", label=self.account_type, last4=last4)


Method = PaymentSource | CardEntry | BankEntry


@dataclass(frozen=True)
class Arrangement:
    """A past-due balance split into ``count`` instalments; their dates, as chosen so far."""

    count: int
    dates: tuple[date, ...] = ()

    def amounts(self, total_cents: int) -> list[int]:
        """Each instalment's share of the total, in cents."""
        return split_evenly(total_cents, self.count)



@dataclass(frozen=True)
class PaymentDraft:
    """The payment being built, from the amount on; see the module docstring."""

    amount_cents: int
    purpose: Purpose = Purpose.NOW
    scheduled_for: date | None = None
    method: Method | None = None
    arrangement: Arrangement | None = None

    @property
    def source(self) -> PaymentSource:
        """The finished payment method (a step past the method's entry needs one)."""
        if not isinstance(self.method, PaymentSource):
            raise DraftError(f"no payment method chosen yet (have {_kind(self.method)})")
        return self.method

    @property
    def card_entry(self) -> CardEntry:
        """The new card being keyed."""
        if not isinstance(self.method, CardEntry):
            raise DraftError(f"no card being keyed (have {_kind(self.method)})")
        return self.method

    @property
    def bank_entry(self) -> BankEntry:
        """The new bank account being keyed."""
        if not isinstance(self.method, BankEntry):
            raise DraftError(f"no bank account being keyed (have {_kind(self.method)})")
        return self.method

    @property
    def plan(self) -> Arrangement:
        """The arrangement being set up."""
        if self.arrangement is None:
            raise DraftError("no payment arrangement in progress")
        return self.arrangement

    def instalments(self) -> list[tuple[date, int]]:
        """The arrangement's instalments: each one's date and amount (once all are dated)."""
        return list(zip(self.plan.dates, self.plan.amounts(self.amount_cents), strict=True))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe copy for the database."""
        arrangement = self.arrangement
        return {
            "amount_cents": self.amount_cents, "purpose": str(self.purpose),
            "scheduled_for": self.scheduled_for.isoformat() if self.scheduled_for else None,
            "method": _method_to_dict(self.method),
            "arrangement": None if arrangement is None else {
                "count": arrangement.count, "dates": [d.isoformat() for d in arrangement.dates]},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PaymentDraft:
        """Rebuild from ``to_dict`` output."""
        arrangement = data.get("arrangement")
        when = data.get("scheduled_for")
        return cls(
            amount_cents=int(data["amount_cents"]), purpose=Purpose(data["purpose"]),
            scheduled_for=date.fromisoformat(when) if when else None,
            method=_method_from_dict(data.get("method")),
            arrangement=None if arrangement is None else Arrangement(
                int(arrangement["count"]),
                tuple(date.fromisoformat(d) for d in arrangement["dates"])))


# How each kind of method is tagged in the saved JSON. A finished source keeps its own
# ``kind`` ("card", "bank", "saved", "captured"); entries being keyed have kinds of their own.
CARD_ENTRY = "card_entry"
BANK_ENTRY = "bank_entry"


def _kind(method: Method | None) -> str:
    """What kind of method a draft holds, for an error message (never its token or digest)."""
    return "none" if method is None else type(method).__name__


def _method_to_dict(method: Method | None) -> dict[str, Any] | None:
    if method is None:
        return None
    if isinstance(method, CardEntry):
        return {"kind": CARD_ENTRY, **asdict(method), "brand": str(method.brand)}
    if isinstance(method, BankEntry):
        return {"kind": BANK_ENTRY, **asdict(method)}
    return asdict(method)


def _method_from_dict(data: dict[str, Any] | None) -> Method | None:
    if data is None:
        return None
    fields = {k: v for k, v in data.items() if k != "kind"}
    if data["kind"] == CARD_ENTRY:
        # An earlier version's vault token and expiry are dropped: the card is keyed again.
        fields.pop("token", None)
        fields.pop("expiry_mmyy", None)
        return CardEntry(**{**fields, "brand": Brand(fields["brand"])})
    if data["kind"] == BANK_ENTRY:
        return BankEntry(**fields)
    return source_from_dict(data)


def source_from_dict(data: dict[str, Any]) -> PaymentSource:
    """A payment source saved as a dict (by this version or the one before)."""
    return PaymentSource(**data)


# The version before this one saved the draft as flat keys of the call state, the method as
# an untyped dict. Calls in flight at an upgrade were saved that way, so it is still read.
LEGACY_KEYS = ("purpose", "amount_cents", "scheduled_for", "source", "bank_routing",
               "bank_fingerprint", "arrangement")


def from_legacy(data: dict[str, Any]) -> PaymentDraft | None:
    """The draft held in a call state saved by the previous version (None: no payment)."""
    if data.get("amount_cents") is None:
        return None
    arrangement = data.get("arrangement")
    return PaymentDraft.from_dict({
        "amount_cents": data["amount_cents"], "purpose": data.get("purpose") or Purpose.NOW,
        "scheduled_for": data.get("scheduled_for"), "arrangement": arrangement,
        "method": _legacy_method(data.get("source"), data.get("bank_routing"),
                                 data.get("bank_fingerprint")),
    })


def _legacy_method(source: dict[str, Any] | None, routing: str | None,
                   fingerprint: str | None) -> dict[str, Any] | None:
    """An old ``source`` dict as a tagged method: entries are told apart by what they lack.

    A card being keyed had no ``postal_code`` key yet (a finished card always has one, if
    empty); a bank account being keyed had no vault ``token`` yet.
    """
    if source is None:
        return None
    if source.get("kind") == "card" and "postal_code" not in source:
        return {"kind": CARD_ENTRY, "brand": source["label"], "last4": source["last4"],
                "token": source["token"], "expiry_mmyy": source.get("expiry_mmyy", "")}
    if source.get("kind") == "bank" and not source.get("token"):
        return {"kind": BANK_ENTRY, "account_type": source["label"], "routing": routing or "",
                "fingerprint": fingerprint}
    return source
