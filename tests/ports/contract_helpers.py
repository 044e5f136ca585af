"""The ports contract's two implementations and the steps its cases share (the cases are
in ``tests/ports/test_ports_contract*.py``; the ``harness`` fixture in its conftest).

A "turn" is one webhook: the database ports live in its transaction. A payment taken now is
written ahead in one turn and charged before the next (``harness.charge``), as the web layer
does; the fake charges it when its result is first asked for. A payment for Twilio's <Pay>
is charged by Twilio: both wait for ``finish_captured``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import replace
from datetime import date

from flask import Flask

from flows.ports import (
    AccountSummary,
    CardPart,
    ChargeResult,
    PaymentOrder,
    PaymentSource,
    Ports,
)
from ivr.config import settings_of
from ivr.db import db
from ivr.ops.accounts_import import import_accounts
from ivr.payments import charges
from ivr.ports.database import ports_for
from ivr.security.pins import pins_of
from tests.fake_ports import FakePorts

# number, PIN, balance (cents), due date, phone
ACCOUNTS = [("10001234", "2468", 12045, date(2026, 12, 5), "+14155550100"),
            ("20005678", "1357", 8910, date(2026, 11, 1), "+12125550199"),
            ("30009012", "8024", 25000, date(2026, 12, 12), "+13125550142"),
            ("30003456", "9753", 4200, date(2026, 12, 12), "+13125550142"),
            ("50001111", "1122", 3000, date(2026, 12, 12), "")]  # no phone on file
JORDAN, SAM, ALEX, CASEY, NO_PHONE = (number for number, *_ in ACCOUNTS)
VISA, DECLINED, NO_FUNDS = "4242424242424242", "4000000000000002", "4000000000009995"
CALLER, GUESSER = "+14155550100", "+16505550123"
ROUTING, BANK_NUMBER = "110000000", "000123456789"  # the sandbox's test checking account
TEL_TEXT = "Today, ... To authorize this debit, press 1."  # a bank debit's words, as agreed


class Harness:
    """One implementation of the ports, with the demo accounts above."""

    ids: dict[str, int]

    def turn(self) -> AbstractContextManager[Ports]:
        """The ports for one webhook's worth of calls."""
        raise NotImplementedError

    def charge(self, key: str) -> None:
        """What happens between the turn that opened a payment and the next: it is charged."""


class FakeHarness(Harness):
    """The in-memory fake: one object for every turn."""

    def __init__(self) -> None:
        self.fake = FakePorts()
        for account_id, (number, pin, cents, due, phone) in enumerate(ACCOUNTS, start=1):
            self.fake.add(account_id, number, pin, cents, due, phone=phone, name=f"Name {number}")
        self.ids = {number: account_id for account_id, (number, *_) in
                    enumerate(ACCOUNTS, start=1)}

    @contextmanager
    def turn(self) -> Iterator[Ports]:
        yield self.fake


class DatabaseHarness(Harness):
    """The database ports of an app, each turn in its own transaction."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        rows = "".join(f"{n},Name {n},{phone},{pin},{cents / 100:.2f},{due},\n"
                       for n, pin, cents, due, phone in ACCOUNTS)
        with db.transaction(app) as session:
            import_accounts(session, [
                "account_number,name,phone,pin,balance,due_date,zip\n", *rows.splitlines(True)],
                pins_of(app))
        with self.turn() as ports:
            self.ids = {number: found.id for number, *_ in ACCOUNTS
                        if (found := ports.find_account(number)) is not None}

    @contextmanager
    def turn(self) -> Iterator[Ports]:
        with db.transaction(self.app) as session:
            yield ports_for(self.app, session)

    def charge(self, key: str) -> None:
        charges.charge(db.sessions(self.app), self.app.extensions["ivr_gateway"], key,
                       card_key=settings_of(self.app).card_key)



def card(ports: Ports, number: str = VISA, call_sid: str = "CA1") -> PaymentSource:
    """A card keyed on ``call_sid`` (held by the ports until charged), as the flow builds it."""
    for part, value in ((CardPart.NUMBER, number), (CardPart.EXPIRY, "1230"),
                        (CardPart.SECURITY_CODE, "123"), (CardPart.POSTAL_CODE, "94105")):
        assert ports.hold_card_part(call_sid, part, value)
    return PaymentSource(kind="card", label="Visa", last4=number[-4:])


def bank(ports: Ports, call_sid: str = "CA1") -> PaymentSource:
    """A checking account keyed on ``call_sid`` (the sandbox's test routing number)."""
    ports.hold_bank_account(call_sid, ROUTING, BANK_NUMBER, "checking")
    return PaymentSource(kind="bank", label="checking", last4=BANK_NUMBER[-4:])


def kept(ports: Ports, account_id: int, source: PaymentSource, cents: int,
         call_sid: str = "CA1") -> PaymentSource:
    """A new method kept on file for later dates, as the flow keeps it before a plan."""
    method = ports.keep_for_later(account_id, source, call_sid, f"{call_sid}-keep", cents)
    assert method.saved_id is not None, method
    return replace(source, saved_id=method.saved_id,
                   saved_kind="bank" if source.is_bank else "card")


def paid_with(h: Harness, account: str, keyed: Callable[[Ports], PaymentSource],
              key: str) -> PaymentSource:
    """Pay 1 dollar now with a method keyed on the call; the method as the flow offers to
    keep it on file afterwards (with the gateway's token for it)."""
    with h.turn() as ports:
        source = keyed(ports)
        assert ports.open_payment(order(h.ids[account], 100, source, key)).processing
    h.charge(key)
    with h.turn() as ports:
        result = ports.payment_result(key)
    assert result.approved and result.keep_token
    return replace(source, token=result.keep_token)


def order(account_id: int, cents: int, source: PaymentSource, key: str,
          on: date | None = None, call_sid: str = "CA1") -> PaymentOrder:
    """A payment of ``cents`` now (or on ``on``); from a bank account, with the telephone
    authorisation the flow reads before it."""
    return PaymentOrder(account_id=account_id, amount_cents=cents, fee_cents=0, source=source,
                        idempotency_key=key, call_sid=call_sid, notify_number=CALLER,
                        scheduled_for=on,
                        authorization_text=TEL_TEXT if source.is_bank else None,
                        authorization_key="1" if source.is_bank else None)


def pay_now(h: Harness, account: str, cents: int, key: str, number: str = VISA,
            call_sid: str = "CA1") -> ChargeResult:
    """Open a card payment in one turn, charge it, and read its result in the next."""
    with h.turn() as ports:
        opened = ports.open_payment(order(h.ids[account], cents,
                                          card(ports, number, call_sid), key,
                                          call_sid=call_sid))
    if not opened.processing:
        return opened
    h.charge(key)
    with h.turn() as ports:
        return ports.payment_result(key)


def summary(h: Harness, account: str) -> AccountSummary:
    """The account as the flow sees it now."""
    with h.turn() as ports:
        return ports.get_account(h.ids[account])


def is_confirmation(number: str | None) -> bool:
    """Ten digits."""
    return number is not None and number.isdigit() and len(number) == 10
