"""The call log as tests read it: a call's logged turns, turns made old by hand, and the
``ivr calls`` commands run against an app."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from click.testing import Result
from flask import Flask
from sqlalchemy import select, update

from ivr.db import db
from models import CallTurn, utcnow


def logged_turns(app: Flask, call_sid: str) -> list[CallTurn]:
    """The call's logged turns, in order (detached, to read after the transaction)."""
    with db.transaction(app) as session:
        return list(session.scalars(select(CallTurn).where(CallTurn.call_sid == call_sid)
                                    .order_by(CallTurn.turn)))


def turn_counts(app: Flask) -> dict[str, int]:
    """How many turns the call log holds for each call."""
    with db.transaction(app) as session:
        return dict(Counter(session.scalars(select(CallTurn.call_sid))))


def age_turns(app: Flask, call_sid: str, age: timedelta) -> None:
    """Make every logged turn of the call look logged ``age`` ago."""
    with db.transaction(app) as session:
        session.execute(update(CallTurn).where(CallTurn.call_sid == call_sid)
                        .values(created_at=utcnow() - age))


def calls(app: Flask, *args: str) -> Result:
    """Run ``ivr calls ARGS`` against ``app``."""
    return app.test_cli_runner().invoke(args=["calls", *args])
