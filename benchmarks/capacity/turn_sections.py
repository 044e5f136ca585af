"""The per-turn sections: each turn's cost against the floors, and against the accounts held.

Three lines are measured in one run, a call on each in turn: SQLite and PostgreSQL with
1,000 generated accounts each, and PostgreSQL with many more (a million; 100,000 for a quick
run), each in a database of its own. Without a PostgreSQL, SQLite stands in for it. A turn's
cost with many accounts is compared with its cost with few, measured over the same minutes.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from benchmarks.capacity.databases import add_accounts, prepare_line, scratch_database
from benchmarks.capacity.figures import Figure, Section, Target, aligned
from benchmarks.capacity.turns import (
    FIXED,
    MENU,
    PIN,
    STATEFUL,
    TARGET_TURNS,
    Line,
    TurnRun,
    measure_turns,
)

PIN_OVER_MENU = Target("<=", 1.5)
OVER_STATEFUL = Target("<=", 2.0)
FLAT = Target("<=", 1.2)
HEADINGS = ("request", "count", "p50 ms", "p95 ms", "CPU p50 ms", "statements",
            "transactions", "x fixed", "x stateful")


@dataclass(frozen=True)
class TurnSizes:
    """Calls measured per database, and the accounts held: at first, then scaled up to."""

    calls: int
    accounts: int
    scaled_accounts: int


def _ratio(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def turn_table(run: TurnRun) -> list[str]:
    """Every kind of request seen: the floors first, then the targets' turns, then the
    rest in the order a call reaches them."""
    first = [FIXED, STATEFUL, *TARGET_TURNS]
    order = [kind for kind in first if kind in run.kinds] + \
        [kind for kind in run.kinds if kind not in first]
    rows = [HEADINGS, *((kind, str(stats.requests), f"{stats.wall_p50:.2f}",
                         f"{stats.wall_p95:.2f}", f"{stats.cpu_p50:.2f}",
                         f"{stats.statements:.1f}", f"{stats.transactions:.1f}",
                         _ratio(run.ratio(kind, FIXED)), _ratio(run.ratio(kind, STATEFUL)))
                        for kind, stats in ((kind, run.kinds[kind]) for kind in order))]
    return [f"-- {run.database}, {run.accounts:,} accounts, {run.calls} calls "
            "(milliseconds of wall time unless said)", *aligned(rows), ""]


def turn_figures(run: TurnRun) -> list[Figure]:
    """PIN turn over menu turn, and each targeted turn over the stateful floor."""
    name = run.database
    figures = [Figure("turns", f"{name}: PIN turn ÷ menu turn", run.ratio(PIN, MENU), "x",
                      PIN_OVER_MENU)]
    figures += [Figure("turns", f"{name}: {label} ÷ stateful floor", run.ratio(kind, STATEFUL),
                       "x", OVER_STATEFUL) for kind, label in TARGET_TURNS.items()]
    return figures


def scale_figures(small: TurnRun, large: TurnRun) -> list[Figure]:
    """Each targeted turn's median at many accounts over its median at few."""
    floor = (large.kinds[STATEFUL].wall_p50 / small.kinds[STATEFUL].wall_p50
             if STATEFUL in small.kinds and STATEFUL in large.kinds else None)
    drift = "" if floor is None else f"; the stateful floor moved {floor:.2f}x meanwhile"
    figures = []
    for kind, label in TARGET_TURNS.items():
        before, after = small.kinds.get(kind), large.kinds.get(kind)
        ratio = None if before is None or after is None else after.wall_p50 / before.wall_p50
        note = "" if before is None or after is None else \
            f"p50 {before.wall_p50:.2f} ms, then {after.wall_p50:.2f} ms{drift}"
        figures.append(Figure("scale", f"{large.database}: {label} at {large.accounts:,} ÷ at "
                              f"{small.accounts:,} accounts", ratio, "x", FLAT, note))
    return figures


def _lines(postgres_url: str | None, sizes: TurnSizes) -> list[tuple[str, str | None, int]]:
    """(database, PostgreSQL URL or None, accounts) of each line: each database with few
    accounts, then the scaled one (PostgreSQL when there is one) with many."""
    databases = [("sqlite", None), *([("postgresql", postgres_url)] if postgres_url else [])]
    scaled = databases[-1]
    return [(name, url, sizes.accounts) for name, url in databases] + \
        [(*scaled, sizes.scaled_accounts)]


def turn_sections(postgres_url: str | None, folder: Path, sizes: TurnSizes,
                  say: Callable[[str], None]) -> list[Section]:
    """The per-turn section and the scale section, every line measured in one run."""
    lines: list[Line] = []
    with contextlib.ExitStack() as stack:
        for database, url, accounts in _lines(postgres_url, sizes):
            line_url = stack.enter_context(scratch_database(url, folder, "turns"))
            say(f"turns: {database} with {accounts:,} accounts")
            prepare_line(line_url)
            add_accounts(line_url, 0, accounts)
            lines.append(Line(database, line_url, accounts))
        say(f"turns: {sizes.calls} calls on each of {len(lines)} lines, in turn")
        runs = measure_turns(lines, sizes.calls)
    *few, many = runs
    table = [line for run in runs for line in turn_table(run)]
    turns = Section("turns", "Per-turn cost", [f for run in few for f in turn_figures(run)],
                    table, {"runs": [run.as_json() for run in runs]})
    scale = Section("scale", "Per-turn cost against the accounts held",
                    scale_figures(few[-1], many), [],
                    {"runs": [run.as_json() for run in (few[-1], many)]})
    return [turns, scale]
