"""Random callers through the real, signed voice webhooks, with money invariants after each step.

A hypothesis ``RuleBasedStateMachine`` plays callers: it presses keys (mostly the ones the
prompt asks for, so real payment paths are reached; sometimes any option offered; sometimes
garbage), stays silent, hangs up, redelivers the previous request and delivers old requests
out of order. When a caller authorises a payment, most of the time the gateway breaks: the
charge's reply is lost, it times out before reaching the gateway, the gateway refuses it, or
the worker is killed once the gateway has charged (Twilio then delivers the request again);
now and then reconcile runs. After every step it
checks that:

* every answer is HTTP 200 and TwiML with a ``<Response>`` root;
* every payment row a call created is backed by a distinct request in which the caller pressed
  1 at "To authorize this payment" or "this debit" (one payment) or "To agree to this payment
  arrangement" (one payment per instalment), for an amount read back in that prompt;
* each account's balance is its starting balance minus what calls charged today, and calls
  never charged today more than the starting balance;
* every charge the gateway carried out is a payment that counts or one still in doubt, and
  every payment that counts was charged (tests/money_checks.py); once the example ends and
  reconcile has run, nothing is left in doubt;
* idempotency keys are unique.

One demo app serves every example of a test (creating one is slow): each example resets the
demo balances and PIN lockouts, and checks only payments made by its own calls.
Run with ``--hypothesis-show-statistics`` to see what the fuzzer reached (``event``). Every run
replays the same examples; ``IVR_FUZZ_EXPLORE=1`` draws new ones (see ``EXPLORE``).
"""

from __future__ import annotations

import itertools
import os
import re
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, Phase, event, given, note, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import delete, func, select, update

from flows import languages
from flows.keys import BACK, STAR
from flows.speech import money_words, render, say
from ivr.db import db
from ivr.errors import GatewayError, GatewayOutcomeUnknown
from ivr.payments.gateways.base import GatewayCharge
from ivr.payments.gateways.sandbox import SandboxGateway
from ivr.payments.gateways.sandbox_record import Charged
from ivr.payments.reconcile import reconcile
from ivr.sim.twiml import GatherSpec
from models import Account, Base, Payment, utcnow
from models.payment import APPROVED, PENDING, SCHEDULED
from tests.fault_helpers import LATER, WorkerKilled
from tests.money_checks import check_money
from tests.twilio_helpers import Answer, TwilioCaller

# --- What callers key -------------------------------------------------------------------------

PINS = {"1234": "2468", "5678": "1357", "9012": "8024", "3456": "9753", "7890": "4321"}
ACCOUNT_NUMBERS = ["10001234", "20005678", "30009012", "30003456", "40007890", "99999999"]
CALLER_IDS = ["+14155550100", "+14155550100", "+12125550199", "+13125550142", "+16465550000",
              ""]
CARDS = ["4242424242424242", "4000000000000002", "4000000000009995", "4000000000000069",
         "4000000000000127", "4000000000000119", "378282246310005", "5555555555554444",
         "4242424242424241", "1234"]
BANK_ACCOUNTS = ["000123456789", "000222222227", "000111111116", "12"]
AMOUNTS = ["10*50#", "10#", "5#", "0*50#", "1*5#", "120*45#", "89*10#", "1000#", "*5#"]
SCHEDULE_DATES = ["1201", "1125", "1205", "1121", "1130", "1212", "0105", "1310", "1120"]
INSTALMENT_DATES = ["1201", "1215", "1125", "1220", "0110", "0119", "0301", "1121"]
# Menu options worth choosing, most useful first: towards paying, and authorising.
PREFERRED_OPTIONS = ("To authorize this payment", "To authorize this debit",
                     "To agree to this payment arrangement",
                     "For the account ending", "To pay now by card", "By bank account",
                     "With the", "To make a payment", "To pay your balance now",
                     "To set up a payment arrangement", "For other amounts or dates",
                     "For a different amount", "To pay the full balance",
                     "To pay a different amount", "To pay today", "To schedule the payment",
                     "To pay with a new card", "To pay from a bank account", "To pay with the",
                     "For checking", "For savings",
                     "To try a different card", "To pay in 2 payments", "To pay in 3 payments",
                     "To keep this", "For more options", "To return to the main menu",
                     "To cancel a scheduled", "To cancel the payment of",
                     "To manage scheduled payments", "To turn on AutoPay", "To use the")
