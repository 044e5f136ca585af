"""What a load test measured: every request's response time by turn, and every call's end.

The callers' threads report to one :class:`Recorder`; :func:`summarise` then works out the
requests per second, the p50/p95/p99 response times per turn and overall, the errors, the
calls and the expectation mismatches, and the same per second of the run for the report.
Percentiles are nearest-rank: p95 is the smallest time at least 95% of requests took at most.
"""

from __future__ import annotations

import math
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

# How a request failed: an HTTP status other than 2xx, no answer in time, or no connection.
HTTP_ERROR, TIMEOUT, NO_CONNECTION = "HTTP error", "timeout", "no connection"
# How a call failed with every request answered: the simulator's application-error outcome
# (TwiML Twilio would refuse, a redirect loop), the line's own apology, the simulator itself.
APPLICATION_ERROR, APOLOGY, CRASH = "application error", "apology", "simulator error"
# How a call ended: it ran to its end, it was cut when the grace period ran out, or failed.
COMPLETED, CUT, FAILED = "completed", "cut", "failed"
ALL = "all"


@dataclass(frozen=True)
class Sample:
    """One request: when it started (seconds into the run), its turn, how long it took."""

    at: float
    turn: str
    seconds: float
    error: str | None = None


@dataclass(frozen=True)
class CallRecord:
    """How one call ended. ``error``: how it failed when every request was answered (a
    failed request is counted as the request's error). ``mismatch``: the script and the
    first step that did not hold (its number and kind only: a step's value may be a PIN or
    a card number)."""

    script: str
    ending: str
    error: str | None = None
    mismatch: str | None = None


class Recorder:
    """Collects samples and calls from many threads; ``clock`` is seconds, monotonic."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.started = clock()
        self.samples: list[Sample] = []
        self.calls: list[CallRecord] = []
        self.errors = 0  # failed requests, and calls failed with every request answered
        self._lock = threading.Lock()

    def now(self) -> float:
        """Seconds since the run started."""
        return self.clock() - self.started

    def request(self, sample: Sample) -> None:
        """Record one request."""
        with self._lock:
            self.samples.append(sample)
            self.errors += sample.error is not None

    def call(self, record: CallRecord) -> None:
        """Record one call's end."""
        with self._lock:
            self.calls.append(record)
            self.errors += record.error is not None

    def counts(self) -> tuple[int, int, int]:
        """Requests, calls ended and errors so far (for a progress line)."""
        with self._lock:
            return len(self.samples), len(self.calls), self.errors


def percentile(ordered: list[float], share: float) -> float:
    """The nearest-rank percentile ``share`` (0-100] of ``ordered`` (sorted, not empty)."""
    rank = max(1, math.ceil(share / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class TurnStats:
    """Response times of one kind of turn (or of all), in seconds."""

    turn: str
    requests: int
    p50: float
    p95: float
    p99: float
    slowest: float
    errors: int

    @classmethod
    def of(cls, turn: str, samples: Iterable[Sample]) -> TurnStats:
        """The statistics of ``samples`` (at least one)."""
        listed = list(samples)
        ordered = sorted(sample.seconds for sample in listed)
        return cls(turn, len(ordered), percentile(ordered, 50), percentile(ordered, 95),
                   percentile(ordered, 99), ordered[-1],
                   sum(1 for sample in listed if sample.error))


@dataclass(frozen=True)
class SecondPoint:
    """One second of the run: requests started in it, and their p50/p95/p99 (None if none)."""

    second: int
    requests: int
    errors: int
    p50: float | None
    p95: float | None
    p99: float | None


@dataclass
class LoadSummary:
    """Everything ``ivr load`` prints and draws. ``elapsed``: the whole run, until its last
    call ended; ``window``: its first part, while calls were being started (the duration),
    the steady load the requests per second are counted over."""

    elapsed: float
    window: float
    turns: list[TurnStats]
    overall: TurnStats | None
    errors: Counter[str] = field(default_factory=Counter)
    calls: Counter[str] = field(default_factory=Counter)
    mismatches: Counter[str] = field(default_factory=Counter)
    series: list[SecondPoint] = field(default_factory=list)
    sent_in_window: int = 0  # requests sent while calls were being started

    @property
    def requests(self) -> int:
        """Requests sent in all."""
        return self.overall.requests if self.overall else 0

    @property
    def per_second(self) -> float:
        """Requests per second while calls were being started: those sent then, per second
        (the calls left to end afterwards send fewer and fewer)."""
        return self.sent_in_window / self.window if self.window > 0 else 0.0


def _series(samples: list[Sample], elapsed: float) -> list[SecondPoint]:
    """One point for every second of the run, empty seconds included."""
    by_second: dict[int, list[Sample]] = {}
    for sample in samples:
        by_second.setdefault(int(sample.at), []).append(sample)
    points = []
    for second in range(max(1, math.ceil(elapsed))):
        these = by_second.get(second, [])
        ordered = sorted(sample.seconds for sample in these)
        points.append(SecondPoint(
            second, len(these), sum(1 for sample in these if sample.error),
            *((percentile(ordered, share) for share in (50, 95, 99)) if ordered
              else (None, None, None))))
    return points


def summarise(recorder: Recorder, elapsed: float, window: float | None = None) -> LoadSummary:
    """The summary of a finished run that lasted ``elapsed`` seconds, calls being started
    for the first ``window`` of them (default: all)."""
    samples, calls = list(recorder.samples), list(recorder.calls)
    by_turn: dict[str, list[Sample]] = {}
    for sample in samples:
        by_turn.setdefault(sample.turn, []).append(sample)
    turns = sorted((TurnStats.of(turn, these) for turn, these in by_turn.items()),
                   key=lambda stats: -stats.requests)
    window = elapsed if window is None else min(window, elapsed)
    summary = LoadSummary(elapsed, window, turns,
                          TurnStats.of(ALL, samples) if samples else None)
    summary.errors.update(sample.error for sample in samples if sample.error)
    summary.errors.update(call.error for call in calls if call.error)
    summary.calls.update(call.ending for call in calls)
    summary.mismatches.update(call.mismatch for call in calls if call.mismatch)
    summary.series = _series(samples, elapsed)
    summary.sent_in_window = sum(1 for sample in samples if sample.at < window)
    return summary
