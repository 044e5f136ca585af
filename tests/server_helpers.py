"""A real `ivr serve` for tests: start it on a port, sign webhooks to it over HTTP, read TwiML."""

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
from twilio.request_validator import RequestValidator

from ivr.config import DEV_AUTH_TOKEN

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
