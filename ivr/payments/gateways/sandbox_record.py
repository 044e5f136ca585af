"""Where the sandbox gateway keeps what it charged, as a real gateway keeps it on its side.

In the app the record is a table (``sandbox_charges``) so every worker, machine and operator
command shares it; on its own (the simulator's ``<Pay>``, unit tests) it is kept in memory.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from flows.ports import DeclineReason
from ivr.errors import GatewayError
from ivr.payments.gateways.base import GatewayCharge
from models import SandboxCharge


@dataclass(frozen=True)
class Charged:
    """One request the sandbox carried out, as it keeps it."""

    key: str
    kind: str  # "card" | "bank"
    token: str
    amount_cents: int
    answer: GatewayCharge
    at: datetime = field(default_factory=lambda: datetime.now(UTC))  # when it was carried out


class ChargeRecord(Protocol):
    """Where the sandbox keeps what it charged."""

    def keep(self, charged: Charged) -> Charged:
        """Keep ``charged`` unless its key is taken; return what is kept under the key."""

    def find(self, key: str) -> Charged | None:
        """What was charged with this idempotency key, if anything."""


class MemoryRecord:
    """The record of one process, for the simulator and unit tests."""

    def __init__(self) -> None:
        self._charges: dict[str, Charged] = {}
        self._lock = threading.Lock()

    def keep(self, charged: Charged) -> Charged:
        """Keep the first request per key."""
        with self._lock:
            return self._charges.setdefault(charged.key, charged)

    def find(self, key: str) -> Charged | None:
        """The request kept under ``key``."""
        with self._lock:
            return self._charges.get(key)


class DatabaseRecord:
    """The record in the ``sandbox_charges`` table, shared by every worker and machine.

    Each write is its own short transaction: the gateway is a separate system, and is never
    called inside the line's own transactions.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def keep(self, charged: Charged) -> Charged:
        """Insert the request; a concurrent or earlier one with the same key wins."""
        try:
            with Session(self._engine) as session, session.begin():
                session.add(_row(charged))
            return charged
        except IntegrityError:
            pass
        kept = self.find(charged.key)
        if kept is None:
            raise GatewayError("sandbox: could not record the charge")
        return kept

    def find(self, key: str) -> Charged | None:
        """The request kept under ``key``."""
        with Session(self._engine) as session:
            row = session.get(SandboxCharge, key)
            return _charged(row) if row is not None else None


def _row(charged: Charged) -> SandboxCharge:
    answer = charged.answer
    return SandboxCharge(
        idempotency_key=charged.key, kind=charged.kind, token=charged.token,
        amount_cents=charged.amount_cents, approved=answer.approved, pending=answer.pending,
        decline_reason=answer.decline_reason.value if answer.decline_reason else None,
        reference=answer.reference, created_at=charged.at)


def _charged(row: SandboxCharge) -> Charged:
    reason = DeclineReason(row.decline_reason) if row.decline_reason else None
    # An approved charge's token is what keep() takes, as the in-memory answer says.
    answer = GatewayCharge(row.approved, row.reference, reason, row.pending,
                           reusable=row.token if row.approved else "")
    return Charged(row.idempotency_key, row.kind, row.token, row.amount_cents, answer,
                   row.created_at)
