"""Text messages through an outbox: queued in the caller's transaction, sent later.

Calls never wait on the SMS provider. ``drain_outbox`` claims each due message
with a conditional UPDATE committed before sending (picking it with ``FOR UPDATE
SKIP LOCKED`` on PostgreSQL), so several workers, on several machines, can drain
at once without sending anything twice. A permanent provider error (see
``ivr.sms.twilio.PERMANENT_CODES``) fails the message at once; others back off.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ivr.db import SessionFactory, transaction
from ivr.errors import SmsSendError
from ivr.sms.backends import E164, SmsBackend
from models.base import utcnow
from models.sms import FAILED, QUEUED, SENDING, SENT, SmsMessage

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
RETRY_BASE = timedelta(seconds=30)
# A message still "sending" after this long belongs to a worker that died mid-send.
SENDING_LEASE = timedelta(minutes=10)
_MAX_ERROR = 200


def queue_text(session: Session, to_e164: str, body: str) -> SmsMessage:
    """Add a text to the outbox in the caller's transaction; it is sent after commit."""
    if not E164.fullmatch(to_e164):
        raise ValueError("SMS recipient must be an E.164 number")
    if not body:
        raise ValueError("SMS body must not be empty")
    message = SmsMessage(to_number=to_e164, body=body, status=QUEUED, attempts=0,
                         next_attempt_at=utcnow())
    session.add(message)
    return message


@dataclass(frozen=True)
class DrainResult:
    """What one drain did: sent now, given up on now, and failed but to be retried."""

    sent: int = 0
    failed: int = 0
    retried: int = 0


def drain_outbox(sessions: SessionFactory, backend: SmsBackend, now: datetime | None = None,
                 limit: int = 100) -> DrainResult:
    """Send up to ``limit`` due messages once each, in transactions of ``sessions``.

    Each message is claimed just before it is sent, so drains running at once in
    several processes or machines split the outbox between them. The clock is read at
    each claim (``now`` fixes it for tests), so a long drain never claims with a stale time
    a message whose lease another worker could take over.
    """
    _recover_stuck(sessions, now or utcnow())
    outcomes: list[str | None] = []
    while len(outcomes) < limit:
        moment = now or utcnow()
        claimed = claim_next(sessions, moment)
        if claimed is None:
            break
        outcomes.append(_send_claimed(sessions, backend, claimed, moment))
    return DrainResult(sent=outcomes.count(SENT), failed=outcomes.count(FAILED),
                       retried=outcomes.count(QUEUED))


class Claim(NamedTuple):
    """A message this worker moved to ``sending`` and now has to send."""

    id: int
    to: str
    body: str


def claim_next(sessions: SessionFactory, now: datetime) -> Claim | None:
    """Claim the next due message, or None when nothing is due (or all is being claimed).

    On PostgreSQL the candidate row is picked with ``FOR UPDATE SKIP LOCKED``, so
    concurrent drainers each take a different row instead of waiting on one
    another; SQLite has no row locks (its transactions here take the write lock at
    BEGIN). Either way the conditional UPDATE in ``_claim_in`` is what guarantees
    that only one caller wins a message.
    """
    with transaction(sessions) as session:
        due = select(SmsMessage.id).where(
            SmsMessage.status == QUEUED, SmsMessage.next_attempt_at <= now,
        ).order_by(SmsMessage.next_attempt_at, SmsMessage.id).limit(1)
        if session.get_bind().dialect.name == "postgresql":
            due = due.with_for_update(skip_locked=True)
        message_id = session.scalar(due)
        if message_id is None:
            return None
        claimed = _claim_in(session, message_id, now)
        return None if claimed is None else Claim(message_id, *claimed)


def claim(sessions: SessionFactory, message_id: int, now: datetime) -> tuple[str, str] | None:
    """Atomically move a due message from queued to sending; (to, body) if this caller won."""
    with transaction(sessions) as session:
        return _claim_in(session, message_id, now)


def _claim_in(session: Session, message_id: int, now: datetime) -> tuple[str, str] | None:
    result = session.execute(
        update(SmsMessage)
        .where(SmsMessage.id == message_id, SmsMessage.status == QUEUED,
               SmsMessage.next_attempt_at <= now)
        .values(status=SENDING, next_attempt_at=now + SENDING_LEASE)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return None
    row = session.execute(select(SmsMessage.to_number, SmsMessage.body)
                          .where(SmsMessage.id == message_id)).one()
    return row.to_number, row.body


def _send_claimed(sessions: SessionFactory, backend: SmsBackend, claimed: Claim,
                  now: datetime) -> str:
    try:
        provider_sid = backend.send(claimed.to, claimed.body)
    except SmsSendError as exc:
        return _record_failure(sessions, claimed.id, now, exc)
    except Exception as exc:
        # A backend bug must not leave the message stuck in "sending" until the lease ends.
        log.exception("SMS backend %s crashed sending message %s", type(backend).__name__,
                      claimed.id)
        return _record_failure(sessions, claimed.id, now,
                               SmsSendError(f"backend error ({type(exc).__name__})"))
    with transaction(sessions) as session:
        session.execute(
            update(SmsMessage).where(SmsMessage.id == claimed.id, SmsMessage.status == SENDING)
            .values(status=SENT, provider_sid=provider_sid[:64], sent_at=now, last_error=None,
                    error_code=None)
            .execution_options(synchronize_session=False))
    return SENT


def _record_failure(sessions: SessionFactory, message_id: int, now: datetime,
                    error: SmsSendError) -> str:
    with transaction(sessions) as session:
        message = session.get(SmsMessage, message_id)
        if message is None or message.status != SENDING:
            return QUEUED
        _fail(message, now, str(error), code=error.code, permanent=error.permanent)
        log.warning("SMS %s attempt %s failed: %s", message_id, message.attempts,
                    message.last_error)
        return message.status


def _fail(message: SmsMessage, now: datetime, error: str, code: str | None = None,
          permanent: bool = False) -> None:
    """Count a failed attempt: give up if permanent or after MAX_ATTEMPTS, else back off."""
    message.attempts += 1
    message.error_code = code[:16] if code else None
    if permanent or message.attempts >= MAX_ATTEMPTS:
        message.status = FAILED
        outcome = "not retried" if permanent else f"gave up after {message.attempts} attempts"
    else:
        message.status = QUEUED
        message.next_attempt_at = now + RETRY_BASE * 2 ** (message.attempts - 1)
        outcome = "will retry"
    message.last_error = f"{error[:_MAX_ERROR - 40]}; {outcome}"


def _recover_stuck(sessions: SessionFactory, now: datetime) -> None:
    """Requeue messages whose sending lease ran out; that counts as a failed attempt."""
    with transaction(sessions) as session:
        stuck = select(SmsMessage).where(SmsMessage.status == SENDING,
                                         SmsMessage.next_attempt_at <= now)
        for message in session.scalars(stuck.with_for_update(skip_locked=True)):
            log.warning("SMS %s was left sending by a worker that stopped; requeueing",
                        message.id)
            _fail(message, now, "worker stopped while sending; may have been sent")
