"""The two floors a turn's cost is measured against, served in the same process the same way.

- The fixed floor: a bare Flask view answering fixed TwiML. What any webhook costs here
  (Flask, Werkzeug, the test client) before it does anything.
- The stateful floor: a bare Flask view that reads one row holding a call's state as JSON
  with ``SELECT ... FOR UPDATE``, and writes it back with one ``UPDATE``, in one
  transaction, in the same database as the line. The least a turn that keeps a call's state
  must do. On PostgreSQL it uses no pool pre-ping (a round trip a turn need not make); on
  SQLite it takes the write lock at BEGIN (SQLite's ``FOR UPDATE``), as the line does.

Each request carries the form a webhook carries, and the stateful floor's rows one call's
worth of state each, so its rows are as wide as a call's.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response
from sqlalchemy import JSON, Column, Engine, Integer, MetaData, Table, create_engine, select, update

from ivr.db import make_engine

TWIML = ('<?xml version="1.0" encoding="UTF-8"?><Response><Gather action="/voice/turn?t=2" '
         'numDigits="1" timeout="6"><Say language="en-US">To pay with a new card, press 1.'
         '</Say></Gather><Redirect>/voice/turn?t=2</Redirect></Response>')
ROWS = 100  # one per call in progress, reused in turn
_STATE = {"step": "pay_method", "account_id": 1, "language": "en-US", "turn": 0,
          "amount_cents": 1050, "attempts": {"pin": 0, "menu": 0}, "said": ["pay.method"] * 4}

_metadata = MetaData()
FLOOR_CALLS = Table("capacity_floor_calls", _metadata,
                    Column("id", Integer, primary_key=True), Column("state", JSON))


def floor_engine(url: str) -> Engine:
    """An engine as the line's, less what a stateful turn need not pay for."""
    return make_engine(url) if url.startswith("sqlite") else create_engine(url)


def fixed_app() -> Flask:
    """The fixed floor: ``POST /floor`` answers the same TwiML every time."""
    app = Flask("fixed_floor")

    @app.post("/floor")
    def answer() -> Response:
        return Response(TWIML, mimetype="text/xml")

    return app


def stateful_app(engine: Engine) -> Flask:
    """The stateful floor: ``POST /floor/<n>`` locks row ``n``'s JSON, writes it back
    changed, and answers fixed TwiML."""
    _metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(FLOOR_CALLS.delete())
        connection.execute(FLOOR_CALLS.insert(),
                           [{"id": number, "state": _STATE} for number in range(ROWS)])
    app = Flask("stateful_floor")

    @app.post("/floor/<int:number>")
    def answer(number: int) -> Response:
        with engine.begin() as connection:
            state: dict[str, Any] = connection.execute(
                select(FLOOR_CALLS.c.state).where(FLOOR_CALLS.c.id == number)
                .with_for_update()).scalar_one()
            connection.execute(update(FLOOR_CALLS).where(FLOOR_CALLS.c.id == number)
                               .values(state={**state, "turn": state["turn"] + 1}))
        return Response(TWIML, mimetype="text/xml")

    return app
