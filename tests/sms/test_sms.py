"""The SMS outbox: queueing, backends, claiming, retries and the background worker."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

import pytest
import requests
import requests_mock as rm
from flask import Flask
from sqlalchemy import select

from ivr.config import DEV_AUTH_TOKEN
from ivr.db import db
from ivr.errors import ConfigError, SmsSendError
from ivr.ops import background
from ivr.ops.background import OutboxWorker
from ivr.sms import outbox as sms
from ivr.sms.backends import ConsoleBackend, make_sms_backend
from ivr.sms.outbox import DrainResult, claim, drain_outbox, queue_text
from ivr.sms.twilio import PERMANENT_CODES, TwilioBackend
from models import SmsMessage
from tests.app_helpers import settings_with

SID = "AC" + "1" * 32
TOKEN = "s3cret-auth-token"
FROM = "+14155550111"
MESSAGES_URL = f"https://api.twilio.com/2010-04-01/Accounts/{SID}/Messages.json"
NOW = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)
PUBLIC_URL = "https://pay.example.com"
TWILIO_CONFIG = {"IVR_SMS_BACKEND": "twilio", "IVR_SMS_FROM": FROM,
                 "TWILIO_ACCOUNT_SID": SID, "TWILIO_AUTH_TOKEN": TOKEN,
                 "IVR_PUBLIC_URL": PUBLIC_URL}


class RecordingBackend:
    """Records every send; optionally fails or runs a hook while 'sending'."""

    name = "recording"

    def __init__(self, fail_with: Exception | None = None) -> None:
        self.sent: list[tuple[str, str]] = []
        self.fail_with = fail_with
        self.during_send = lambda: None
        self.lock = threading.Lock()

    def send(self, to: str, body: str) -> str:
        self.during_send()
        if self.fail_with is not None:
            raise self.fail_with
        with self.lock:
            self.sent.append((to, body))
            return f"rec-{len(self.sent)}"


def queue(app: Flask, *bodies: str, at: datetime = NOW) -> list[int]:
    """Queue one message per body, due at ``at``; return their ids."""
    with db.transaction(app) as session:
        messages = [queue_text(session, "+14155550100", body) for body in bodies]
        for message in messages:
            message.next_attempt_at = at
        session.flush()
        return [m.id for m in messages]


def message(app: Flask, message_id: int) -> SmsMessage:
    """Reload one outbox row."""
    with db.transaction(app) as session:
        found = session.get(SmsMessage, message_id)
        assert found is not None
        return found


def test_queue_text_joins_the_callers_transaction(app: Flask) -> None:
    with pytest.raises(RuntimeError), db.transaction(app) as session:
        queue_text(session, "+14155550100", "lost")
        raise RuntimeError("call failed")
    [message_id] = queue(app, "kept")

    with db.transaction(app) as session:
        rows = session.scalars(select(SmsMessage)).all()
    assert [(r.id, r.body, r.status, r.attempts) for r in rows] == [(message_id, "kept",
                                                                    "queued", 0)]


@pytest.mark.parametrize("to", ["4155550100", "+1 415 555 0100", "", "+0123456789"])
def test_queue_text_needs_e164(app: Flask, to: str) -> None:
    with db.transaction(app) as session, pytest.raises(ValueError):
        queue_text(session, to, "hi")


def test_console_backend_logs_and_drain_marks_sent(app: Flask,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    [message_id] = queue(app, "Payment received")
    caplog.set_level(logging.INFO, logger="ivr.sms")

    result = drain_outbox(db.sessions(app), ConsoleBackend(), now=NOW)

    assert result == DrainResult(sent=1, failed=0, retried=0)
    assert "SMS to +14155550100: Payment received" in caplog.text
    row = message(app, message_id)
    assert (row.status, row.sent_at, row.attempts) == ("sent", NOW, 0)
    assert row.provider_sid is not None and row.provider_sid.startswith("console-")
    assert drain_outbox(db.sessions(app), ConsoleBackend(), now=NOW) == DrainResult()


def test_drain_skips_messages_not_yet_due(app: Flask) -> None:
    queue(app, "later", at=NOW + timedelta(seconds=1))
    backend = RecordingBackend()

    assert drain_outbox(db.sessions(app), backend, now=NOW) == DrainResult()
    assert drain_outbox(db.sessions(app), backend, now=NOW + timedelta(seconds=1)).sent == 1


def test_drain_respects_limit_and_accepts_a_sessionmaker(app: Flask) -> None:
    queue(app, "a", "b", "c")
    backend = RecordingBackend()

    assert drain_outbox(app.extensions["ivr_db"], backend, now=NOW, limit=2).sent == 2
    assert [body for _, body in backend.sent] == ["a", "b"]


def test_twilio_backend_sends_through_the_api(app: Flask, requests_mock: rm.Mocker) -> None:
    requests_mock.post(MESSAGES_URL, status_code=201,
                       json={"sid": "SM" + "a" * 32, "status": "queued", "account_sid": SID})
    [message_id] = queue(app, "Paid $12.50")

    result = drain_outbox(db.sessions(app), make_sms_backend(settings_with(TWILIO_CONFIG)), now=NOW)

    assert result == DrainResult(sent=1)
    sent = requests_mock.request_history[0]
    assert parse_qs(sent.text) == {"To": ["+14155550100"], "From": [FROM], "Body": ["Paid $12.50"],
                                   "StatusCallback": [f"{PUBLIC_URL}/sms/status"]}
    assert sent.headers["Authorization"].startswith("Basic ")
    row = message(app, message_id)
    assert (row.status, row.provider_sid, row.sent_at) == ("sent", "SM" + "a" * 32, NOW)


def twilio_error_body(status: int, code: int, message: str) -> dict[str, object]:
    """An error body shaped like the ones Twilio's REST API returns."""
    return {"code": code, "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}", "status": status}


