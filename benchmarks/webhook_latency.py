"""Webhook latency, in-process on SQLite: how long one turn of a call takes.

Twilio allows 15 s per webhook; the target here is a few milliseconds for a menu
turn (a PIN turn adds the deliberate cost of scrypt). Run:

    .venv/bin/python benchmarks/webhook_latency.py [calls]
"""

from __future__ import annotations

import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import create_app
from ivr.config import settings_of
from ivr.db import db
from ivr.ops.demo import load_demo
from ivr.ops.migrate import upgrade
from tests.twilio_helpers import TwilioCaller


def measure(calls: int) -> dict[str, list[float]]:
    """Seconds per PIN turn and per main-menu turn over ``calls`` simulated calls."""
    folder = tempfile.mkdtemp(prefix="ivr-bench-")
    app = create_app({"IVR_DATABASE_URL": f"sqlite:///{folder}/bench.sqlite3"})
    upgrade(db.engine(app))
    with app.app_context(), db.transaction(app) as session:
        load_demo(session, settings_of(app).pin_hasher)
    timings: dict[str, list[float]] = {"pin": [], "menu": []}
    for number in range(calls):
        caller = TwilioCaller(app, call_sid=f"CA{number:032d}")
        answer = caller.press(caller.start(), "1")
        for name, keys in (("pin", "2468"), ("menu", "1")):
            started = time.perf_counter()
            answer = caller.press(answer, keys)
            timings[name].append(time.perf_counter() - started)
    return timings


def main() -> None:
    """Print median and 95th percentile per kind of turn."""
    logging.disable(logging.INFO)
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    for name, samples in measure(calls).items():
        ordered = sorted(samples)
        p95 = ordered[int(len(ordered) * 0.95) - 1]
        print(f"{name:5} turn: median {statistics.median(samples) * 1000:.1f} ms, "
              f"p95 {p95 * 1000:.1f} ms over {calls} calls")


if __name__ == "__main__":
    main()
