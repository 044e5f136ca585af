"""The background thread of every server worker: drain the SMS outbox, expire stale calls."""

from __future__ import annotations

import logging
import threading

from ivr.db import SessionFactory
from ivr.ops.housekeeping import Housekeeper
from ivr.settings_values import CALL_LOG_DAYS
from ivr.sms.backends import SmsBackend
from ivr.sms.outbox import drain_outbox

log = logging.getLogger(__name__)


class OutboxWorker:
    """A daemon thread draining the outbox every ``interval`` seconds; it never dies.

    It also runs the worker's housekeeping, which keeps ``call_log_days`` of the call log.
    """

    def __init__(self, sessions: SessionFactory, backend: SmsBackend,
                 interval: float = 2.0, call_log_days: int = CALL_LOG_DAYS) -> None:
        self.sessions = sessions
        self.interval = interval
        self.backend = backend
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        # This thread runs in every server worker.
        self._housekeeper = Housekeeper(sessions, call_log_days=call_log_days)

    def start(self) -> None:
        """Start draining in the background (once)."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="sms-outbox", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Ask the thread to finish its current drain and wait up to ``timeout`` seconds."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._housekeeper.maybe_run()
            try:
                result = drain_outbox(self.sessions, self.backend)
            except Exception:
                log.exception("SMS outbox drain failed; will try again")
                continue
            if result.sent or result.failed or result.retried:
                log.info("SMS outbox: sent %s, failed %s, will retry %s",
                         result.sent, result.failed, result.retried)
