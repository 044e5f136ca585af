"""The real server: `ivr serve` with several gunicorn worker processes on one database.

Duplicate deliveries of the same webhook, sent at once over HTTP to different
worker processes, must all get the same answer and move money once.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, text
from twilio.request_validator import RequestValidator

from ivr.config import DEV_AUTH_TOKEN
from tests.concurrency import at_once

CALL_SID = "CA" + "5" * 32


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serving(database_url: str, cwd: Path, workers: int,
            **env: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`ivr serve --workers N` on the test database, with the demo accounts, once healthy."""
    port = free_port()
    environ = {**os.environ, "IVR_DATABASE_URL": database_url, "IVR_TODAY": "2026-11-21",
               "TWILIO_AUTH_TOKEN": DEV_AUTH_TOKEN, "IVR_SMS_BACKEND": "console", **env}
    ivr = Path(sys.executable).parent / "ivr"
    process = subprocess.Popen([str(ivr), "serve", "--port", str(port), "--workers",
                                str(workers)], env=environ, cwd=cwd,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(base)
        yield base, process
    finally:
        process.terminate()
        process.wait(20)


def wait_until_healthy(base: str) -> None:
    """Wait for GET /healthz to answer 200."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(base + "/healthz", timeout=1).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    pytest.fail("ivr serve did not become healthy within 60 s")


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[str]:
    """`ivr serve --workers 3` on the test database, with the demo accounts."""
    with serving(database_url, tmp_path, 3) as (base, _):
        yield base


def post(base: str, path: str, timeout: float = 15, **params: str) -> bytes:
    """A signed Twilio-style webhook over HTTP."""
    form = {"CallSid": CALL_SID, "From": "+14155550100", "To": "+18005550199",
            "AccountSid": "AC" + "0" * 32, **params}
    signature = RequestValidator(DEV_AUTH_TOKEN).compute_signature(base + path, form)
    response = requests.post(base + path, data=form, timeout=timeout,
                             headers={"X-Twilio-Signature": signature})
    assert response.status_code == 200
    return response.content


def action(twiml: bytes) -> str:
    """Where the answer's <Gather> posts the keys."""
    gather = ET.fromstring(twiml).find("Gather")
    assert gather is not None, twiml
    return gather.get("action", "")


def redirect(twiml: bytes) -> str:
    """Where the answer carries straight on to (holding while a payment is charged)."""
    target = ET.fromstring(twiml).find("Redirect")
    assert target is not None and target.text, twiml
    return target.text


def test_duplicate_deliveries_across_worker_processes_charge_once(
        server: str, database_url: str) -> None:
    answer = post(server, "/voice")
    for keys in ("1", "2468", "2", "1", "1", "1", "4242424242424242", "1230", "123", "94105"):
        answer = post(server, action(answer), Digits=keys)
    authorise = action(answer)

    holds = at_once(6, lambda: post(server, authorise, Digits="1"))
    assert len(holds) == 6 and len(set(holds)) == 1
    assert b"Please hold while we process your payment." in holds[0]
    # Twilio follows the redirect; six deliveries of it charge the card at once, with one key.
    charged = redirect(holds[0])
    answers = at_once(6, lambda: post(server, charged))
    assert len(answers) == 6 and len(set(answers)) == 1
    assert b"has been approved" in answers[0]
    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as connection:
        payments = connection.execute(text(
            "SELECT count(*) FROM payments WHERE call_sid = :sid"), {"sid": CALL_SID}).scalar()
        balance = connection.execute(text(
            "SELECT balance_cents FROM accounts WHERE account_number = '10001234'")).scalar()
        charges = connection.execute(text("SELECT count(*) FROM sandbox_charges")).scalar()
    engine.dispose()
    assert (payments, balance, charges) == (1, 0, 1)
