"""Housekeeping for calls that ended without a status callback, keyed cards and the call log.

A call's saved state may hold payment details between webhooks: a card's brand and last
four, a gateway token to keep a method on file, and the digest of a first bank account entry
(in its payment draft). The status callback drops
them when the call ends; if that callback never comes, they would stay for good. Likewise a
card being keyed waits, encrypted, in the card store (:mod:`ivr.security.card_store`) until
it is authorised. Every server worker runs :class:`Housekeeper` from its SMS outbox thread,
so both expire anyway: abandoned calls after an hour, card entries after 15 minutes. It
also prunes the call log to its retention (``IVR_CALL_LOG_DAYS``,
:func:`ivr.ops.call_log.prune_call_log`), so a line whose operator never runs ``ivr calls
prune`` still keeps no more of it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from flows.state import CallState, Step
from ivr.db import SessionFactory, transaction
from ivr.ops.call_log import prune_call_log
from ivr.payments import charges
from ivr.security import card_store
from ivr.settings_values import CALL_LOG_DAYS
from models import CallSession, utcnow

log = logging.getLogger(__name__)

# No webhook for this long: Twilio has long given up on the call (gathers time out in seconds).
ABANDONED_AFTER = timedelta(hours=1)
HOUSEKEEPING_EVERY = 300.0  # seconds between runs in each worker
# Call log turns one run deletes at most: it runs on the SMS outbox's thread, which must get
# back to texting soon after a retention is shortened on a large log (the rest go in the
# next runs; 10,000 every 5 minutes in each worker is ~2.9 million a day).
PRUNE_PER_RUN = 10_000
ABANDONED = "abandoned"  # call_sessions.state of a call closed here
_BATCH = 200


def forget_abandoned_calls(sessions: SessionFactory, now: datetime | None = None) -> int:
    """Drop payment details from calls idle for over an hour and not ended; mark them ended.

    Returns how many calls were closed. Rows another worker holds are skipped (SKIP LOCKED
    on PostgreSQL); it is closing them, or the next run will.
    """
    now = now or utcnow()
    closed = 0
    while True:
        with transaction(sessions) as session:
            calls = session.scalars(
                select(CallSession)
                .where(CallSession.ended_at.is_(None),
                       CallSession.updated_at < now - ABANDONED_AFTER)
                .order_by(CallSession.updated_at).limit(_BATCH)
                .with_for_update(skip_locked=True)).all()
            for call in calls:
                _forget(session, call, now)
        closed += len(calls)
        if len(calls) < _BATCH:
            return closed


def _forget(session: Session, call: CallSession, now: datetime) -> None:
    """What ``ivr.web.calls.close_call`` does, and a late webhook for the call hears goodbye."""
    card_store.delete(session, call.call_sid)
    charges.forget_keep_tokens(session, call.call_sid)
    if call.flow_state:
        state = CallState.from_dict(call.flow_state)
        state.forget_payment_details()
        state.step = Step.ENDED
        call.flow_state = state.to_dict()
    call.state = ABANDONED
    call.ended_at = now


def expire_card_entries(sessions: SessionFactory, now: datetime | None = None) -> int:
    """Delete card entries older than :data:`card_store.MAX_AGE`; how many went."""
    with transaction(sessions) as session:
        return card_store.sweep(session, now or utcnow())


class Housekeeper:
    """Runs :func:`forget_abandoned_calls`, :func:`expire_card_entries` and
    :func:`~ivr.ops.call_log.prune_call_log` (keeping ``call_log_days``, deleting at most
    ``prune_most`` turns a run) at most once every ``every`` seconds; never raises."""

    def __init__(self, sessions: SessionFactory, every: float = HOUSEKEEPING_EVERY,
                 clock: Callable[[], float] = time.monotonic,
                 call_log_days: int = CALL_LOG_DAYS, prune_most: int = PRUNE_PER_RUN) -> None:
        self.sessions = sessions
        self.every = every
        self.call_log_days = call_log_days
        self.prune_most = prune_most
        self._clock = clock
        self._next_run = clock()  # the first run is due at once

    def maybe_run(self) -> None:
        """Forget abandoned calls and expired cards, and prune the call log, if the last run
        was long enough ago."""
        if self._clock() < self._next_run:
            return
        self._next_run = self._clock() + self.every
        self._expire_cards()  # first: an outage of the call sweep must not keep cards longer
        self._prune_call_log()
        try:
            closed = forget_abandoned_calls(self.sessions)
        except Exception:
            log.exception("forgetting abandoned calls failed; will try again")
            return
        if closed:
            log.info("closed %d abandoned calls and dropped their payment details", closed)

    def _expire_cards(self) -> None:
        """One run of :func:`expire_card_entries`, logged; an error waits for the next run."""
        try:
            expired = expire_card_entries(self.sessions)
        except Exception:
            log.exception("expiring card entries failed; will try again")
            return
        if expired:
            log.info("deleted %d card entries keyed over 15 minutes ago", expired)

    def _prune_call_log(self) -> None:
        """One run of :func:`~ivr.ops.call_log.prune_call_log`, logged; an error waits for
        the next run."""
        try:
            deleted = prune_call_log(self.sessions, self.call_log_days, most=self.prune_most)
        except Exception:
            log.exception("pruning the call log failed; will try again")
            return
        if deleted:
            log.info("deleted %d call log turns older than %d days", deleted,
                     self.call_log_days)
