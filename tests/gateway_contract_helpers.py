"""Each gateway on its test bench, for the one contract suite every gateway must pass.

A :class:`Rig` is a gateway wired to a stand-in of its provider (:mod:`tests.gateway_standins`;
the sandbox is its own), with what the suite needs to know about that provider: a card it
approves, the test cards that produce each decline reason it can report, bank accounts that
settle or come back, and how to rehearse a fault, settle a batch, count what was charged and
read the requests that must never carry a card.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import requests_mock as rm

from flows.ports import DeclineReason
from ivr.payments.gateways.authorize_net import AuthorizeNetGateway
from ivr.payments.gateways.authorize_net_api import invoice
from ivr.payments.gateways.base import PaymentGateway
from ivr.payments.gateways.sandbox import SANDBOX_LATE_RETURN, SandboxGateway
from ivr.payments.gateways.sandbox_record import Charged, MemoryRecord
from ivr.payments.gateways.stripe import StripeGateway
from ivr.security.card_store import BankDetails, CardDetails
from tests.authorize_net_helpers import LOGIN, NOW, SECRET
from tests.gateway_standins.authorize_net import AuthorizeNetStandIn
from tests.gateway_standins.stripe import StripeStandIn

STRIPE_KEY = "sk_test_51ContractSuiteKeyNeverLogged"
GATEWAYS: dict[str, type[Any]] = {"sandbox": SandboxGateway, "stripe": StripeGateway,
                                  "authorize-net": AuthorizeNetGateway}
# Only gateways that take bank debits are asked to debit one.
BANK_GATEWAYS = [name for name, kind in GATEWAYS.items() if kind.supports_bank]
# What each gateway needs in the app's settings besides its name.
APP_SETTINGS = {"sandbox": {},
                "stripe": {"IVR_STRIPE_API_KEY": STRIPE_KEY},
                # A line debiting real banks names a real number for questions.
                "authorize-net": {"IVR_AUTHORIZE_NET_LOGIN_ID": LOGIN,
                                  "IVR_AUTHORIZE_NET_TRANSACTION_KEY": SECRET,
                                  "IVR_BILLER_PHONE": "+14155550177"}}
CENTS = 4550
DESCRIPTION = "Account 100200300 (phone payment)"
ROUTING = "110000000"  # a valid ABA number (Stripe's test routing number)


@dataclass(frozen=True)
class Decline:
    """A test card (charged for ``cents``) and the reason the caller is then told."""

    label: str
    card: CardDetails
    reason: DeclineReason
    cents: int = CENTS


def stripe_card(number: str) -> CardDetails:
    """One of Stripe's test cards (the sandbox takes the same ones)."""
    return CardDetails(number, "1230", "737", "30301")


# Stripe's documented test cards, each declined with its code (docs.stripe.com/testing).
STRIPE_DECLINES = [
    Decline("generic_decline", stripe_card("4000000000000002"), DeclineReason.DECLINED),
    Decline("insufficient_funds", stripe_card("4000000000009995"),
            DeclineReason.INSUFFICIENT_FUNDS),
    Decline("expired_card", stripe_card("4000000000000069"), DeclineReason.EXPIRED_CARD),
    Decline("incorrect_cvc", stripe_card("4000000000000127"), DeclineReason.INCORRECT_CVC),
    Decline("processing_error", stripe_card("4000000000000119"),
            DeclineReason.PROCESSING_ERROR),
]
VISA = "4111111111111111"  # Authorize.Net's test Visa
# Authorize.Net's testing guide's triggers. It has no reason code for insufficient funds on a
# card: the issuer's refusal is a general decline (reason 2), which the caller hears as
# "declined", so there is no row for INSUFFICIENT_FUNDS here.
AUTHORIZE_NET_DECLINES = [
    Decline("ZIP 46282: general decline (2)", CardDetails(VISA, "1230", "842", "46282"),
            DeclineReason.DECLINED),
    Decline("expired (3, reason 8)", CardDetails(VISA, "1025", "842", "30301"),
            DeclineReason.EXPIRED_CARD),
    Decline("card code 901: mismatch (2, reason 65)", CardDetails(VISA, "1230", "901", "30301"),
            DeclineReason.INCORRECT_CVC),
    Decline("4222222222222 at $19: processing error (3, reason 19)",
            CardDetails("4222222222222", "1230", "842", "30301"),
            DeclineReason.PROCESSING_ERROR, cents=1900),
    Decline("4222222222222 at $44: card code filter (2, reason 44)",
            CardDetails("4222222222222", "1230", "842", "30301"),
            DeclineReason.INCORRECT_CVC, cents=4400),
]
DECLINES = {"sandbox": STRIPE_DECLINES, "stripe": STRIPE_DECLINES,
            "authorize-net": AUTHORIZE_NET_DECLINES}
# A card each gateway approves and one it declines, keyed on a call (its expiry after the
# app's "today").
E2E_CARDS = {name: (stripe_card("4242424242424242"), STRIPE_DECLINES[0].card)
             for name in ("sandbox", "stripe")} | {
    "authorize-net": (CardDetails(VISA, "1230", "842", "30301"),
                      AUTHORIZE_NET_DECLINES[0].card)}
