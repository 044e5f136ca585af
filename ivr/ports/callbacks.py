"""The port that keeps callers' requests to be called back by an agent."""

from __future__ import annotations

from sqlalchemy import select

from ivr.ports.base import PortBase
from models import CallbackRequest


class CallbackPorts(PortBase):
    """Callback requests, one a call."""

    def request_callback(self, account_id: int | None, number: str, call_sid: str,
                         verified: bool) -> None:
        """Keep the request; a second one from the same call changes nothing (the call's
        row is locked for the turn, and ``call_sid`` is unique besides)."""
        found = self.session.scalar(select(CallbackRequest.id)
                                    .where(CallbackRequest.call_sid == call_sid))
        if found is not None:
            return
        self.session.add(CallbackRequest(call_sid=call_sid, account_id=account_id,
                                         verified=verified, phone=number))
