"""What a card payment costs the server: from the caller's "1" to authorise to the result.

The payment is written ahead in its own short transaction (``processing``) before the
gateway is called with no transaction open, and the answer is recorded in another; the
caller hears "please hold" while Twilio follows the ``<Redirect>`` to the request that
charges. This times both requests together (in-process, SQLite, the offline sandbox) and
counts the transactions each opens. Run:

    .venv/bin/python benchmarks/payment_turn.py [payments]

It speaks only the webhook protocol, so the same file measures an older checkout (where
the charge was one turn, inside the turn's transaction) for a before-and-after.
"""

from __future__ import annotations

import logging
import statistics
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

from flask import Flask
from sqlalchemy import event, update
from twilio.request_validator import RequestValidator

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import create_app
from ivr.config import settings_of
from ivr.db import db
from ivr.ops.demo import load_demo
from ivr.ops.migrate import upgrade
from models import Account

TO_READ_BACK = ("1", "2468", "3", "1", "1", "1", "1", "4242424242424242", "1230", "123",
                "94105")  # one dollar today with a new Visa


def post(app: Flask, call_sid: str, path: str, **form: str) -> ET.Element:
    """A signed webhook, as Twilio sends it; the TwiML answer."""
    params = {"CallSid": call_sid, "From": "+14155550100", "To": "+18005550199", **form}
    signature = RequestValidator(settings_of(app).twilio_auth_token).compute_signature(
        "http://localhost" + path, params)
    response = app.test_client().post(path, data=params,
                                      headers={"X-Twilio-Signature": signature})
    return ET.fromstring(response.data)


def authorise(app: Flask, call_sid: str, read_back: ET.Element) -> tuple[float, int]:
    """Press 1 and follow any <Redirect> to the result; seconds taken, requests made."""
    gather = read_back.find("Gather")
    assert gather is not None
    started = time.perf_counter()
    answer = post(app, call_sid, gather.get("action", ""), Digits="1")
    requests = 1
    while answer.find("Gather") is None and answer.find("Redirect") is not None:
        answer = post(app, call_sid, answer.findtext("Redirect") or "")
        requests += 1
    elapsed = time.perf_counter() - started
    said = " ".join(say.text or "" for say in answer.iter("Say"))
    assert "has been approved" in said, said
    return elapsed, requests


def measure(payments: int) -> tuple[list[float], int, float]:
    """Seconds per payment, requests per payment, transactions per payment."""
    folder = tempfile.mkdtemp(prefix="ivr-bench-")
    app = create_app({"IVR_DATABASE_URL": f"sqlite:///{folder}/bench.sqlite3",
                      "IVR_TODAY": "2026-11-21"})
    upgrade(db.engine(app))
    with app.app_context(), db.transaction(app) as session:
        load_demo(session, settings_of(app).pin_hasher)
        # Enough owed for every payment of a dollar (a direct update: this tree or an older one).
        session.execute(update(Account).where(Account.account_number == "10001234")
                        .values(balance_cents=100 * (payments + 1)))
    begins = [0]
    event.listen(db.engine(app), "begin", lambda connection: begins.__setitem__(0, begins[0] + 1))
    timings, counted, requests = [], 0, 0
    for number in range(payments):
        call_sid = f"CA{number:032d}"
        answer = post(app, call_sid, "/voice")
        for keys in TO_READ_BACK:
            gather = answer.find("Gather")
            assert gather is not None, ET.tostring(answer)
            answer = post(app, call_sid, gather.get("action", ""), Digits=keys)
        before = begins[0]
        elapsed, requests = authorise(app, call_sid, answer)
        counted += begins[0] - before
        timings.append(elapsed)
    return timings, requests, counted / payments


def main() -> None:
    """Print the median and 95th percentile time per payment, and what it takes."""
    logging.disable(logging.INFO)
    payments = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    timings, requests, transactions = measure(payments)
    ordered = sorted(timings)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    print(f"payment: median {statistics.median(timings) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms "
          f"over {payments} payments; {requests} requests and {transactions:.0f} "
          f"transactions each")


if __name__ == "__main__":
    main()
