"""Running call scripts as a suite: one after another, or several at once (``--jobs``).

In process, each script runs on its own fresh copy of the demo data (:mod:`ivr.sim.scratch`),
so no script sees another's calls and running them at once gives what running them in turn
does. The output is the same too: each script's lines are printed whole, in the folder's
order, never interleaved. Each script's result (``ScriptRun``: its lines, its failure, its
wall time) is kept for a report (:mod:`ivr.sim.junit`).

Several at once means worker processes, not threads, because:

- Alembic's migration context (``alembic.context``, ``alembic.op``) is a module-level proxy
  installed while a migration runs, and every scratch database is migrated: two threads
  preparing theirs at once would run their steps through each other's context.
- ``create_app`` configures logging, replacing handlers on the process's root logger.
- A simulated call is CPU-bound Python (Flask, SQLAlchemy, TwiML parsing): threads would take
  turns on one interpreter lock and finish no sooner.

The workers are spawned, not forked: nothing of this process's app, its engine's connection
pool or its threads is copied. Each imports the line afresh and makes its apps from the plain
settings of the one given (``scratch_settings``), the card store's key included. Against a
running server (``--url``) the scripts share its data, so they run only one after another.
"""

from __future__ import annotations

import logging
import multiprocessing
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from flask import Flask

from ivr.errors import ScriptError, ScriptFailure
from ivr.logs import configure_logging, console_logging
from ivr.sim.logged_turns import Turn
from ivr.sim.results import CallResult
from ivr.sim.scratch import scratch_demo_app, scratch_settings
from ivr.sim.script import load_script, run_script
from ivr.sim.transport import Transport

# Where a script runs: the line's app, a URL or transport, or (in a worker) the settings of
# the app whose scratch copies it runs on.
Target = Flask | str | Transport | Mapping[str, object]
Echo = Callable[[str], None]
# What every script of a run is played with: ``from_number``, ``to_number``, ``pay_connector``
# and ``language`` (None: each script's own).
Options = Mapping[str, str | None]
MAX_JOBS = 32  # worker processes at most: each holds a copy of the line (tens of MB)


def _ignore(_line: str) -> None:
    """An echo that shows nothing."""


@dataclass(frozen=True)
class ScriptRun:
    """One script's run: the lines it printed and how it went."""

    path: Path
    output: tuple[str, ...] = ()  # its transcript (unless quiet), warnings and PASS line
    failure: str | None = None  # the failure's report, when an expectation did not hold
    error: str | None = None  # why it could not run: a malformed script
    seconds: float = 0.0  # wall time, its fresh database included
    # Its call's turns from the line's call log (in process only), for --coverage.
    turns: tuple[Turn, ...] | None = None

    @property
    def passed(self) -> bool:
        """It ran and every expectation held."""
        return self.failure is None and self.error is None

    @property
    def verdict(self) -> str | None:
        """The ``FAIL`` block printed after a script that did not pass."""
        return None if self.passed else f"FAIL {self.path.name}\n{self.failure or self.error}"


@dataclass(frozen=True)
class SuiteRun:
    """Scripts run together: when they started, how long they all took, each one's run."""

    runs: list[ScriptRun]
    started: datetime = field(default_factory=lambda: datetime.now(UTC))
    seconds: float = 0.0

    @property
    def passed(self) -> int:
        """How many scripts passed."""
        return sum(run.passed for run in self.runs)


def fresh_per_script(target: Target) -> bool:
    """Whether each script gets its own fresh database: in process, on the line's app."""
    return isinstance(target, Mapping) or \
        (isinstance(target, Flask) and "ivr_db" in target.extensions)


def run_fresh(target: Target, path: Path, *, echo: Echo | None = None, quiet: bool = False,
              options: Options | None = None) -> CallResult:
    """Run one script with ``options``; in process on the line's app (or on the settings of
    one), on a fresh demo database so every replay starts alike. A malformed script fails
    before a database is made."""
    if isinstance(target, Mapping):
        base: Flask | Mapping[str, object] = target
    elif isinstance(target, Flask) and fresh_per_script(target):
        base = target
    else:  # a URL, or another app: every script uses its data
        return run_script(target, path, echo=echo, quiet=quiet, **(options or {}))
    script = load_script(path)
    with scratch_demo_app(base) as app:
        return run_script(app, script, echo=echo, quiet=quiet, **(options or {}))


