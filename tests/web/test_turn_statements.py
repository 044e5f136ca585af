"""What each kind of turn asks of the database, kept within a budget: SQL statements, round
trips, pool checkouts and pings, counted per turn (never timed).

A budget is the count the turn reached when it was last made lighter. A turn that grows (a
query added to its path, an object loaded twice, a ping per checkout) fails here, with its
statements listed; one that shrinks may lower its budget.
"""

from __future__ import annotations

from dataclasses import astuple, dataclass

import pytest
from flask import Flask

from ivr.db import db
from tests.db_count_helpers import DatabaseCounts, counting
from tests.menu_helpers import (
    ALEX_SAVED_CHECKING,
    JORDAN_MAIN_MENU,
    JORDAN_NEW_CARD,
    JORDAN_PAY_NOW,
    JORDAN_PIN,
    MORE,
)
from tests.twilio_helpers import Answer, TwilioCaller

JORDAN_PHONE = "+14155550100"  # matched by caller ID to demo account 10001234
ALEX_PHONE = "+13125550142"  # shared by two demo accounts: keys its account number
UNKNOWN_PHONE = "+14155550111"  # no account's
NEW_CARD = ("4242424242424242", "1230", "123", "94105")
AUTHORISE, MORE_AFTER_PAYMENT, END_CALL = "1", "2", "9"


@dataclass(frozen=True)
class Turn:
    """A kind of turn: who calls, the keys pressed to reach it, the keys of the turn counted
    (None: the call's first request), and words its answer says."""

    caller: str
    before: tuple[str, ...]
    keys: str | None
    says: str


TURNS = {
    "call start": Turn(JORDAN_PHONE, (), None, "For the account ending in 1 2 3 4"),
    "call start, unknown caller": Turn(UNKNOWN_PHONE, (), None, "Enter your account number"),
    "account number": Turn(UNKNOWN_PHONE, (), "10001234", "Enter your PIN"),
    "PIN right": Turn(UNKNOWN_PHONE, ("10001234",), JORDAN_PIN, "To pay now by card"),
    "PIN wrong": Turn(UNKNOWN_PHONE, ("10001234",), "1111", "that PIN is not correct"),
    "menu: more options": Turn(JORDAN_PHONE, JORDAN_PAY_NOW, MORE, "To end this call"),
    "menu: balance": Turn(JORDAN_PHONE, JORDAN_MAIN_MENU, "1", "You owe"),
    "card number": Turn(JORDAN_PHONE, JORDAN_NEW_CARD, NEW_CARD[0], "expiration date"),
    # Both requests: the turn that writes the payment ahead, and the hold that charges it.
    "authorise, new card": Turn(JORDAN_PHONE, (*JORDAN_NEW_CARD, *NEW_CARD), AUTHORISE,
                                "has been approved"),
    "authorise, saved checking": Turn(ALEX_PHONE, ("30009012", "8024", ALEX_SAVED_CHECKING),
                                      AUTHORISE, "has been submitted"),
    "after the payment: more options": Turn(
        JORDAN_PHONE, (*JORDAN_NEW_CARD, *NEW_CARD, AUTHORISE), MORE_AFTER_PAYMENT,
        "To end this call"),
    "goodbye": Turn(JORDAN_PHONE, JORDAN_MAIN_MENU, END_CALL, "Goodbye"),
}


@dataclass(frozen=True)
class Budget:
    """The most a turn may ask: statements, round trips, pool checkouts (one a transaction)
    and pings of a pooled connection."""

    statements: int
    round_trips: int
    checkouts: int
    pings: int = 0


# (SQLite, PostgreSQL) per kind of turn. None pings the pool: a closed pooled connection is found
# by a transaction's first statement, which then runs again (tests/web/test_stale_connections.py).
BUDGETS: dict[str, tuple[Budget, Budget]] = {
    "call start": (Budget(7, 8, 1), Budget(6, 8, 1)),
    "call start, unknown caller": (Budget(6, 7, 1), Budget(5, 7, 1)),
    "account number": (Budget(6, 7, 1), Budget(5, 7, 1)),
    "PIN right": (Budget(9, 10, 1), Budget(8, 10, 1)),
    "PIN wrong": (Budget(8, 9, 1), Budget(7, 9, 1)),
    "menu: more options": (Budget(6, 7, 1), Budget(5, 7, 1)),
    "menu: balance": (Budget(6, 7, 1), Budget(5, 7, 1)),
    "card number": (Budget(8, 9, 1), Budget(7, 9, 1)),
    "authorise, new card": (Budget(39, 44, 5), Budget(34, 44, 5)),
    "authorise, saved checking": (Budget(37, 42, 5), Budget(32, 42, 5)),
    "after the payment: more options": (Budget(5, 6, 1), Budget(4, 6, 1)),
    "goodbye": (Budget(5, 6, 1), Budget(4, 6, 1)),
}


def take(app: Flask, turn: Turn) -> tuple[Answer, DatabaseCounts]:
    """Walk a new call to ``turn`` and take it, counting only the turn's own requests."""
    caller = TwilioCaller(app, caller=turn.caller)
    answer = caller.walk(*turn.before) if turn.keys is not None else None
    with counting(db.engine(app)) as counts:
        answer = caller.start() if answer is None else caller.press(answer, turn.keys or "")
    return answer, counts


@pytest.mark.parametrize("name", TURNS)
def test_a_turn_asks_no_more_of_the_database_than_its_budget(demo_app: Flask, name: str) -> None:
    answer, counts = take(demo_app, TURNS[name])
    assert answer.status == 200 and TURNS[name].says in answer.said, answer.said
    sqlite, postgresql = BUDGETS[name]
    budget = postgresql if counts.dialect == "postgresql" else sqlite
    reached = Budget(len(counts.statements), counts.round_trips, counts.checkouts, counts.pings)
    pairs = zip(astuple(reached), astuple(budget), strict=True)
    assert all(count <= most for count, most in pairs), (
        f"{name}: over its budget {budget}: {counts.summary()}")
