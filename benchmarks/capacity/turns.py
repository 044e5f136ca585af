"""Per-turn cost: real webhooks through the real app, in process, beside the two floors.

Each measured call is ``fixtures/calls/bilingual_other_amount.yaml`` (PIN, a menu, an
amount, a new card, authorise, the charge) played by the simulator from a generated
account's telephone, picked at random, so every answer is checked against the script as
``ivr call`` checks it: a line that answers wrongly fails the run instead of measuring fast.
Every request is signed as Twilio signs it and sent through Flask's test client; only the
test client's call is timed (wall time, and this thread's CPU time), then a request to each
floor (:mod:`.floors`) is timed the same way, so turns and floors share whatever else the
machine is doing. Requests are named by the question they answer, as ``ivr load`` names
them (:mod:`ivr.sim.load.turns`). The first calls warm the process up and are not counted.

Wall time is the figure judged: served one request at a time, it is the request's whole
cost, the database server's work included; the CPU column is this process's alone.
"""

from __future__ import annotations

import random
import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from statistics import fmean
from typing import Any, TypeVar

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, event
from werkzeug.test import TestResponse

from benchmarks.capacity import FIXTURES
from benchmarks.capacity.databases import LINE_SETTINGS, phone_of
from benchmarks.capacity.floors import ROWS, fixed_app, floor_engine, stateful_app
from flows.state import Step
from ivr.app import create_app
from ivr.db import db
from ivr.sim.load.stats import percentile
from ivr.sim.load.turns import TurnNamer, step_name
from ivr.sim.script import run_script
from ivr.sim.script_load import Script, load_script
from ivr.sim.transport import InProcessTransport, WebResponse, request_target, sign

SCRIPT = FIXTURES / "calls" / "bilingual_other_amount.yaml"
WARM_UP_CALLS = 2
FIXED, STATEFUL = "fixed floor", "stateful floor"
MENU, PIN, AUTHORISE, CHARGE = (step_name(Step.PAY_NOW), step_name(Step.PIN),
                                step_name(Step.PAY_CONFIRM), step_name(Step.CHARGING))
# The turns issue 12 sets targets for, as its figures name them.
TARGET_TURNS = {MENU: "menu turn", PIN: "PIN turn", AUTHORISE: "authorising turn",
                CHARGE: "charge (caller holding)"}
Result = TypeVar("Result")


@dataclass(frozen=True)
class Sample:
    """One request: seconds of wall and CPU time, statements and transactions it began."""

    wall: float
    cpu: float
    statements: int
    transactions: int


class Meter:
    """Times requests by kind, counting the statements and transactions on the engines it
    watches while each runs."""

    def __init__(self) -> None:
        self.samples: dict[str, list[Sample]] = defaultdict(list)
        self.recording = True  # False while warming up
        self._statements = 0
        self._transactions = 0

    def watch(self, engine: Engine) -> None:
        """Count ``engine``'s statements and transactions."""
        event.listen(engine, "before_cursor_execute", self._count_statement)
        event.listen(engine, "begin", self._count_transaction)

    def _count_statement(self, *_args: Any) -> None:
        self._statements += 1

    def _count_transaction(self, *_args: Any) -> None:
        self._transactions += 1

    def timed(self, kind: str, send: Callable[[], Result]) -> Result:
        """``send()``, timed and recorded as one request of ``kind``."""
        statements, transactions = self._statements, self._transactions
        cpu, wall = time.thread_time(), time.perf_counter()
        result = send()
        wall, cpu = time.perf_counter() - wall, time.thread_time() - cpu
        if self.recording:
            self.samples[kind].append(Sample(wall, cpu, self._statements - statements,
                                             self._transactions - transactions))
        return result


class Floors:
    """The two floor apps, in the line's database; :meth:`sample` times one request each."""

    def __init__(self, url: str, meter: Meter) -> None:
        self.engine = floor_engine(url)
        meter.watch(self.engine)
        self.meter = meter
        self.fixed = fixed_app().test_client()
        self.stateful = stateful_app(self.engine).test_client()
        self.sent = 0

    def sample(self, form: Mapping[str, str]) -> None:
        """One request to each floor, carrying ``form``."""
        row = self.sent % ROWS
        self.sent += 1
        for kind, client, path in ((FIXED, self.fixed, "/floor"),
                                   (STATEFUL, self.stateful, f"/floor/{row}")):
            response = self._post(kind, client, path, form)
            if response.status_code != 200:
                raise RuntimeError(f"the {kind} answered {response.status_code}")

    def _post(self, kind: str, client: FlaskClient, path: str,
              form: Mapping[str, str]) -> TestResponse:
        """One timed request to a floor."""
        return self.meter.timed(kind, lambda: client.post(path, data=form))

    def close(self) -> None:
        """Let go of the floor's connections."""
        self.engine.dispose()


