"""Import speed: the real ``ivr accounts import`` on a generated CSV, as an operator runs it.

The file has the columns of the README's format and a different PIN, telephone and balance
on every row. Each size is imported into a database of its own (migrated, empty), then the
same file is imported again: every row unchanged, which a nightly sync mostly is. Each
import is the command run as a child process; its wall time and peak memory (the child's
own ``ru_maxrss``, from ``wait4``) are measured. Its start-up (Python, the app, the first
connection) is measured once by importing a one-row file, and taken off each size's wall
time for the rows per second, so 10,000 rows are not judged by the interpreter's start.

An import taking longer than its time limit is stopped: it has no figure, and its note
says how slow it was at least. The larger size is imported only when the smaller one's
speed says it would end within the time budget; otherwise it is skipped, and the run says
how long it would have taken.
"""

from __future__ import annotations

import csv
import os
import random
import resource
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from benchmarks.capacity.databases import count_accounts, scratch_database
from benchmarks.capacity.figures import Figure, Section, Target
from benchmarks.capacity.machine import line_of

COLUMNS = ("account_number", "name", "phone", "pin", "balance", "due_date", "zip", "language")


def write_accounts_csv(path: Path, rows: int, seed: int = 0) -> None:
    """A billing file of ``rows`` accounts, each different (number, telephone, PIN...)."""
    rng = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        for number in range(rows):
            writer.writerow((
                str(70_000_000 + number), f"Customer {number}", f"+16503{number:06d}",
                f"{rng.randrange(10_000):04d}", f"{rng.randrange(1, 100_000) / 100:.2f}",
                f"2026-12-{rng.randrange(1, 29):02d}", f"{rng.randrange(10_000, 99_999)}",
                "es-US" if number % 5 == 0 else "en-US"))


@dataclass(frozen=True)
class ImportRun:
    """One run of the command: its rows, wall and CPU seconds, peak memory, and whether it
    was stopped at the time limit (then its rows were not imported)."""

    rows: int
    seconds: float
    cpu_seconds: float
    peak_mb: float
    stopped: bool

    def per_second(self, start_up: float = 0.0) -> float:
        """Rows a second, the command's ``start_up`` seconds taken off its wall time."""
        return self.rows / max(self.seconds - start_up, 1e-3)


def _wait(process: subprocess.Popen[bytes], limit: float) -> tuple[int, resource.struct_rusage,
                                                                     bool]:
    """Reap ``process`` with ``wait4`` (its own resource use), stopping it after ``limit``
    seconds; its exit status, its resource use, and whether it was stopped."""
    reaped: list[tuple[int, int, resource.struct_rusage]] = []
    waiter = threading.Thread(target=lambda: reaped.append(os.wait4(process.pid, 0)))
    waiter.start()
    waiter.join(limit)
    stopped = waiter.is_alive()
    if stopped:
        process.kill()
        waiter.join()
    _, status, usage = reaped[0]
    process.returncode = os.waitstatus_to_exitcode(status)
    return process.returncode, usage, stopped


def upgrade(ivr: Path, url: str) -> None:
    """``ivr db upgrade`` on ``url``: the line's schema, by the line's own migrations."""
    done = subprocess.run([str(ivr), "db", "upgrade"], env={**os.environ,
                          "IVR_DATABASE_URL": url}, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"ivr db upgrade failed: {(done.stderr or done.stdout).strip()}")


def run_import(ivr: Path, url: str, csv_path: Path, rows: int, limit: float,
               log: Path) -> ImportRun:
    """``ivr accounts import csv_path`` into ``url``; raises when it fails, or when the
    database does not then hold the file's accounts."""
    before = count_accounts(url)
    started = time.perf_counter()
    with log.open("wb") as out:
        process = subprocess.Popen([str(ivr), "accounts", "import", str(csv_path)],
                                   env={**os.environ, "IVR_DATABASE_URL": url},
                                   stdout=out, stderr=subprocess.STDOUT)
        status, usage, stopped = _wait(process, limit)
    seconds = time.perf_counter() - started
    if not stopped and status != 0:
        raise RuntimeError(f"ivr accounts import failed (exit {status}): "
                           f"{log.read_text(errors='replace').strip()}")
    if not stopped and count_accounts(url) < max(before, rows):
        raise RuntimeError(f"ivr accounts import said it succeeded, but the database holds "
                           f"{count_accounts(url)} accounts, not {rows}")
    return ImportRun(rows, seconds, usage.ru_utime + usage.ru_stime,
                     usage.ru_maxrss / 1024, stopped)


@dataclass(frozen=True)
class ImportPlan:
    """The sizes to import, each import's time limit, and the budget the larger size must
    be expected to fit in."""

    sizes: tuple[int, ...]
    limit: float
    budget: float