# A payment is authorised by a card's "payment" or, for a bank account, a "debit".
AUTHORISE = re.compile(r"To authorize this (payment|debit), press 1\.")
AGREE = "To agree to this payment arrangement, press 1."
APOLOGY = render(say("end.application_error"))
_OPTION = re.compile(r"\b(To|By|With|For) ([^.]*?), press (\d|star|pound)\.")
_KEY_NAMES = {"star": "*", "pound": "#"}


def offered_options(said: str) -> list[tuple[str, str]]:
    """Each "To ..., press N." (or "By ...", "With ...", "For ...") in what was said, as (what
    it does, key)."""
    return [(f"{lead} {text}", _KEY_NAMES.get(key, key))
            for lead, text, key in _OPTION.findall(said)]


@dataclass
class CallModel:
    """What the fuzzer knows about one call: who calls, and what the caller authorised."""

    call_sid: str
    caller: str
    pin: str = "2468"  # the PIN of the account last named or keyed in this call
    bank_account: str = BANK_ACCOUNTS[0]  # the bank account number keyed first
    authorised: Counter[int] = field(default_factory=Counter)  # amounts (cents) authorised
    authorising_requests: int = 0


def data_entry_keys(said: str, call: CallModel) -> list[str] | None:
    """The sensible keys for a data-entry prompt (the most useful first), or None for a menu."""
    if "Enter your PIN" in said:
        return [call.pin, *PINS.values(), "0000", "24680"]
    if "routing number" in said:
        return ["110000000#", "021000021#", "123456789#", "11000000#"]
    if "enter it again" in said:
        return [f"{call.bank_account}#", *(f"{n}#" for n in BANK_ACCOUNTS)]
    if "bank account number" in said:
        return [f"{n}#" for n in BANK_ACCOUNTS]
    if "Enter your account number" in said:
        return [f"{n}#" for n in ACCOUNT_NUMBERS] + ["12ab#"]
    if "card number" in said:
        return [f"{n}#" for n in CARDS]
    if "expiration date" in said:
        return ["1230", "0125", "1329", "0630"]
    if "digit security code" in said:
        return ["123", "1234", "987", "12"]
    if "ZIP code" in said:
        return ["94105", "1234", "60601"]
    if "Enter the amount" in said:
        return AMOUNTS
    if "Enter the payment date" in said:
        return SCHEDULE_DATES
    if "Enter the date of payment" in said:
        return INSTALMENT_DATES
    return None


def preferred_keys(said: str) -> list[str]:
    """Keys of the options in ``PREFERRED_OPTIONS`` order; all offered keys when none match."""
    options = offered_options(said)
    ranked = [key for wanted in PREFERRED_OPTIONS for text, key in options
              if text.startswith(wanted)]
    return list(dict.fromkeys(ranked)) or [key for _, key in options] or ["1"]


def every_interesting_keys() -> list[str]:
    """All sensible keys of all prompts, for pressing at the wrong prompt."""
    return [*PINS.values(), *(f"{n}#" for n in ACCOUNT_NUMBERS), *(f"{c}#" for c in CARDS),
            *AMOUNTS, *SCHEDULE_DATES, "1", "2", BACK, STAR, "#", "1230", "123", "94105"]


