"""Capacity: what `ivr serve --workers 4` answers, and how fast, with many callers at once.

Starts `ivr serve --workers 4` on a throwaway schema of the PostgreSQL named by
IVR_TEST_DATABASE_URL (else on a SQLite file) with the demo accounts, gives Jordan
(10001234) a balance that the mix's $10.50 payments cannot use up (`ivr accounts import`),
and runs the load generator (`ivr load`'s engine) with the shipped mix
(fixtures/load/default.yaml: balance checks, card payments, wrong PINs) at a few caller
counts in turn, each for --duration seconds with --think seconds before each action (a
caller listening, then pressing keys). Prints each run's summary (requests per second, and
p50/p95/p99 per kind of turn), then one line per caller count. The generator runs on the
same machine as the server, and takes some of its processors. Run:

    IVR_TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test \\
        .venv/bin/python benchmarks/load_capacity.py [--callers 25,50,100] [--think 3] \\
        [--duration 60] [--mix FILE]
"""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ivr.config import DEV_AUTH_TOKEN
from ivr.sim.load.callers import LoadPlan, LoadRun
from ivr.sim.load.mix import DEFAULT_MIX, load_mix
from ivr.sim.load.report import summary_text
from ivr.sim.load.stats import COMPLETED, LoadSummary
from tests.app_helpers import PG_URL, database
from tests.server_helpers import serving

ROOT = Path(__file__).resolve().parent.parent
WORKERS = 4
# Jordan's row of the demo accounts, owing enough for every payment of a long run.
RICH_JORDAN = ("account_number,name,phone,pin,balance,due_date,zip,language\n"
               "10001234,Jordan Rivera,(415) 555-0100,2468,1000000.00,2026-12-05,94105,en-US\n")
# Wrong PINs from many callers at once on one account: more than the default 5 in a row
# (each caller's right PIN clears the count) would lock it for the rest of the run.
SERVER_SETTINGS = {"IVR_PIN_MAX_FAILURES": "100"}


def raise_balance(database_url: str, folder: Path) -> None:
    """Import Jordan's account again with a large balance, as an operator would."""
    accounts = folder / "rich_jordan.csv"
    accounts.write_text(RICH_JORDAN, encoding="utf-8")
    ivr = Path(sys.executable).parent / "ivr"
    subprocess.run([str(ivr), "accounts", "import", str(accounts)], check=True,
                   env={**os.environ, "IVR_DATABASE_URL": database_url},
                   stdout=subprocess.DEVNULL)


def overview(callers: int, summary: LoadSummary) -> str:
    """One line: calls, requests per second, overall percentiles, errors."""
    overall = summary.overall
    times = "no requests" if overall is None else (
        f"p50 {overall.p50 * 1000:.0f} ms, p95 {overall.p95 * 1000:.0f} ms, "
        f"p99 {overall.p99 * 1000:.0f} ms")
    return (f"{callers:5} callers: {summary.calls[COMPLETED]} calls completed, "
            f"{summary.per_second:.1f} requests/s, {times}, "
            f"{sum(summary.errors.values())} errors, "
            f"{sum(summary.mismatches.values())} mismatches")


def main() -> None:
    """Serve, then load at each caller count and print what was measured."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--callers", default="25,50,100",
                        help="caller counts, comma-separated (default 25,50,100)")
    parser.add_argument("--think", type=float, default=3.0, help="seconds (default 3)")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds (default 60)")
    parser.add_argument("--mix", type=Path, default=ROOT / DEFAULT_MIX,
                        help=f"the mix to run (default {DEFAULT_MIX})")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    mix = load_mix(args.mix)
    kind = "postgresql" if PG_URL else "sqlite"
    lines = []
    with tempfile.TemporaryDirectory(prefix="ivr-load-") as folder, \
            database(kind, Path(folder)) as url, \
            serving(url, Path(folder), WORKERS, **SERVER_SETTINGS) as (base, _):
        raise_balance(url, Path(folder))
        shown = args.mix.relative_to(ROOT) if args.mix.is_relative_to(ROOT) else args.mix
        print(f"ivr serve --workers {WORKERS} on {kind}; think {args.think:g} s, "
              f"{args.duration:g} s per run; mix {shown}")
        for callers in (int(count) for count in args.callers.split(",")):
            plan = LoadPlan(base, callers, args.think, args.duration, mix)
            summary = LoadRun(plan, token=DEV_AUTH_TOKEN).run()
            print(f"\n{callers} callers", *summary_text(summary), sep="\n")
            lines.append(overview(callers, summary))
    print("", *lines, sep="\n")


if __name__ == "__main__":
    main()