class MeteredTransport(InProcessTransport):
    """The simulator's in-process transport, timing each request as its kind of turn and
    following it with a request to each floor."""

    def __init__(self, app: Flask, meter: Meter, floors: Floors) -> None:
        super().__init__(app)
        self.meter = meter
        self.floors = floors
        self.turns = TurnNamer(self.base_url)

    def request(self, method: str, url: str, params: Mapping[str, str]) -> WebResponse:
        """Sign (untimed), send (timed), read the answer; then the floors."""
        url, form = request_target(method, url, params)
        headers = {"X-Twilio-Signature": sign(self.token, url, form)}
        response: TestResponse = self.meter.timed(self.turns.name(url), lambda: self.client.open(
            url, method=method, data=form, headers=headers))
        body = response.get_data(as_text=True)
        self.turns.answered(url, response.status_code, body)
        self.floors.sample(form)
        return WebResponse(response.status_code, body, response.content_type or "")


@dataclass(frozen=True)
class KindStats:
    """One kind of request's cost: milliseconds, and database work per request."""

    kind: str
    requests: int
    wall_p50: float
    wall_p95: float
    cpu_p50: float
    statements: float
    transactions: float

    @classmethod
    def of(cls, kind: str, samples: list[Sample]) -> KindStats:
        """The statistics of ``samples`` (at least one)."""
        walls = sorted(sample.wall * 1000 for sample in samples)
        cpus = sorted(sample.cpu * 1000 for sample in samples)
        return cls(kind, len(samples), percentile(walls, 50), percentile(walls, 95),
                   percentile(cpus, 50), fmean(sample.statements for sample in samples),
                   fmean(sample.transactions for sample in samples))


@dataclass
class TurnRun:
    """What one database's run measured: every kind of request, the floors among them."""

    database: str
    accounts: int
    calls: int
    kinds: dict[str, KindStats] = field(default_factory=dict)

    def ratio(self, kind: str, floor: str) -> float | None:
        """``kind``'s median wall time over ``floor``'s (None if either was not seen)."""
        if kind not in self.kinds or floor not in self.kinds:
            return None
        return self.kinds[kind].wall_p50 / self.kinds[floor].wall_p50

    def as_json(self) -> dict[str, object]:
        """The run, its ratios included."""
        return {"database": self.database, "accounts": self.accounts, "calls": self.calls,
                "kinds": [{**asdict(stats), "x_fixed": self.ratio(kind, FIXED),
                           "x_stateful": self.ratio(kind, STATEFUL)}
                          for kind, stats in self.kinds.items()]}


@dataclass(frozen=True)
class Line:
    """A line to measure: its database (``sqlite``, ``postgresql``), URL, and how many
    generated accounts it holds (the callers are drawn from them)."""

    database: str
    url: str
    accounts: int


class _Player:
    """Plays the measured calls on one line: its app, its floors, its meter."""

    def __init__(self, line: Line, script: Script, seed: int) -> None:
        self.line = line
        self.script = script
        self.rng = random.Random(seed)
        self.app = create_app({"IVR_DATABASE_URL": line.url, **LINE_SETTINGS})
        self.meter = Meter()
        self.meter.watch(db.engine(self.app))
        self.floors = Floors(line.url, self.meter)
        self.calls = 0

    def call(self, counted: bool) -> None:
        """One call from a generated account drawn at random (``counted``: not warming up)."""
        self.meter.recording = counted
        self.calls += counted
        caller = phone_of(self.rng.randrange(self.line.accounts))
        run_script(MeteredTransport(self.app, self.meter, self.floors), self.script,
                   quiet=True, from_number=caller)

    def run(self) -> TurnRun:
        """What the counted calls measured."""
        kinds = {kind: KindStats.of(kind, samples)
                 for kind, samples in self.meter.samples.items()}
        return TurnRun(self.line.database, self.line.accounts, self.calls, kinds)

    def close(self) -> None:
        """Let go of the line's and the floor's connections."""
        self.floors.close()
        db.engine(self.app).dispose()


def measure_turns(lines: Sequence[Line], calls: int, seed: int = 0) -> list[TurnRun]:
    """Play ``calls`` calls (after the warm-up) on each line, taking the lines in turn call
    by call, so that each line's figures are measured over the same stretch of time: a
    machine busier for a while weighs on every line alike."""
    # The line's own IVR_TODAY is the script's day: a script's `today` would swap the app's
    # settings for each call, which a server never does.
    script = replace(load_script(SCRIPT), today=None)
    players: list[_Player] = []
    try:
        for number, line in enumerate(lines):
            players.append(_Player(line, script, seed + number))
        for number in range(WARM_UP_CALLS + calls):
            for player in players:
                player.call(counted=number >= WARM_UP_CALLS)
    finally:
        for player in players:
            player.close()
    return [player.run() for player in players]
