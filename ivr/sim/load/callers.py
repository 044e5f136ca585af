"""``ivr load``'s engine: many simulated callers at once against a running server.

Each caller is a thread (the work is waiting on the network) with its own HTTP connection
and its own random generator, seeded from the run's seed and its number, so a run picks
the same scripts and think times each time. A caller waits a random part of the ramp
(by default the think time) before its first call, so N callers do not all dial in the
same instant (with many callers, a ramp as long as a call spreads them as a line's callers
are spread), then places calls one after another, each following a script of the mix
(:mod:`ivr.sim.load.call`), until the duration is over (or ``max_calls`` calls were
started). Calls in progress then have ``grace`` seconds to finish; those still going are
cut: their callers hang up at their next action.
"""

from __future__ import annotations

import ipaddress
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

import requests

from ivr.sim.load.call import run_call
from ivr.sim.load.mix import Mix
from ivr.sim.load.stats import LoadSummary, Recorder, summarise
from ivr.sim.transport import HttpTransport, http_base_url, token_from_env

# The bounds of one run: a typo must not become a flood, nor a run that never ends.
MAX_CALLERS = 2000
MAX_DURATION = 3600.0
MAX_THINK = 60.0
MAX_GRACE = 600.0
DEFAULT_GRACE = 60.0  # a card payment, 3 s before each of its 15 actions, takes about 50 s
JITTER = 0.25  # each think time is the --think seconds, give or take a quarter
PROGRESS_EVERY = 0.25  # seconds between progress reports
# Twilio waits 15 s for a webhook's answer; by default the load caller waits as long.
REQUEST_TIMEOUT = 15.0
MAX_TIMEOUT = 60.0


def is_loopback(url: str) -> bool:
    """Whether ``url`` names this machine: ``localhost`` or a loopback address, as Python
    reads it and as requests (which sends the calls) does: they may read ``a\\@b`` apart."""
    base = http_base_url(url)
    try:
        sent_to = requests.Request("GET", base).prepare().url or ""
    except requests.RequestException:
        return False
    return all(_loopback_host(urlsplit(text).hostname) for text in (base, sent_to))


def _loopback_host(hostname: str | None) -> bool:
    host = (hostname or "").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_range(name: str, value: float, low: float, high: float) -> None:
    if not low <= value <= high:
        raise ValueError(f"{name} must be from {low:g} to {high:g}, got {value:g}")


@dataclass(frozen=True)
class LoadPlan:
    """What to run: ``callers`` at once for ``duration`` seconds, ``think`` seconds before
    each action, against the server at ``url``; raises ValueError outside the bounds."""

    url: str
    callers: int
    think: float
    duration: float
    mix: Mix
    grace: float = DEFAULT_GRACE
    max_calls: int | None = None
    seed: int = 0
    timeout: float = REQUEST_TIMEOUT  # seconds to wait for each answer
    ramp: float | None = None  # seconds the first calls are spread over (None: the think time)

    def __post_init__(self) -> None:
        _check_range("--callers", self.callers, 1, MAX_CALLERS)
        _check_range("--duration", self.duration, 0.1, MAX_DURATION)
        _check_range("--think", self.think, 0, MAX_THINK)
        if self.ramp is not None:
            _check_range("--ramp", self.ramp, 0, MAX_DURATION)
        _check_range("--grace", self.grace, 0, MAX_GRACE)
        _check_range("--timeout", self.timeout, 0.1, MAX_TIMEOUT)
        if self.max_calls is not None and self.max_calls < 1:
            raise ValueError(f"--max-calls must be at least 1, got {self.max_calls}")

    @property
    def first_calls_within(self) -> float:
        """Seconds within which every caller places its first call."""
        return min(self.think if self.ramp is None else self.ramp, self.duration)


class Progress(Protocol):
    """Told how a run is going (``ivr load`` draws a progress bar)."""

    def running(self, elapsed: float, counts: tuple[int, int, int]) -> None:
        """During the run: seconds so far; requests, calls ended and errors so far."""

    def finishing(self, in_progress: int) -> None:
        """The duration is over; ``in_progress`` calls have the grace period to end."""