# The sandbox's test bank accounts; the Authorize.Net stand-in returns the same ones.
SETTLING_ACCOUNT = BankDetails(ROUTING, "000123456789", "checking")
RETURNING_ACCOUNTS = [(BankDetails(ROUTING, "000222222227", "checking"), "insufficient_funds"),
                      (BankDetails(ROUTING, "000111111116", "savings"), "no_account"),
                      (BankDetails(ROUTING, "000111111113", "checking"), "account_closed"),
                      (BankDetails(ROUTING, "000333333335", "checking"),
                       "debit_not_authorized")]
# The account whose debits settle, then come back as not authorised weeks later.
LATE_RETURNING_ACCOUNT = BankDetails(ROUTING, SANDBOX_LATE_RETURN, "checking")


class CountingRecord(MemoryRecord):
    """The sandbox's own record, also listing each request it carried out (not replays)."""

    def __init__(self) -> None:
        super().__init__()
        self.carried_out: list[Charged] = []

    def keep(self, charged: Charged) -> Charged:
        """Keep the first request per key, noting it."""
        kept = super().keep(charged)
        if kept is charged:
            self.carried_out.append(charged)
        return kept


@dataclass
class Rig:
    """A gateway and its provider on the bench (see the module)."""

    name: str
    gateway: PaymentGateway
    approved_card: CardDetails
    declines: list[Decline]
    holds_debits: bool = False  # a debit stays pending until a batch settles
    now: datetime = NOW
    sandbox_fault: str = ""
    record: CountingRecord | None = None
    stripe: StripeStandIn | None = None
    authorize_net: AuthorizeNetStandIn | None = None
    _ids: list[str] = field(default_factory=list)

    def fault(self, fault: str) -> None:
        """Rehearse ``fault`` from now on ("" for none): ``lost-reply`` or ``down``."""
        self.sandbox_fault = fault
        for stand_in in (self.stripe, self.authorize_net):
            if stand_in is not None:
                stand_in.fault = fault

    def charges(self, key: str) -> int:
        """How many requests with this idempotency key the provider carried out."""
        if self.record is not None:
            return sum(charged.key == key for charged in self.record.carried_out)
        if self.stripe is not None:
            return len(self.stripe.payment_intents(key))
        assert self.authorize_net is not None
        return len(self.authorize_net.charged(invoice(key)))

    def settle(self) -> None:
        """Let the provider settle what it took; then let the returns window pass."""
        if self.authorize_net is not None:
            self.authorize_net.settle()
        self.now += timedelta(days=6)

    def later(self, delta: timedelta) -> None:
        """Let ``delta`` pass (after settling: time for a late return to come)."""
        self.now += delta

    def pay_token(self, card: CardDetails) -> str:
        """The token ``<Pay>`` hands over for ``card``: the simulator's emulation of a
        connector (the sandbox), Stripe's Pay Connector (``cus_...:pm_...``, from Twilio's
        ``ProfileId`` and ``PaymentToken``), or a profile pair from an operator's Generic
        Pay Connector (Authorize.Net)."""
        if self.stripe is not None:
            customer, method = self.stripe.mint_card(card)
            return f"{customer}:{method}"
        if self.authorize_net is not None:
            return self.authorize_net.mint_profile(card)
        return SandboxGateway().save_card(card)

    def lookups(self) -> list[str]:
        """Every request sent that carries no card by design (lookups, keeping), as text."""
        if self.stripe is not None:
            return [f"{seen.path}?{seen.text}" for seen in self.stripe.lookups()]
        if self.authorize_net is not None:
            return [f"{name} {body}" for name, body in self.authorize_net.lookups()]
        return []


def make_rig(name: str, mocker: rm.Mocker) -> Rig:
    """The gateway ``name`` wired to its stand-in on ``mocker``."""
    if name == "sandbox":
        record = CountingRecord()
        rig = Rig(name, SandboxGateway(), E2E_CARDS[name][0], DECLINES[name], record=record)
        rig.gateway = SandboxGateway(record, fault=lambda: rig.sandbox_fault,
                                     clock=lambda: rig.now)
        return rig
    if name == "stripe":
        stripe = StripeStandIn().install(mocker)
        return Rig(name, StripeGateway(STRIPE_KEY), E2E_CARDS[name][0], DECLINES[name],
                   stripe=stripe)
    rig = Rig(name, SandboxGateway(), E2E_CARDS[name][0], DECLINES[name], holds_debits=True)
    rig.authorize_net = AuthorizeNetStandIn(clock=lambda: rig.now).install(mocker)
    rig.gateway = AuthorizeNetGateway(LOGIN, SECRET, clock=lambda: rig.now)
    return rig


def stand_in_for(name: str, mocker: rm.Mocker) -> StripeStandIn | AuthorizeNetStandIn | None:
    """The stand-in an app configured for gateway ``name`` talks to (None for the sandbox)."""
    if name == "stripe":
        return StripeStandIn().install(mocker)
    if name == "authorize-net":
        return AuthorizeNetStandIn().install(mocker)
    return None
