"""The load runs: ``ivr load``'s generator against a real ``ivr serve`` with many callers.

The server starts on an empty database (it migrates it and loads the demo accounts), and
10,000 generated accounts are added; the mix (``benchmarks/capacity/mix.yaml``) is the
default mix's calls, each from the telephone of a generated account drawn at random. Three
runs, one after another, on one server:

- realistic: a couple of hundred callers, each pausing about 3 s before every entry;
- saturation: a few dozen callers pressing without pause, the most the server answers;
- a thousand callers pausing about 3 s: issue 12's capacity target.

The server is first warmed up by a few callers (every worker's first requests load what
the later ones reuse). Each run starts once the server is idle (the last run's requests
all answered). A run
with think time spreads its callers' first calls over its first seconds (``ivr load
--ramp``), as a line's callers are spread, not all dialling at once; the figures count the
requests sent after those seconds (which also warm the server up) and until the run stops
starting calls. When it stops, every caller still in a call hangs up at once (``--grace
0``), a burst that is no part of the load measured. The generator runs in this process on
the server's cores; its CPU time and the server's are shown, so a reader can see when the
generator, not the server, was the limit.
"""

from __future__ import annotations

import resource
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from sqlalchemy import make_url

from benchmarks.capacity.databases import add_accounts, scratch_database
from benchmarks.capacity.figures import Figure, Section, Target
from benchmarks.capacity.machine import line_of
from benchmarks.capacity.server import (
    database_cpu_seconds,
    drained,
    serving,
    tree_cpu_seconds,
)
from ivr.config import DEV_AUTH_TOKEN
from ivr.sim.load.callers import LoadPlan, LoadRun
from ivr.sim.load.mix import Mix, load_mix
from ivr.sim.load.report import text_table
from ivr.sim.load.stats import LoadSummary, Recorder, summarise

MIX = Path(__file__).resolve().parent / "mix.yaml"
LOAD_ACCOUNTS = 10_000  # the mix's callers are the first 10,000 generated accounts
# Issue 12: saturated, the server answered about 215 requests a second before it.
SATURATION_BEFORE = 215.0
P99_TARGET_MS = 250.0
WARM_UP_CALLERS = 8  # before the runs, for as long as a run settles: every worker's first calls


@dataclass(frozen=True)
class LoadSizes:
    """The three runs' callers, the think time, the seconds each run is measured for after
    ``settle`` seconds (its callers' first calls, the server warming up), the server's
    workers."""

    realistic_callers: int
    saturation_callers: int
    capacity_callers: int
    think: float
    seconds: float
    settle: float
    workers: int


@dataclass(frozen=True)
class Outcome:
    """One run: its steady-load summary, requests after it, and the CPU it took."""

    label: str
    steady: LoadSummary
    later_errors: int
    generator_cpu: float
    server_cpu: float
    database_cpu: float  # 0: a database on another machine (or SQLite, in the server)
    requests: int  # in the whole run, which the CPU times are for
    seconds: float  # the whole run

    def cpu_line(self, cores: int, seconds: float) -> str:
        """How much CPU the server and the generator used over the ``seconds`` the whole
        run took: per request, and of the cores."""
        requests = max(self.requests, 1)
        database = "" if not self.database_cpu else (
            f"; PostgreSQL {self.database_cpu / requests * 1000:.1f} ms a request, "
            f"{self.database_cpu / seconds:.2f} cores")
        return (f"over the whole run, server CPU {self.server_cpu / requests * 1000:.1f} ms "
                f"a request, {self.server_cpu / seconds:.2f} of {cores} cores{database}; "
                f"load generator {self.generator_cpu / requests * 1000:.1f} ms a request, "
                f"{self.generator_cpu / seconds:.2f} cores")


def steady_summary(recorder: Recorder, start: float, end: float) -> LoadSummary:
    """The summary of the requests sent from ``start`` until ``end`` (seconds into the
    run), as if the run had been those seconds alone."""
    steady = Recorder(recorder.clock)
    steady.samples = [replace(sample, at=sample.at - start) for sample in recorder.samples
                      if start <= sample.at < end]
    steady.calls = list(recorder.calls)
    return summarise(steady, end - start, end - start)


@dataclass(frozen=True)
class Served:
    """The line a run loads: its base URL, its server's pid, its PostgreSQL database's name
    (None: SQLite)."""

    base: str
    pid: int
    database: str | None

    def cpu(self) -> tuple[float, float]:
        """CPU seconds used so far by the server and by its database."""
        database = 0.0 if self.database is None else database_cpu_seconds(self.database)
        return tree_cpu_seconds(self.pid), database


def run_load(line: Served, mix: Mix, callers: int, think: float, sizes: LoadSizes,
             label: str) -> Outcome:
    """One run of the generator; what it measured and what it cost."""
    plan = LoadPlan(line.base, callers, think, sizes.settle + sizes.seconds, mix, grace=0.0,
                    ramp=sizes.settle if think else 0.0)
    run = LoadRun(plan, token=DEV_AUTH_TOKEN)
    generator, (served, stored) = time.process_time(), line.cpu()
    summary = run.run()
    after = line.cpu()
    steady = steady_summary(run.recorder, sizes.settle, summary.window)
    later = sum(summary.errors.values()) - sum(steady.errors.values())
    return Outcome(label, steady, later, time.process_time() - generator, after[0] - served,
                   after[1] - stored, summary.requests, summary.elapsed)