class Silent:
    """No progress shown."""

    def running(self, elapsed: float, counts: tuple[int, int, int]) -> None:
        """Nothing."""

    def finishing(self, in_progress: int) -> None:
        """Nothing."""


class LoadRun:
    """One run of a plan; ``run()`` returns its summary. ``token``: the auth token the
    requests are signed with (default: the one a server started from this environment uses)."""

    def __init__(self, plan: LoadPlan, token: str | None = None) -> None:
        self.plan = plan
        self.token = token if token is not None else token_from_env()
        self.recorder = Recorder()
        self.stop_dialling = threading.Event()  # the duration is over: start no more calls
        self.cut = threading.Event()  # the grace period is over too: hang up
        self.started = 0
        self._lock = threading.Lock()

    def run(self, progress: Progress | None = None) -> LoadSummary:
        """Run every caller until the end of the duration and the grace period."""
        shown = progress or Silent()
        callers = [threading.Thread(target=self._caller, args=(number,), daemon=True,
                                    name=f"load-caller-{number}")
                   for number in range(self.plan.callers)]
        for caller in callers:
            caller.start()
        while (left := self.plan.duration - self.recorder.now()) > 0:
            if self.stop_dialling.is_set() and not self.in_progress():
                break  # --max-calls calls were made and have ended
            shown.running(self.recorder.now(), self.recorder.counts())
            time.sleep(min(PROGRESS_EVERY, left))
        self.stop_dialling.set()
        window = self.recorder.now()
        self._wind_down(callers, shown)
        return summarise(self.recorder, self.recorder.now(), window)

    def _wind_down(self, callers: list[threading.Thread], progress: Progress) -> None:
        """Give the calls in progress the grace period, then cut those still going (each
        stops at its next action, or once its request in flight is answered or times out)."""
        progress.finishing(self.in_progress())
        if not self._join(callers, self.plan.grace):
            self.cut.set()
            self._join(callers, self.plan.timeout + 1)

    def _join(self, callers: list[threading.Thread], seconds: float) -> bool:
        """Wait up to ``seconds`` for every caller's thread to end; whether they all did."""
        deadline = self.recorder.now() + seconds
        for caller in callers:
            caller.join(max(0.0, deadline - self.recorder.now()))
        return not any(caller.is_alive() for caller in callers)

    def in_progress(self) -> int:
        """Calls started and not yet ended."""
        with self._lock:
            return self.started - len(self.recorder.calls)

    def _claim_call(self) -> bool:
        """Whether a caller may start another call (counted as started when it may)."""
        with self._lock:
            if self.stop_dialling.is_set():
                return False
            if self.plan.max_calls is not None and self.started >= self.plan.max_calls:
                self.stop_dialling.set()
                return False
            self.started += 1
            return True

    def _caller(self, number: int) -> None:
        """One caller's thread: calls one after another until told to stop."""
        rng = random.Random(self.plan.seed * 1_000_003 + number)
        http = HttpTransport(self.plan.url, token=self.token, timeout=self.plan.timeout)
        if is_loopback(self.plan.url):
            # No proxy stands between this machine and itself; looking for one in the
            # environment was a quarter of the generator's work for each request.
            http.session.trust_env = False
        if self.stop_dialling.wait(rng.uniform(0, self.plan.first_calls_within)):
            return
        pause = self._thinker(rng)
        while self._claim_call():
            entry = self.plan.mix.pick(rng)
            self.recorder.call(run_call(http, entry, entry.from_number(rng), self.recorder,
                                        pause))

    def _thinker(self, rng: random.Random) -> Callable[[], bool]:
        """The caller's pause before each action: False once the run cuts calls short."""
        def pause() -> bool:
            seconds = self.plan.think * rng.uniform(1 - JITTER, 1 + JITTER)
            return not self.cut.wait(seconds)
        return pause
