"""What the line's call log says of a simulated call: its turns, read in process once the
call is over (the app's own database is in reach only there)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from ivr.db import db
from ivr.sim.transport import InProcessTransport, Transport
from models import CallTurn


@dataclass(frozen=True)
class LoggedTurn:
    """One turn as the call log has it: the step it was taken at (None for the call's
    start), the step it ended at, the steps it moved through on the way, in order, and the
    menu option chosen (``Option.name``), if any."""

    before: str | None
    after: str
    moved: tuple[str, ...] = ()
    option: str | None = None

    def path(self) -> list[str]:
        """Every step of the turn in order, from where it was taken to where it ended."""
        first = [self.before] if self.before is not None else []
        return [*first, *self.moved]


def logged_turns(transport: Transport, call_sid: str) -> tuple[LoggedTurn, ...] | None:
    """The call's turns, oldest first; None when the call log is out of reach (a server at
    a URL, or an app that is not the line: a test's stand-in for a webhook server)."""
    # Only the line's own app has a gateway (a stand-in may have a database, but no log).
    if not isinstance(transport, InProcessTransport) or \
            "ivr_gateway" not in transport.app.extensions:
        return None
    query = select(CallTurn).where(CallTurn.call_sid == call_sid).order_by(CallTurn.turn)
    with db.transaction(transport.app) as session:
        return tuple(LoggedTurn(row.step_before, row.step_after, tuple(row.moved or ()),
                                row.option) for row in session.scalars(query))