def _open_files(callers: int) -> str:
    """Raise this process's open-files limit for ``callers`` connections (the server
    inherits it); what the limit is."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 2 * callers + 256
    if soft < wanted and (hard == resource.RLIM_INFINITY or hard >= wanted):
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
        soft = wanted
    short = "" if soft >= wanted else f" (below the {wanted} {callers} callers may need)"
    return f"open files limit {soft}{short}"


def _p99_ms(outcome: Outcome) -> float | None:
    overall = outcome.steady.overall
    return None if overall is None else overall.p99 * 1000


def _errors(outcome: Outcome) -> float:
    return float(sum(outcome.steady.errors.values()))


def _figures(realistic: Outcome, saturation: Outcome, capacity: Outcome,
             saturation_before: float) -> list[Figure]:
    """The load figures: the targets on saturation and on a thousand callers, the rest
    for context."""
    def rate(outcome: Outcome, target: Target | None = None) -> Figure:
        return Figure("load", f"{outcome.label}: requests/s", outcome.steady.per_second,
                      "requests/s", target)

    def p99(outcome: Outcome, target: Target | None = None) -> Figure:
        return Figure("load", f"{outcome.label}: p99", _p99_ms(outcome), "ms", target)

    def errors(outcome: Outcome, target: Target | None = None) -> Figure:
        note = f"{outcome.later_errors} more in the hang-ups after it" \
            if outcome.later_errors else ""
        return Figure("load", f"{outcome.label}: errors", _errors(outcome), "", target, note)

    doubled = Target(">=", 2 * saturation_before)
    return [rate(realistic), p99(realistic), errors(realistic),
            Figure("load", f"{saturation.label}: requests/s", saturation.steady.per_second,
                   "requests/s", doubled, f"2x the {saturation_before:g} requests/s "
                   "measured before issue 12"),
            p99(saturation), errors(saturation),
            rate(capacity), p99(capacity, Target("<", P99_TARGET_MS)),
            errors(capacity, Target("==", 0))]


def _run_lines(outcome: Outcome, cores: int) -> list[str]:
    """A run's headline, its CPU, and its table of turns."""
    steady = outcome.steady
    calls = ", ".join(f"{count} {ending}" for ending, count in sorted(steady.calls.items()))
    return [f"-- {outcome.label}: {steady.requests} requests in {steady.window:.1f} s "
            f"({steady.per_second:.1f}/s); calls {calls or 'none'}; errors "
            f"{int(_errors(outcome))}",
            f"   {outcome.cpu_line(cores, outcome.seconds)}", *text_table(steady), ""]


def _details(outcomes: list[Outcome]) -> list[dict[str, object]]:
    """The runs as JSON: what they measured, per turn too, and the CPU they took."""
    return [{"label": outcome.label, "requests": outcome.steady.requests,
             "per_second": outcome.steady.per_second, "errors": dict(outcome.steady.errors),
             "later_errors": outcome.later_errors, "generator_cpu": outcome.generator_cpu,
             "server_cpu": outcome.server_cpu, "database_cpu": outcome.database_cpu,
             "requests_in_whole_run": outcome.requests,
             "turns": [asdict(stats) for stats in outcome.steady.turns]}
            for outcome in outcomes]


def _run_all(ivr: Path, url: str, folder: Path, sizes: LoadSizes,
             say: Callable[[str], None]) -> list[Outcome]:
    """Serve ``url``, add the generated accounts, and make the three runs."""
    mix = load_mix(MIX)
    runs = (("realistic", sizes.realistic_callers, sizes.think),
            ("saturation", sizes.saturation_callers, 0.0),
            ("capacity", sizes.capacity_callers, sizes.think))
    outcomes: list[Outcome] = []
    with serving(ivr, url, folder, sizes.workers) as (base, pid):
        add_accounts(url, 0, LOAD_ACCOUNTS)
        line = Served(base, pid, make_url(url).database if url.startswith("postgresql")
                       else None)
        say(f"load: warming the server up ({WARM_UP_CALLERS} callers, {sizes.settle:g} s)")
        LoadRun(LoadPlan(base, WARM_UP_CALLERS, 0.0, sizes.settle, mix, grace=0.0),
                token=DEV_AUTH_TOKEN).run()
        for role, callers, think in runs:
            label = f"{role}, {callers:,} callers, " + (f"{think:g} s think" if think
                                                         else "no think")
            if not drained(pid):
                say("load: the server was still busy after 2 minutes; measuring anyway")
            say(f"load: {label}, {sizes.settle:g} s, then {sizes.seconds:g} s measured")
            outcomes.append(run_load(line, mix, callers, think, sizes, label))
    return outcomes


def load_section(ivr: Path, postgres_url: str | None, folder: Path, sizes: LoadSizes,
                 cores: int, say: Callable[[str], None],
                 saturation_before: float = SATURATION_BEFORE) -> Section:
    """The three runs against one ``ivr serve`` (of ``ivr``) on a fresh database."""
    limit = _open_files(sizes.capacity_callers)
    with scratch_database(postgres_url, folder, "load") as url:
        outcomes = _run_all(ivr, url, folder, sizes, say)
    database = "postgresql" if postgres_url else "sqlite"
    lines = [f"`ivr serve --workers {sizes.workers}` of {line_of(ivr)} on {database}, "
             f"{LOAD_ACCOUNTS:,} generated accounts; mix {MIX.name}; {limit}",
             f"each run: {sizes.settle:g} s to settle (callers' first calls spread over them "
             f"when they think), then {sizes.seconds:g} s measured", ""]
    for outcome in outcomes:
        lines += _run_lines(outcome, cores)
    realistic, saturation, capacity = outcomes
    return Section("load", "Load", _figures(realistic, saturation, capacity, saturation_before),
                   lines, {"database": database, "workers": sizes.workers,
                           "runs": _details(outcomes)})