def run_one(target: Target, path: Path, *, echo: Echo | None = None, quiet: bool = False,
            options: Options | None = None) -> ScriptRun:
    """Run one script (:func:`run_fresh`, given ``options``); its lines go to ``echo`` as they
    come, and are kept."""
    lines: list[str] = []

    def keep(line: str) -> None:
        lines.append(line)
        (echo or _ignore)(line)

    started = time.perf_counter()
    try:
        result = run_fresh(target, path, echo=keep, quiet=quiet, options=options)
    except ScriptFailure as failure:
        return ScriptRun(path, tuple(lines), failure=str(failure),
                         seconds=time.perf_counter() - started, turns=_turns(failure.result))
    except ScriptError as error:
        return ScriptRun(path, tuple(lines), error=str(error),
                         seconds=time.perf_counter() - started)
    return ScriptRun(path, tuple(lines), seconds=time.perf_counter() - started,
                     turns=result.turns)


def _turns(result: object) -> tuple[Turn, ...] | None:
    """The logged turns of a failed script's call, when it got as far as a call."""
    return result.turns if isinstance(result, CallResult) else None


def run_suite(target: Target, paths: list[Path], *, echo: Echo | None = None,
              verdict: Echo | None = None, quiet: bool = False, jobs: int = 1,
              options: Options | None = None) -> SuiteRun:
    """Run ``paths`` in order, ``jobs`` at a time; each one's lines go to ``echo``, then its
    ``FAIL`` block to ``verdict`` (default: ``echo``); every script gets ``options``."""
    if not 1 <= jobs <= MAX_JOBS:
        raise ValueError(f"jobs must be from 1 to {MAX_JOBS}, got {jobs}")
    if jobs > 1 and not fresh_per_script(target):
        raise ValueError("scripts run at once only in process, each on its own database")
    out, fail = echo or _ignore, verdict or echo or _ignore
    started, clock = datetime.now(UTC), time.perf_counter()
    if jobs == 1 or len(paths) < 2:
        runs = [_told(run_one(target, path, echo=out, quiet=quiet, options=options), _ignore,
                      fail) for path in paths]
    else:
        runs = _run_at_once(target, paths, jobs, (out, fail), quiet=quiet, options=options)
    return SuiteRun(runs, started, time.perf_counter() - clock)


def _told(run: ScriptRun, echo: Echo, verdict: Echo) -> ScriptRun:
    """Print ``run``'s lines to ``echo`` and its FAIL block to ``verdict``; return it."""
    for line in run.output:
        echo(line)
    if run.verdict is not None:
        verdict(run.verdict)
    return run


def _run_at_once(target: Target, paths: list[Path], jobs: int, told: tuple[Echo, Echo], *,
                 quiet: bool, options: Options | None) -> list[ScriptRun]:
    """Run ``paths`` in ``jobs`` worker processes; print each run whole, in order (its lines
    to the first of ``told``, its FAIL block to the second)."""
    settings = scratch_settings(target) if isinstance(target, Flask) else target
    pool = ProcessPoolExecutor(max_workers=min(jobs, len(paths)),
                               mp_context=multiprocessing.get_context("spawn"),
                               initializer=_start_worker, initargs=(_console_wanted(),))
    try:
        futures = [pool.submit(run_one, settings, path, quiet=quiet, options=options)
                   for path in paths]
        return [_told(_outcome(future, path), *told) for future, path in zip(futures, paths,
                                                                             strict=True)]
    finally:
        # After an exception (a bug in a worker, ^C), start no more scripts.
        pool.shutdown(cancel_futures=True)


def _outcome(future: Future[ScriptRun], path: Path) -> ScriptRun:
    """The run of ``path`` in a worker; an error of the script when its worker died (the
    kernel's OOM killer, a crash in C code), which also ends the scripts not yet run."""
    try:
        return future.result()
    except BrokenProcessPool:
        return ScriptRun(path, error="not finished: a worker process died (killed, or "
                                     "crashed), which ends every script not yet done")


def _console_wanted() -> bool:
    """Whether this process shows the line's log lines (``ivr -v``): its workers do as it does."""
    return console_logging() is True and logging.getLogger().getEffectiveLevel() <= logging.INFO


def _start_worker(console: bool) -> None:
    """A worker logs to standard error only as its parent does (and to ``IVR_LOG_FILE``)."""
    configure_logging(console=console)


def script_paths(folder: Path) -> list[Path]:
    """The scripts in ``folder`` (``*.yaml`` and ``*.yml``), in the order they run."""
    return sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])


def run_script_dir(target: Target, folder: str | Path, *, echo: Echo | None = None,
                   quiet: bool = False, jobs: int = 1, options: Options | None = None
                   ) -> SuiteRun:
    """Run every script in ``folder`` (see :func:`run_suite`), then print ``N passed, M
    failed``."""
    suite = run_suite(target, script_paths(Path(folder)), echo=echo, quiet=quiet, jobs=jobs,
                      options=options)
    (echo or _ignore)(f"{suite.passed} passed, {len(suite.runs) - suite.passed} failed")
    return suite
