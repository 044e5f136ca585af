"""The call log: each answered turn written beside the call's state, in the same transaction.

A redelivered webhook replays the saved answer and adds nothing; a turn that fails writes
nothing (its transaction is rolled back with everything else it did). What the caller keyed
is kept as :mod:`flows.logged` allows: never a secret's digits.
"""

from __future__ import annotations

import os
import socket
import time

from sqlalchemy import insert
from sqlalchemy.orm import Session

from flows.logged import logged_input
from flows.state import CallState, Event, Reply, Step
from models import CallSession, CallTurn, utcnow


def worker_name() -> str:
    """This worker, as an operator finds it: host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"[:80]


# One INSERT a turn, built once; no object for the unit of work to track (nothing reads it back).
_ADD_TURN = insert(CallTurn.metadata.tables[CallTurn.__tablename__])


def prompt_ids(reply: Reply) -> list[str]:
    """The catalog ids of everything ``reply`` says, in order."""
    asked = reply.ask.prompts if reply.ask is not None else []
    return [prompt.id for prompt in [*reply.say, *asked]]


def record_turn(session: Session, call: CallSession, before: Step | None, event: Event | None,
                state: CallState, reply: Reply, started: float) -> None:
    """Add ``call``'s turn just answered: from ``before`` (None at the call's start) to
    where ``state`` now is, by the steps and the option ``state`` noted this turn, with
    ``reply``; ``started`` is ``time.monotonic()`` when its request arrived."""
    logged = logged_input(before, event, state.step, state.language)
    session.execute(_ADD_TURN, dict(
        call_sid=call.call_sid, turn=call.turn, step_before=str(before) if before else None,
        step_after=str(state.step), moved=list(state.moved), option=state.chosen,
        input_kind=logged.kind, entry=logged.entry,
        prompts=prompt_ids(reply), language=state.language,
        response_ms=round((time.monotonic() - started) * 1000), worker=worker_name(),
        created_at=utcnow()))
