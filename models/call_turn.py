"""The call log: one row per answered webhook turn, for ``ivr calls show`` and ``replay``."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, utcnow


class CallTurn(Base):
    """One turn of a call: where it was and went, what the caller did, what they heard.

    ``input_kind`` is one of :data:`flows.logged.KINDS` (a key, an entry, speech, silence,
    a <Pay> or <Record> result, holding, or the call's start).

    ``entry`` is what the caller keyed or said, never a secret's digits: a PIN, card or
    bank number, security code, ZIP, callback number or an account number that matched
    no account is kept as its kind and length only (``<card number, 16 digits>``, see
    :mod:`flows.logged`). ``prompts`` are the catalog ids of what the answer said, in order.
    ``moved`` lists the steps the turn moved through, in order (a turn may pass one by: a
    transfer no agent can take goes by the agent step to the callback offer), and
    ``option`` names the menu option the caller chose, by key or by voice (``Option.name``,
    such as ``2 option.now_by_bank``), if any: what ``ivr call --coverage`` counts.
    ``response_ms`` is how long the worker took to answer; ``worker`` which one did.
    Written in the turn's own transaction, so a redelivered webhook adds no row.
    """

    __tablename__ = "call_turns"
    __table_args__ = (UniqueConstraint("call_sid", "turn"),)
    ENTRY_LENGTH: ClassVar[int] = 120
    OPTION_LENGTH: ClassVar[int] = 80

    id: Mapped[int] = mapped_column(primary_key=True)
    call_sid: Mapped[str] = mapped_column(ForeignKey("call_sessions.call_sid"))
    turn: Mapped[int] = mapped_column(Integer)
    step_before: Mapped[str | None] = mapped_column(String(40))
    step_after: Mapped[str] = mapped_column(String(40))
    moved: Mapped[list[str]] = mapped_column(JSON, default=list)
    option: Mapped[str | None] = mapped_column(String(OPTION_LENGTH))
    input_kind: Mapped[str] = mapped_column(String(16))
    entry: Mapped[str | None] = mapped_column(String(ENTRY_LENGTH))
    prompts: Mapped[list[str]] = mapped_column(JSON, default=list)
    language: Mapped[str | None] = mapped_column(String(16))
    response_ms: Mapped[int] = mapped_column(Integer, default=0)
    worker: Mapped[str] = mapped_column(String(80), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
