"""Writing the audit trail (PCI DSS 10.2). Never pass a card number, security code or PIN."""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from models import AuditEvent, utcnow

log = logging.getLogger("ivr.audit")


def record(session: Session, actor: str, action: str, outcome: str, *,
           account_id: int | None = None, origin: str | None = None,
           detail: str | None = None) -> AuditEvent:
    """Add an audit event to the caller's transaction and mirror it to the ``ivr.audit`` log."""
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
