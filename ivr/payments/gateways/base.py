"""Payment gateways behind one small interface; the implementations are one module each.

A gateway takes a keyed card or bank account whole, in the one request that charges or
debits it, as real gateways do: until then the caller's keys wait encrypted in the card store
(:mod:`ivr.security.card_store`). It charges methods on file (and tokens from Twilio's
``<Pay>``) by token, once per idempotency key, keeps a method on file after an approved
charge when the caller asks (or before any charge, for a payment scheduled for later), reports
whether a bank debit settled or was returned, and looks a charge up by its idempotency key
when its answer was lost.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from flows.ports import DeclineReason
from ivr.security.card_store import BankDetails, CardDetails, Keyed

CARD = "card"
BANK = "bank"


@dataclass(frozen=True)
class GatewayCharge:
    """What the gateway said about one charge or debit.

    A card charge is approved or declined at once; a bank debit is ``pending`` until
    :meth:`PaymentGateway.settlement` says it settled or was returned. ``reusable`` is what
    :meth:`PaymentGateway.keep` turns into a method on file, for a keyed card or account the
    gateway can keep after charging it ("" when it cannot).
    """

    approved: bool
    reference: str
    decline_reason: DeclineReason | None = None
    pending: bool = False
    reusable: str = ""


@dataclass(frozen=True)
class Settlement:
    """Where a bank debit stands: still pending, settled, or returned with a reason."""

    status: str  # "pending" | "settled" | "returned"
    return_code: str | None = None


@dataclass(frozen=True)
class StoredCharge:
    """A charge of a payment written ahead, rebuilt from its row: what to charge, total, key.

    ``keyed`` is the card or bank account the caller keyed for it (from the card store), or
    None for a method on file or a ``<Pay>`` token (``token``). It sends the same request,
    with the same idempotency key, however many times it is sent, so a retried request gets
    the gateway's first answer instead of a second charge.
    """

    kind: str  # "card" | "bank"
    token: str
    total_cents: int
    idempotency_key: str
    description: str
    keyed: Keyed | None = None

    def send(self, gateway: PaymentGateway) -> GatewayCharge:
        """Charge the card or debit the bank account."""
        args = (self.total_cents, self.idempotency_key, self.description)
        if isinstance(self.keyed, CardDetails):
            return gateway.charge_card(self.keyed, *args)
        if isinstance(self.keyed, BankDetails):
            return gateway.debit_bank(self.keyed, *args)
        return gateway.charge_saved(self.kind, self.token, *args)


class PaymentGateway(Protocol):
    """The interface every gateway implements.

    Every method that can move money takes an idempotency key: replaying it returns the
    first answer and charges nothing. Raises :class:`~ivr.errors.GatewayError` when the
    request was refused before it was carried out, and
    :class:`~ivr.errors.GatewayOutcomeUnknown` when it may have been carried out but the
    answer was lost.
    """

    name: str
    supports_bank: bool  # bank debits (ACH, authorised by telephone)
    supports_keypad_cards: bool  # cards keyed to this server (IVR_CARD_CAPTURE=gather)
    # find_charge sees a charge as soon as it is made (read-after-write): only then does
    # "not found" once a payment is past reconcile's grace period mean nothing was charged.
    lookup_read_after_write: bool

    def charge_card(self, card: CardDetails, amount_cents: int, idempotency_key: str,
                    description: str) -> GatewayCharge:
        """Charge a card keyed on the call (mail or telephone order), whole, in one request."""

    def debit_bank(self, bank: BankDetails, amount_cents: int, idempotency_key: str,
                   description: str) -> GatewayCharge:
        """Submit a debit of an account keyed on the call (NACHA TEL); pending until settled."""

    def charge_saved(self, kind: str, token: str, amount_cents: int, idempotency_key: str,
                     description: str) -> GatewayCharge:
        """Charge a card (``kind`` "card") or debit an account ("bank") on file by its token,
        or a card token Twilio's ``<Pay>`` returned."""

    def keep(self, kind: str, reusable: str) -> str:
        """A token on file for the card or account an approved charge made ``reusable``."""

    def save_card(self, card: CardDetails) -> str:
        """A token on file for a keyed card, without charging it (a payment for later)."""

    def save_bank(self, bank: BankDetails) -> str:
        """A token on file for a keyed bank account, without debiting it."""

    def accept_token(self, kind: str, token: str) -> str:
        """A ``<Pay>`` token checked as one this gateway can charge later as ``kind`` (a card
        token is never debited as a bank account, nor the other way); the token to keep.

        Raises GatewayError, with a reason fit to log, for a token that is not a charge
        instruction (for Stripe, a bare Customer with no PaymentMethod).
        """

    def settlement(self, reference: str) -> Settlement:
        """Where a submitted bank debit stands now."""

    def find_charge(self, idempotency_key: str,
                    since: datetime | None = None) -> GatewayCharge | None:
        """Look up what the request with this key did: its answer, or None if nothing was
        charged. ``since`` is when it may first have been sent (the payment's
        ``processing_since``), for a gateway whose search reaches back only so far.

        Raises GatewayOutcomeUnknown while the charge is still being processed;
        :class:`~ivr.errors.ChargeOutOfSight` when the payment is older than the gateway's
        search can vouch for (never None then); GatewayError when it cannot be asked."""
