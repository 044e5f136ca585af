"""A call's turns as the line's call log (``call_turns``) has them: read whole for ``ivr calls
replay``, and in process once a simulated call is over, for ``--coverage`` (the app's own
database is in reach only there)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.db import db
from ivr.sim.transport import InProcessTransport, Transport
from models import CallSession, CallTurn


@dataclass(frozen=True)
class Turn:
    """One logged turn: where the call was (``before``, None at its start) and went
    (``after``), what the caller did (``kind``, ``entry``: masked where secret, see
    :mod:`flows.logged`), the prompt ids the answer said, the call's language, the steps it
    moved through on the way, in order, and the menu option chosen (``Option.name``)."""

    number: int
    before: str | None
    after: str
    kind: str
    entry: str | None
    prompts: tuple[str, ...]
    language: str | None = None
    moved: tuple[str, ...] = ()
    option: str | None = None

    def answer(self) -> str:
        """Where the turn went and what it said: ``pin: ask.pin``."""
        return f"{self.after}: {', '.join(self.prompts) or '(nothing said)'}"

    def path(self) -> list[str]:
        """Every step of the turn in order, from where it was taken to where it ended."""
        first = [self.before] if self.before is not None else []
        return [*first, *self.moved]


def _turn(row: CallTurn) -> Turn:
    return Turn(row.turn, row.step_before, row.step_after, row.input_kind, row.entry,
                tuple(row.prompts or ()), row.language, tuple(row.moved or ()), row.option)


def _turns_of(session: Session, call_sid: str) -> tuple[Turn, ...]:
    """The call's turns, oldest first."""
    query = select(CallTurn).where(CallTurn.call_sid == call_sid).order_by(CallTurn.turn)
    return tuple(_turn(row) for row in session.scalars(query))


@dataclass(frozen=True)
class LoggedCall:
    """A call's numbers and its turns in order."""

    call_sid: str
    from_number: str | None
    to_number: str | None
    turns: tuple[Turn, ...]


def read_call(app: Flask, call_sid: str | None = None) -> LoggedCall | None:
    """The call ``call_sid`` (None: the only call in the database) with its turns, or None
    when there is no such call or it has no turns."""
    with db.transaction(app) as session:
        found = select(CallSession) if call_sid is None else \
            select(CallSession).where(CallSession.call_sid == call_sid)
        call = session.scalars(found.limit(1)).first()
        if call is None:
            return None
        turns = _turns_of(session, call.call_sid)
        return LoggedCall(call.call_sid, call.from_number, call.to_number, turns) \
            if turns else None


def logged_turns(transport: Transport, call_sid: str) -> tuple[Turn, ...] | None:
    """The call's turns, oldest first; None when the call log is out of reach (a server at
    a URL, or an app that is not the line: a test's stand-in for a webhook server)."""
    # Only the line's own app has a gateway (a stand-in may have a database, but no log).
    if not isinstance(transport, InProcessTransport) or \
            "ivr_gateway" not in transport.app.extensions:
        return None
    with db.transaction(transport.app) as session:
        return _turns_of(session, call_sid)