TARGET_RATE = Target(">=", 10_000)
TARGET_MEMORY = Target("<", 300)
TARGET_SPEED_UP = Target(">=", 3)


def _size_figures(run: ImportRun, again: ImportRun | None, start_up: float) -> list[Figure]:
    """The three figures of one size: rows a second, peak memory, re-import speed-up."""
    size = f"{run.rows:,} rows"
    rate = None if run.stopped else run.per_second(start_up)
    note = _stopped(run, start_up) if run.stopped else \
        f"{run.seconds:.1f} s less {start_up:.1f} s start-up; {run.cpu_seconds:.1f} s CPU"
    figures = [Figure("import", f"import {size}: rows/s", rate, "rows/s", TARGET_RATE, note),
               Figure("import", f"import {size}: peak memory", run.peak_mb, "MB",
                      TARGET_MEMORY)]
    if again is None or rate is None:
        return [*figures, Figure("import", f"re-import {size} unchanged: speed-up", None, "x",
                                 TARGET_SPEED_UP, "the import did not finish")]
    speed_up = None if again.stopped else again.per_second(start_up) / rate
    note = _stopped(again, start_up) if again.stopped else \
        f"{again.seconds:.1f} s, {again.per_second(start_up):,.0f} rows/s, " \
        f"peak {again.peak_mb:.0f} MB"
    return [*figures, Figure("import", f"re-import {size} unchanged: speed-up", speed_up,
                             "x", TARGET_SPEED_UP, note)]


def _stopped(run: ImportRun, start_up: float) -> str:
    """Why an import stopped at the time limit has no figure, and what is known of it."""
    bound = f": under {run.per_second(start_up):,.0f} rows/s" if run.seconds > start_up else ""
    return f"stopped after {run.seconds:.0f} s, its time limit{bound}"


def _skipped(size: int, rate: float, budget: float) -> list[Figure]:
    """The figures of a size not imported, saying how long it would have taken."""
    expected = size / rate
    note = (f"skipped: at {rate:,.0f} rows/s it would take about {expected / 60:,.0f} min, "
            f"over the budget of {budget / 60:g} min (--import-budget)")
    return [Figure("import", f"import {size:,} rows: rows/s", None, "rows/s", TARGET_RATE,
                   note),
            Figure("import", f"import {size:,} rows: peak memory", None, "MB", TARGET_MEMORY,
                   "skipped (see above)"),
            Figure("import", f"re-import {size:,} rows unchanged: speed-up", None, "x",
                   TARGET_SPEED_UP, "skipped (see above)")]


def _one_size(ivr: Path, postgres_url: str | None, folder: Path, size: int,
              plan: ImportPlan) -> tuple[ImportRun, ImportRun | None]:
    """Import ``size`` rows into a new database, then the same file again."""
    data = folder / f"accounts-{size}.csv"
    write_accounts_csv(data, size)
    log = folder / "import.log"
    with scratch_database(postgres_url, folder, "import") as url:
        upgrade(ivr, url)
        first = run_import(ivr, url, data, size, plan.limit, log)
        again = None if first.stopped else run_import(ivr, url, data, size, plan.limit, log)
    data.unlink()
    return first, again


def _start_up(ivr: Path, postgres_url: str | None, folder: Path) -> float:
    """Seconds the command takes to import one row: its start-up, near enough."""
    data = folder / "accounts-1.csv"
    write_accounts_csv(data, 1, seed=1)
    with scratch_database(postgres_url, folder, "import") as url:
        upgrade(ivr, url)
        return run_import(ivr, url, data, 1, 300, folder / "import.log").seconds


def import_section(ivr: Path, postgres_url: str | None, folder: Path, plan: ImportPlan,
                   say: Callable[[str], None]) -> Section:
    """Every size of ``plan`` (or why not), imported and re-imported by ``ivr``."""
    start_up = _start_up(ivr, postgres_url, folder)
    figures: list[Figure] = []
    runs: list[dict[str, object]] = []
    rate: float | None = None
    for size in plan.sizes:
        if rate is not None and size / rate > plan.budget:
            figures += _skipped(size, rate, plan.budget)
            continue
        say(f"importing {size:,} rows (then again, unchanged)")
        first, again = _one_size(ivr, postgres_url, folder, size, plan)
        rate = first.per_second(start_up)
        figures += _size_figures(first, again, start_up)
        runs.append({"import": asdict(first), "re_import": again and asdict(again)})
    database = "postgresql" if postgres_url else "sqlite"
    lines = [f"`ivr accounts import` of {line_of(ivr)} on {database}; start-up (a one-row "
             f"file) {start_up:.2f} s, taken off each wall time"]
    return Section("import", "Import", figures, lines,
                   {"database": database, "start_up_seconds": start_up, "runs": runs})