def keys_for(said: str, call: CallModel) -> st.SearchStrategy[str]:
    """Keys to press at a prompt: mostly what it asks for, sometimes anything.

    The sensible answer comes first (where shrinking goes), so failing examples shrink to
    realistic calls.
    """
    sensible = data_entry_keys(said, call) or preferred_keys(said)
    sensible = sensible[:1] * 3 + sensible  # the first is the one that moves the call on
    offered = [key for _, key in offered_options(said)] or ["1", "2", BACK, STAR]
    return st.sampled_from(_BRANCHES).flatmap(lambda branch: (
        st.sampled_from(sensible) if branch == "sensible"
        else st.sampled_from(offered) if branch == "offered"
        else st.sampled_from(every_interesting_keys()) if branch == "misplaced"
        else st.text(alphabet="0123456789*#", max_size=20)))


# How often keys are sensible (14 in 20), any option offered, sensible elsewhere, or random.
_BRANCHES = ["sensible"] * 14 + ["offered"] * 3 + ["misplaced"] * 2 + ["random"]


# --- What callers hear ------------------------------------------------------------------------

_SMALL = {word: n for n, word in enumerate(
    ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
     "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
     "nineteen"])}
_TENS = {word: 10 * n for n, word in enumerate(
    ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"], start=2)}
_SCALES = {"thousand": 1000, "million": 1_000_000}


def number_from_words(words: str) -> int:
    """ "one hundred twenty" -> 120 (as ``flows.speech`` says numbers)."""
    total = current = 0
    for token in words.replace("-", " ").split():
        if token in _SMALL:
            current += _SMALL[token]
        elif token in _TENS:
            current += _TENS[token]
        elif token == "hundred":
            current *= 100
        elif token in _SCALES:
            total += current * _SCALES[token]
            current = 0
        else:
            raise ValueError(f"not a number word: {token!r} in {words!r}")
    return total + current


def cents_from_words(phrase: str) -> int:
    """ "one hundred twenty dollars and forty-five cents" -> 12045."""
    dollars, cents, rest = 0, 0, phrase.strip()
    if " dollar" in rest:
        head, _, rest = rest.partition(" dollar")
        dollars = number_from_words(head)
        rest = rest.removeprefix("s").strip().removeprefix("and").strip()
    if rest:
        cents = number_from_words(rest.removesuffix("s").removesuffix(" cent"))
    return dollars * 100 + cents


_READ_BACK = (re.compile(r"You are paying ([^.]+?) with "),
              re.compile(r"You are about to schedule a payment of (.+?) with "),
              re.compile(r"Payment \d+: (.+?) on "))


def authorised_amounts(said: str) -> list[int]:
    """The amounts (cents) a read-back asks the caller to authorise: one, or each instalment."""
    return [cents_from_words(m) for pattern in _READ_BACK for m in pattern.findall(said)]


# --- A gateway that breaks on demand ------------------------------------------------------------

FAULTS = ("lost-reply", "timeout", "refused", "killed")


class FaultyGateway(SandboxGateway):
    """The app's sandbox (same record), whose next charge or debit fails as told, once."""

    def __init__(self, sandbox: SandboxGateway) -> None:
        super().__init__(sandbox.record)
        self.next_fault = ""

    def _carry_out(self, request: Charged) -> GatewayCharge:
        fault, self.next_fault = self.next_fault, ""
        if fault == "timeout":  # the request never reached the gateway; nobody can tell
            raise GatewayOutcomeUnknown("fuzz: timed out before it was carried out")
        if fault == "refused":
            raise GatewayError("fuzz: refused")
        answer = super()._carry_out(request)
        if fault == "lost-reply":
            raise GatewayOutcomeUnknown("fuzz: carried out, the reply lost")
        if fault == "killed":
            raise WorkerKilled("fuzz: the worker died as the gateway answered")
        return answer


# --- The machine ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Snapshot:
    """The demo data: each table's primary keys, and the accounts as they were.

    Examples share one app, but hypothesis replays examples (to shrink them) and needs each
    replay to hear the same prompts: so every example starts from this data again.
    """

    keys: dict[str, set[Any]]
    accounts: list[dict[str, Any]]

    @property
    def balances(self) -> dict[int, int]:
        """Each account's starting balance in cents."""
        return {row["id"]: row["balance_cents"] for row in self.accounts}

    @classmethod
    def take(cls, app: Flask) -> Snapshot:
        """Remember what the database holds now."""
        with db.transaction(app) as session:
            keys: dict[str, set[Any]] = {
                table.name: set(session.scalars(select(*table.primary_key.columns)))
                for table in Base.metadata.sorted_tables}
            accounts = [dict(row) for row in session.execute(
                select(Account.__table__)).mappings()]
        return cls(keys, accounts)

    def restore(self, app: Flask) -> None:
        """Delete every row added since, and put the accounts back as they were."""
        with db.transaction(app) as session:
            for table in reversed(Base.metadata.sorted_tables):
                (key,) = table.primary_key.columns
                session.execute(delete(table).where(key.not_in(self.keys[table.name])))
            for row in self.accounts:
                session.execute(update(Account).where(Account.id == row["id"]).values(**row))


@dataclass(frozen=True)
class Sent:
    """One webhook request as sent, so it can be delivered again."""

    path: str
    params: dict[str, str]


@dataclass
class Totals:
    """What the fuzzer did, over all examples of one test."""

    examples: int = 0
    calls: int = 0
    requests: int = 0
    redeliveries: int = 0
    stale: int = 0
    authorisations: int = 0
    payments: Counter[str] = field(default_factory=Counter)
    apologies: int = 0
    faults: Counter[str] = field(default_factory=Counter)
    killed: int = 0
    reconciles: int = 0

    def summary(self) -> str:
        """One line for the test report."""
        made = ", ".join(f"{n} {status}" for status, n in sorted(self.payments.items()))
        faults = ", ".join(f"{n} {fault}" for fault, n in sorted(self.faults.items()))
        return (f"{self.examples} examples, {self.calls} calls, {self.requests} requests "
                f"({self.redeliveries} redelivered, {self.stale} stale), "
                f"{self.authorisations} authorisations, payments: {made or 'none'}, "
                f"gateway faults: {faults or 'none'} ({self.killed} workers killed), "
                f"{self.reconciles} reconciles, {self.apologies} apologies")


_call_numbers = itertools.count(1)
# Redeliveries, stale requests, silences and hang-ups mid-call happen in one of 4 draws: mostly
# the caller presses keys, so calls get far enough to pay. Not acting comes first, so failing
# examples shrink to fewer of them.
_NOW_OR_NOT = [False, False, False, True]


class CallFuzzer(RuleBasedStateMachine):
    """Random callers against one app; payments are checked against what callers authorised."""

    def __init__(self, app: Flask, snapshot: Snapshot, totals: Totals) -> None:
        """``snapshot`` is the demo data each example starts from."""
        super().__init__()
        self.app = app
        self.snapshot = snapshot
        self.balances = snapshot.balances
        self.totals = totals
        self.calls: dict[str, CallModel] = {}
        self.current: CallModel | None = None
        self.answer: Answer | None = None
        self.history: list[Sent] = []
        self.last: tuple[Sent, Answer] | None = None
        self.payments_seen: set[int] = set()
        self.gateway: FaultyGateway = app.extensions["ivr_gateway"]
        totals.examples += 1

    # -- plumbing

    def post(self, sent: Sent) -> Answer:
        """Sign and post one webhook; the answer must be HTTP 200 TwiML.

        A worker killed mid-request gives Twilio no answer, so Twilio delivers it again.
        """
        signer = TwilioCaller(self.app, call_sid=sent.params["CallSid"])
        headers = {"X-Twilio-Signature": signer.sign(sent.path, sent.params)}
        try:
            response = self.app.test_client().post(sent.path, data=sent.params, headers=headers)
        except WorkerKilled:
            event("a worker was killed mid-charge; Twilio retried")
            self.totals.killed += 1
            response = self.app.test_client().post(sent.path, data=sent.params, headers=headers)
        self.totals.requests += 1
        body = response.get_data(as_text=True)
        assert response.status_code == 200, f"{sent} -> HTTP {response.status_code}\n{body}"
        try:
            root = ET.fromstring(response.data)
        except ET.ParseError as error:
            raise AssertionError(f"{sent} -> not XML ({error}):\n{body}") from error
        assert root.tag == "Response", f"{sent} -> root <{root.tag}>, not <Response>"
        answer = Answer(response.status_code, root, response.data)
        if APOLOGY in answer.said:
            self.totals.apologies += 1
            event("apology (the server hit an exception)")
        note(f"POST {sent.path} {sent.params.get('Digits', '')!r} -> {answer.said[-160:]!r}")
        return answer

    def send(self, path: str, **more: str) -> Answer:
        """A new request of the current call."""
        assert self.current is not None
        params = TwilioCaller(self.app, call_sid=self.current.call_sid,
                              caller=self.current.caller).params(**more)
        sent = Sent(path, params)
        answer = self.post(sent)
        self.history.append(sent)
        self.last = (sent, answer)
        onward = answer.carries_on
        if onward:  # holding while a payment is charged: Twilio follows the <Redirect>
            event("held while a payment was charged")
            return answer.then(self.send(onward))
        return answer

    def hear(self, answer: Answer) -> None:
        """The current caller hears ``answer``; no <Gather> means the IVR ended the call."""
        assert self.current is not None
        self.answer = answer
        said = answer.said
        match = re.search(r"account ending in (\d) (\d) (\d) (\d)", said)
        if match:
            self.current.pin = PINS.get("".join(match.groups()), self.current.pin)
        if AUTHORISE.search(said) or AGREE in said:
            event("reached an authorise prompt")
        if answer.gather is None:  # the IVR hung up or transferred: Twilio reports the end
            event("the IVR ended a call")
            self.end_call("completed", 60)

    @property
    def listening(self) -> bool:
        """A call is on and waiting at a <Gather>."""
        return self.current is not None and self.answer is not None \
            and self.answer.gather is not None

    # -- setup

    @initialize()
    def reset_database(self) -> None:
        """Back to the demo data, so each example (and its replays while shrinking) is the same."""
        self.snapshot.restore(self.app)

    # -- rules

    @precondition(lambda self: self.current is None)
    @rule(caller=st.sampled_from(CALLER_IDS))
    def start_call(self, caller: str) -> None:
        """A new call, with a fresh CallSid."""
        call_sid = f"CA{next(_call_numbers):08d}{'f' * 24}"
        self.current = CallModel(call_sid, caller)
        self.calls[call_sid] = self.current
        self.totals.calls += 1
        self.hear(self.send("/voice"))

    # Pressing keys is what moves a call on: several rules do it, so the machine picks it most.
    @precondition(lambda self: self.listening)
    @rule(data=st.data())
    def press(self, data: st.DataObject) -> None:
        """Press keys at the current prompt."""
        self.press_keys(data)

    @precondition(lambda self: self.listening)
    @rule(data=st.data())
    def press_next(self, data: st.DataObject) -> None:
        """Press keys at the current prompt (the same as ``press``, to weight the choice)."""
        self.press_keys(data)

    @precondition(lambda self: self.listening)
    @rule(data=st.data())
    def press_on(self, data: st.DataObject) -> None:
        """Press keys at the current prompt (the same as ``press``, to weight the choice)."""
        self.press_keys(data)

    @precondition(lambda self: self.listening)
    @rule(data=st.data())
    def press_and_go(self, data: st.DataObject) -> None:
        """Press keys at the current prompt (the same as ``press``, to weight the choice)."""
        self.press_keys(data)

    @precondition(lambda self: self.listening)
    @rule(data=st.data())
    def press_keys_again(self, data: st.DataObject) -> None:
        """Press keys at the current prompt (the same as ``press``, to weight the choice)."""
        self.press_keys(data)

    def press_keys(self, data: st.DataObject) -> None:
        """Press keys at the current prompt (Twilio reports them up to # or numDigits)."""
        assert self.current is not None and self.answer is not None
        assert self.answer.gather is not None
        said = self.answer.said
        keys = data.draw(keys_for(said, self.current), label="keys")
        digits = GatherSpec.from_element(self.answer.gather).digits(keys)
        if not digits:  # Twilio falls through to the <Redirect>, as for silence
            self.stay_silent()
            return
        if "bank account number, then" in said:
            self.current.bank_account = digits
        if "Enter your account number" in said:
            pins = dict(zip(ACCOUNT_NUMBERS, PINS.values(), strict=False))
            self.current.pin = pins.get(digits, "2468")
        if digits == "1" and AUTHORISE.search(said):
            # Most of the time, the charge this authorises meets a broken gateway.
            fault = data.draw(st.sampled_from(["", *FAULTS]), label="fault")
            self.gateway.next_fault = fault
            if fault:
                self.totals.faults[fault] += 1
                event(f"gateway fault: {fault}")
        if digits == "1" and (AUTHORISE.search(said) or AGREE in said):
            amounts = authorised_amounts(said)
            assert amounts, f"no amount read back before authorising: {said}"
            self.current.authorised.update(amounts)
            self.current.authorising_requests += 1
            self.totals.authorisations += 1
            event("authorised a payment" if AUTHORISE.search(said) else "agreed to an arrangement")
        self.hear(self.send(self.answer.action, Digits=digits))

    @precondition(lambda self: self.listening)
    @rule(now=st.sampled_from(_NOW_OR_NOT))
    def silence(self, now: bool) -> None:
        """Press nothing: Twilio follows the <Redirect> after the <Gather>."""
        if now:
            self.stay_silent()

    def stay_silent(self) -> None:
        """Follow the <Redirect> after the <Gather>."""
        assert self.answer is not None
        redirect = self.answer.root.find("Redirect")
        assert redirect is not None and redirect.text, "a <Gather> without a <Redirect> after it"
        self.hear(self.send(redirect.text))

    @precondition(lambda self: self.listening)
    @rule(now=st.sampled_from(_NOW_OR_NOT),
          status=st.sampled_from(["completed", "completed", "busy", "no-answer", "failed"]),
          seconds=st.integers(0, 600))
    def hang_up(self, now: bool, status: str, seconds: int) -> None:
        """The caller hangs up mid-call: the status callback."""
        if now:
            self.end_call(status, seconds)

    def end_call(self, status: str, seconds: int) -> None:
        """Twilio's status callback for the current call."""
        self.send("/voice/status", CallStatus=status, CallDuration=str(seconds))
        self.current = None
        self.answer = None

    @precondition(lambda self: self.last is not None)
    @rule(now=st.sampled_from(_NOW_OR_NOT))
    def redeliver(self, now: bool) -> None:
        """Twilio sends the previous request again: the same answer must come back."""
        if not now:
            return
        assert self.last is not None
        sent, first = self.last
        again = self.post(sent)
        self.totals.redeliveries += 1
        if APOLOGY not in first.said:
            assert again.raw == first.raw, (
                f"a redelivered request got a different answer:\n{first.said}\n---\n{again.said}")

    @precondition(lambda self: len(self.history) >= 2)
    @rule(now=st.sampled_from(_NOW_OR_NOT), data=st.data())
    def deliver_stale(self, now: bool, data: st.DataObject) -> None:
        """An old request arrives late: an earlier "1" of this call, any turn, any call."""
        if not now:
            return
        this_call = [s for s in self.history
                     if self.current and s.params["CallSid"] == self.current.call_sid]
        pools = [[s for s in this_call if s.params.get("Digits") == "1"], this_call,
                 self.history]
        pool = data.draw(st.sampled_from([p for p in pools if p]), label="from")
        sent = data.draw(st.sampled_from(pool), label="stale request")
        self.post(sent)
        self.totals.stale += 1

    @rule(now=st.sampled_from(_NOW_OR_NOT))
    def run_reconcile(self, now: bool) -> None:
        """Cron runs ``ivr payments reconcile`` (late enough to settle anything abandoned)."""
        if now:
            self.settle_doubts()

    def settle_doubts(self) -> None:
        """Reconcile with a working gateway, past the grace period."""
        self.gateway.next_fault = ""
        summary = reconcile(db.sessions(self.app), self.gateway, now=utcnow() + LATER)
        self.totals.reconciles += 1
        if summary.approved or summary.failed or summary.pending:
            event("reconcile settled a payment in doubt")

    # -- invariants

    def new_payments(self) -> list[Payment]:
        """Payments created during this example, oldest first."""
        with db.transaction(self.app) as session:
            rows = list(session.scalars(select(Payment).where(
                Payment.id.not_in(self.snapshot.keys["payments"])).order_by(Payment.id)))
            session.expunge_all()
        return rows

    @invariant()
    def payments_were_authorised(self) -> None:
        """Each call made only the payments its caller authorised, for the amounts read back."""
        payments = self.new_payments()
        by_call: dict[str, list[Payment]] = {}
        for payment in payments:
            assert payment.call_sid in self.calls, (
                f"payment {payment.id} ({payment.status}, {payment.amount_cents}) does not "
                f"come from a call of this example: {payment.call_sid}")
            by_call.setdefault(payment.call_sid, []).append(payment)
            if payment.id not in self.payments_seen:
                self.payments_seen.add(payment.id)
                self.totals.payments[payment.status] += 1
                event(f"payment {payment.status} ({payment.method})")
        for call_sid, made in by_call.items():
            call = self.calls[call_sid]
            effective = [p for p in made if p.status in (APPROVED, PENDING, SCHEDULED)]
            slots = sum(call.authorised.values())
            assert len(effective) <= slots, (
                f"call {call_sid}: {len(effective)} payments, only {slots} authorised "
                f"({call.authorising_requests} authorising requests)")
            unmatched = Counter(p.amount_cents for p in made) - call.authorised
            assert not unmatched, (
                f"call {call_sid}: payments of {dict(unmatched)} cents were never read back "
                f"and authorised (authorised: {dict(call.authorised)})")

    @invariant()
    def balances_add_up(self) -> None:
        """Balance = starting balance - charged today; never overpaid."""
        charged: Counter[int] = Counter()
        for payment in self.new_payments():
            if payment.status in (APPROVED, PENDING):
                charged[payment.account_id] += payment.amount_cents
        with db.transaction(self.app) as session:
            balances = {row.id: row.balance_cents for row in session.execute(
            select(Account.id, Account.balance_cents))}
        for account_id, start in self.balances.items():
            assert charged[account_id] <= start, (
                f"account {account_id}: {charged[account_id]} cents charged today, "
                f"but only {start} was owed")
            assert balances[account_id] == start - charged[account_id], (
                f"account {account_id}: balance {balances[account_id]}, expected {start} - "
                f"{charged[account_id]} charged")

    @invariant()
    def every_charge_is_on_record(self) -> None:
        """The gateway's ledger and the line's agree (payments in doubt may be either)."""
        check_money(self.app, self.balances, settled=False,
                    history=self.snapshot.keys["payments"])

    @invariant()
    def idempotency_keys_unique(self) -> None:
        """No two payments share an idempotency key."""
        with db.transaction(self.app) as session:
            doubled = list(session.execute(
                select(Payment.idempotency_key, func.count()).group_by(Payment.idempotency_key)
                .having(func.count() > 1)))
        assert not doubled, f"idempotency keys used more than once: {doubled}"

    def teardown(self) -> None:
        """Settle what is still in doubt, check nothing is left so; say what was reached."""
        self.settle_doubts()
        check_money(self.app, self.balances, settled=True,
                    history=self.snapshot.keys["payments"])
        event("calls in an example", str(len(self.calls)))
        event("requests in an example", str(len(self.history)))


# Shrinking a long stateful run against a real app takes minutes; the notes already show every
# request. Set IVR_FUZZ_SHRINK=1 to shrink a failure anyway.
PHASES = [Phase.explicit, Phase.generate, *([Phase.shrink] if os.environ.get("IVR_FUZZ_SHRINK")
                                            else [])]
# Every run replays the same examples, CI's and a developer's alike: a failure reproduces, and
# the checks that the fuzzer reached payments and gateway faults cannot fail by the luck of the
# draw (hypothesis's draws cluster: one run authorised 7 payments and drew no fault for any).
# IVR_FUZZ_EXPLORE=1 draws new examples each run (add --hypothesis-seed=N to repeat one); CI
# never explores, as a landing must be reproducible.
EXPLORE = bool(os.environ.get("IVR_FUZZ_EXPLORE")) and not os.environ.get("CI")


def run_fuzzer(app: Flask, *, examples: int, steps: int) -> Totals:
    """Run the machine against ``app``; return what it tried."""
    app.extensions["ivr_gateway"] = FaultyGateway(app.extensions["ivr_gateway"])
    snapshot = Snapshot.take(app)
    totals = Totals()
    factory: Callable[[], CallFuzzer] = lambda: CallFuzzer(app, snapshot, totals)  # noqa: E731
    run_state_machine_as_test(
        factory,  # type: ignore[arg-type]  # any factory works; the hint names a class
        settings=settings(max_examples=examples, stateful_step_count=steps, deadline=None,
                          database=None, print_blob=True, phases=PHASES,
                          derandomize=not EXPLORE,
                          suppress_health_check=[HealthCheck.too_slow,
                                                 HealthCheck.filter_too_much]))
    return totals


@pytest.mark.slow
def test_random_callers_pay_only_what_they_authorised(
        demo_app: Flask, record_property: Callable[[str, Any], None],
        monkeypatch: pytest.MonkeyPatch) -> None:
    # The callers' model reads English (the authorising option, amounts read back), so this
    # line offers no other language: calls in Spanish are walked in test_languages.py and
    # test_words_from_catalogs.py, and the same steps and ports serve them.
    monkeypatch.setattr(languages, "offered", lambda _language, _home: None)
    totals = run_fuzzer(demo_app, examples=30, steps=80)
    record_property("fuzz_summary", totals.summary())
    print(f"\nfuzzer: {totals.summary()}")
    # The fuzzer must actually reach payments and faults, or it proves nothing (when exploring,
    # a run that fails here drew too few: run it again, or with more examples).
    assert totals.authorisations > 0, totals.summary()
    assert sum(totals.payments.values()) > 0, totals.summary()
    assert sum(totals.faults.values()) > 0 and totals.reconciles > 0, totals.summary()


@settings(database=None)  # no .hypothesis folder in the checkout
@given(st.integers(1, 10_000_000))
def test_amount_words_read_back(cents: int) -> None:
    assert cents_from_words(money_words(cents)) == cents


@pytest.mark.parametrize("said, amounts", [
    ("You are paying one hundred twenty dollars and forty-five cents with the Visa card "
     "ending in 4 2 4 2. To authorize this payment, press 1.", [12045]),
    ("Your payment arrangement is 2 payments with the Visa card ending in 4 2 4 2. Payment 1: "
     "forty-four dollars and fifty-five cents on December first. Payment 2: forty-four dollars "
     "and fifty-five cents on December fifteenth.", [4455, 4455]),
])
def test_read_back_amounts_are_parsed(said: str, amounts: list[int]) -> None:
    assert authorised_amounts(said) == amounts