CREATE_TIME_PERMANENT = [21211, 21265, 21408, 21606, 21610, 21612, 21614, 21617, 21635]


@pytest.mark.parametrize("code", CREATE_TIME_PERMANENT)
def test_permanent_twilio_error_fails_after_one_request(app: Flask, requests_mock: rm.Mocker,
                                                        code: int) -> None:
    requests_mock.post(MESSAGES_URL, status_code=400,
                       json=twilio_error_body(400, code, "The message cannot be sent."))
    [message_id] = queue(app, "hello")
    backend = make_sms_backend(settings_with(TWILIO_CONFIG))

    assert drain_outbox(db.sessions(app), backend, now=NOW) == DrainResult(failed=1)

    row = message(app, message_id)
    assert (row.status, row.attempts, row.error_code, row.sent_at) == ("failed", 1, str(code),
                                                                       None)
    assert row.last_error == f"{code}: {PERMANENT_CODES[code]}; not retried"
    assert drain_outbox(db.sessions(app), backend, now=NOW + timedelta(days=1)) == DrainResult()
    assert len(requests_mock.request_history) == 1


def test_unsubscribed_recipient_says_why_in_plain_words(app: Flask,
                                                        requests_mock: rm.Mocker) -> None:
    requests_mock.post(MESSAGES_URL, status_code=400, json=twilio_error_body(
        400, 21610, "Attempt to send to unsubscribed recipient"))
    [message_id] = queue(app, "Paid $12.50")

    drain_outbox(db.sessions(app), make_sms_backend(settings_with(TWILIO_CONFIG)), now=NOW)

    row = message(app, message_id)
    assert row.last_error == "21610: recipient has unsubscribed (replied STOP); not retried"
    assert row.error_code == "21610"


@pytest.mark.parametrize(("status", "code"), [(429, 20429), (500, 20500), (503, 20503),
                                              (401, 20003), (400, 21608)])
def test_transient_twilio_errors_retry_with_backoff_then_fail(
        app: Flask, requests_mock: rm.Mocker, status: int, code: int) -> None:
    requests_mock.post(MESSAGES_URL, status_code=status,
                       json=twilio_error_body(status, code, "Try again later"))
    [message_id] = queue(app, "hello")
    backend = make_sms_backend(settings_with(TWILIO_CONFIG))
    now, delays = NOW, []

    for attempt in range(1, 5):
        assert drain_outbox(db.sessions(app), backend, now=now) == DrainResult(retried=1)
        row = message(app, message_id)
        assert (row.status, row.attempts, row.error_code) == ("queued", attempt, str(code))
        last_error = row.last_error or ""
        assert f"HTTP {status} error {code}" in last_error and last_error.endswith("will retry")
        assert TOKEN not in last_error
        delays.append(row.next_attempt_at - now)
        early = row.next_attempt_at - timedelta(seconds=1)
        assert drain_outbox(db.sessions(app), backend, now=early) == \
            DrainResult()
        now = row.next_attempt_at

    assert drain_outbox(db.sessions(app), backend, now=now) == DrainResult(failed=1)
    assert delays == [timedelta(seconds=s) for s in (30, 60, 120, 240)]
    row = message(app, message_id)
    assert (row.status, row.attempts, row.sent_at, row.error_code) == ("failed", 5, None,
                                                                      str(code))
    assert (row.last_error or "").endswith("gave up after 5 attempts")
    assert len(requests_mock.request_history) == 5
    assert drain_outbox(db.sessions(app), backend, now=now + timedelta(days=1)) == DrainResult()


