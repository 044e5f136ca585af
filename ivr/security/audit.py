"""Writing the audit trail (PCI DSS 10.2). Never pass a card number, security code or PIN."""

from __future__ import annotations

import logging
import socket

from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.db import locked
from models import Account, AuditEvent, utcnow

log = logging.getLogger("ivr.security.audit")


def record(session: Session, actor: str, action: str, outcome: str, *,
           account_id: int | None = None, origin: str | None = None,
           detail: str | None = None) -> AuditEvent:
    """Add an audit event to the caller's transaction and mirror it to this module's log."""
    event = AuditEvent(at=utcnow(), actor=actor[:64], action=action, outcome=outcome,
                       account_id=account_id, origin=origin[:100] if origin else None,
                       detail=detail)
    session.add(event)
    log.info("%s %s %s account=%s origin=%s %s", actor, action, outcome, account_id, origin,
             detail or "")
    return event


def caller_actor(number: str | None) -> str:
    """How a caller is named in the trail: by caller ID, or as withheld."""
    return f"caller:{number}" if number else "caller:withheld"


OPERATOR = "operator"
UNLOCKED = "unlocked"
NOT_LOCKED = "not_locked"


def operator_origin() -> str:
    """Where an operator command ran: this machine's host name."""
    return socket.gethostname()


def unlock_account(session: Session, account_number: str) -> str | None:
    """Lift an account's PIN lockout and clear its failure counters; audit it.

    Returns ``"unlocked"`` or ``"not_locked"`` (counters are cleared either way),
    or None when no account has that number.
    """
    account = session.scalars(
        locked(select(Account).where(Account.account_number == account_number))
    ).one_or_none()
    if account is None:
        return None
    now = utcnow()
    outcome = UNLOCKED if account.locked_until and account.locked_until > now else NOT_LOCKED
    account.locked_until = None
    account.failed_pin_attempts = 0
    account.pin_failure_window_start = None
    record(session, OPERATOR, "unlock", outcome, account_id=account.id,
           origin=operator_origin(), detail=f"account ending {account_number[-4:]}")
    return outcome