def test_retry_that_succeeds_clears_the_error(app: Flask, requests_mock: rm.Mocker) -> None:
    requests_mock.post(MESSAGES_URL, [
        {"status_code": 429, "json": twilio_error_body(429, 20429, "Too Many Requests")},
        {"status_code": 201, "json": {"sid": "SM" + "b" * 32, "status": "queued"}},
    ])
    [message_id] = queue(app, "hello")
    backend = make_sms_backend(settings_with(TWILIO_CONFIG))

    assert drain_outbox(db.sessions(app), backend, now=NOW) == DrainResult(retried=1)
    assert message(app, message_id).error_code == "20429"
    assert drain_outbox(db.sessions(app), backend, now=NOW + timedelta(seconds=30)) == \
        DrainResult(sent=1)

    row = message(app, message_id)
    assert (row.status, row.attempts, row.error_code, row.last_error) == ("sent", 1, None, None)


def test_error_without_a_twilio_code_is_retried_without_one(app: Flask,
                                                            requests_mock: rm.Mocker) -> None:
    requests_mock.post(MESSAGES_URL, status_code=502, text="<html>Bad Gateway</html>")
    [message_id] = queue(app, "hello")

    backend = make_sms_backend(settings_with(TWILIO_CONFIG))
    assert drain_outbox(db.sessions(app), backend, now=NOW) == DrainResult(retried=1)

    row = message(app, message_id)
    assert (row.status, row.error_code) == ("queued", None)
    assert (row.last_error or "").startswith("Twilio HTTP 502 error without a code")


@pytest.mark.parametrize("exc", [requests.ConnectionError(f"boom {MESSAGES_URL}"),
                                 requests.ReadTimeout(f"slow {MESSAGES_URL}")])
def test_network_errors_are_transient(app: Flask, requests_mock: rm.Mocker,
                                      exc: Exception) -> None:
    requests_mock.post(MESSAGES_URL, exc=exc)
    [message_id] = queue(app, "hello")

    backend = make_sms_backend(settings_with(TWILIO_CONFIG))
    assert drain_outbox(db.sessions(app), backend, now=NOW) == DrainResult(retried=1)

    row = message(app, message_id)
    assert (row.status, row.error_code) == ("queued", None)
    assert row.last_error == f"could not reach Twilio ({type(exc).__name__}); will retry"


def test_twilio_network_error_becomes_send_error(requests_mock: rm.Mocker) -> None:
    requests_mock.post(MESSAGES_URL, exc=requests.ConnectionError(f"boom {MESSAGES_URL}"))

    with pytest.raises(SmsSendError, match=r"could not reach Twilio \(ConnectionError\)") as info:
        TwilioBackend(SID, TOKEN, FROM).send("+14155550100", "hi")
    assert (info.value.code, info.value.permanent) == (None, False)


def test_permanent_error_from_any_backend_is_not_retried(app: Flask) -> None:
    [message_id] = queue(app, "hi")
    backend = RecordingBackend(fail_with=SmsSendError("no such number", code="X1",
                                                      permanent=True))

    assert drain_outbox(db.sessions(app), backend, now=NOW) == DrainResult(failed=1)

    row = message(app, message_id)
    assert (row.status, row.attempts, row.error_code, row.last_error) == (
        "failed", 1, "X1", "no such number; not retried")


def test_unexpected_backend_error_requeues(app: Flask) -> None:
    [message_id] = queue(app, "hi")

    result = drain_outbox(db.sessions(app), RecordingBackend(fail_with=KeyError("x")), now=NOW)

    assert result == DrainResult(retried=1)
    row = message(app, message_id)
    assert (row.status, row.last_error, row.error_code) == (
        "queued", "backend error (KeyError); will retry", None)


def test_claimed_message_is_not_claimed_or_sent_again(app: Flask) -> None:
    [message_id] = queue(app, "once")

    assert claim(db.sessions(app), message_id, NOW) == ("+14155550100", "once")
    assert claim(db.sessions(app), message_id, NOW) is None
    backend = RecordingBackend()
    assert drain_outbox(db.sessions(app), backend, now=NOW) == DrainResult()
    assert backend.sent == [] and message(app, message_id).status == "sending"


def test_second_drainer_during_a_send_skips_the_claimed_message(app: Flask) -> None:
    queue(app, "one", "two")
    outer, other = RecordingBackend(), RecordingBackend()
    inner: list[DrainResult] = []
    # While the first drainer is sending "one", another worker drains the same outbox.
    outer.during_send = lambda: inner.append(drain_outbox(db.sessions(app), other, now=NOW))

    assert drain_outbox(db.sessions(app), outer, now=NOW) == DrainResult(sent=1)

    assert inner == [DrainResult(sent=1)]
    assert [body for _, body in outer.sent] == ["one"]
    assert [body for _, body in other.sent] == ["two"]


def test_concurrent_drainers_send_each_message_once(app: Flask) -> None:
    queue(app, *[f"m{i}" for i in range(20)])
    backend = RecordingBackend()
    backend.during_send = lambda: time.sleep(0.005)
    results: list[DrainResult] = []

    def drain() -> None:
        results.append(drain_outbox(db.sessions(app), backend, now=NOW))

    threads = [threading.Thread(target=drain) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(body for _, body in backend.sent) == sorted(f"m{i}" for i in range(20))
    assert sum(r.sent for r in results) == 20


def test_message_stuck_in_sending_is_recovered(app: Flask) -> None:
    stuck, recent = queue(app, "stuck", "recent", at=NOW - timedelta(hours=1))
    assert claim(db.sessions(app), stuck, NOW - timedelta(minutes=11)) is not None
    assert claim(db.sessions(app), recent, NOW - timedelta(minutes=5)) is not None
    backend = RecordingBackend()

    assert drain_outbox(db.sessions(app), backend, now=NOW) == DrainResult()
    row = message(app, stuck)
    assert (row.status, row.attempts) == ("queued", 1)
    assert "worker stopped" in (row.last_error or "")
    assert message(app, recent).status == "sending"

    assert drain_outbox(db.sessions(app), backend, now=NOW + timedelta(seconds=30)).sent == 1
    assert backend.sent == [("+14155550100", "stuck")]


def test_make_sms_backend() -> None:
    assert isinstance(make_sms_backend(settings_with({})), ConsoleBackend)
    console = make_sms_backend(settings_with({"IVR_SMS_BACKEND": "console"}))
    assert isinstance(console, ConsoleBackend)
    backend = make_sms_backend(settings_with(TWILIO_CONFIG))
    assert isinstance(backend, TwilioBackend) and backend.from_number == FROM


@pytest.mark.parametrize(("overrides", "match"), [
    ({"IVR_SMS_FROM": ""}, "IVR_SMS_FROM"),
    ({"IVR_SMS_FROM": "(415) 555-0111"}, "E.164"),
    ({"TWILIO_AUTH_TOKEN": DEV_AUTH_TOKEN}, "TWILIO_AUTH_TOKEN"),
    ({"IVR_SMS_BACKEND": "carrier-pigeon"}, "'console' or 'twilio'"),
    ({"IVR_PUBLIC_URL": ""}, "^IVR_PUBLIC_URL must be set with IVR_SMS_BACKEND=twilio"),
])
def test_make_sms_backend_config_errors(overrides: dict[str, str], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        make_sms_backend(settings_with(TWILIO_CONFIG | overrides))


def wait_for(condition: Callable[[], object], timeout: float = 5.0) -> bool:
    """Poll ``condition()`` until true or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


def test_outbox_worker_sends_and_survives_errors(app: Flask,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    real_drain, calls = background.drain_outbox, []

    def flaky_drain(*args: Any, **kwargs: Any) -> DrainResult:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("database went away")
        return real_drain(*args, **kwargs)

    monkeypatch.setattr(background, "drain_outbox", flaky_drain)
    backend = RecordingBackend()
    worker = OutboxWorker(db.sessions(app), backend, interval=0.02)
    worker.start()
    try:
        queue(app, "from the worker", at=datetime.now(UTC))
        assert wait_for(lambda: backend.sent)
    finally:
        worker.stop()
    assert len(calls) >= 2
    assert worker._thread is not None and not worker._thread.is_alive()


def test_a_long_drain_reads_the_clock_for_each_message(app: Flask,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Each send takes 6 minutes: every message is claimed and marked sent at its own time,
    so no claim is made on a stale clock that another worker's could take over."""
    clock = [NOW]

    class SlowBackend(RecordingBackend):
        def send(self, to: str, body: str) -> str:
            clock[0] += timedelta(minutes=6)
            return super().send(to, body)

    monkeypatch.setattr(sms, "utcnow", lambda: clock[0])
    ids = queue(app, "one", "two", "three")
    assert drain_outbox(db.sessions(app), SlowBackend()) == DrainResult(sent=3)
    assert [message(app, i).sent_at for i in ids] == [
        NOW, NOW + timedelta(minutes=6), NOW + timedelta(minutes=12)]
