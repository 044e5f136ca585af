"""``python -m benchmarks.capacity``: run every part, print the tables, keep the JSON.

Sizes: the full run is issue 12's (a million accounts, a million rows, a minute a load
run, an import stopped after an hour); ``--quick`` a run of minutes (100,000 accounts and
rows, 20 s a load run, an import stopped after 5 minutes); ``--smoke`` the smallest that
still produces every figure (the test's). Only the sizes differ: every figure is measured
the same way at each.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import make_url
from sqlalchemy.exc import SQLAlchemyError

from benchmarks.capacity import ROOT
from benchmarks.capacity.figures import Section, figure_table
from benchmarks.capacity.imports import ImportPlan, import_section
from benchmarks.capacity.load import SATURATION_BEFORE, LoadSizes, load_section
from benchmarks.capacity.machine import THIS_IVR, describe, machine_lines
from benchmarks.capacity.turn_sections import TurnSizes, turn_sections
from ivr.errors import ScriptError, ScriptFailure
from ivr.settings_values import normalise_database_url

SECTIONS = ("turns", "import", "load")
DEFAULT_JSON = ROOT / "build" / "capacity.json"


@dataclass(frozen=True)
class Sizes:
    """How big each part of a run is."""

    turns: TurnSizes
    imports: ImportPlan
    load: LoadSizes


FULL = Sizes(TurnSizes(300, 1_000, 1_000_000), ImportPlan((10_000, 1_000_000), 3600, 1200),
             LoadSizes(200, 32, 1_000, 3.0, 60, 20, 4))
QUICK = Sizes(TurnSizes(100, 1_000, 100_000), ImportPlan((10_000, 100_000), 300, 300),
              LoadSizes(200, 32, 1_000, 3.0, 20, 10, 4))
SMOKE = Sizes(TurnSizes(3, 100, 1_000), ImportPlan((50, 100), 300, 300),
              LoadSizes(5, 5, 5, 0.2, 2, 0.5, 2))


def _parser() -> argparse.ArgumentParser:
    """The command line's options."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.capacity",
                                     description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("IVR_TEST_DATABASE_URL"),
                        help="a PostgreSQL server (default IVR_TEST_DATABASE_URL; without "
                             "one, everything but the SQLite turns is measured on SQLite)")
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="a run of minutes")
    size.add_argument("--smoke", action="store_true", help="the smallest run (for the test)")
    parser.add_argument("--only", default=",".join(SECTIONS),
                        help=f"the parts to run, comma-separated (default {','.join(SECTIONS)})")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON,
                        help="where to write the results (default build/capacity.json)")
    parser.add_argument("--ivr", type=Path, default=THIS_IVR, metavar="PATH",
                        help="the `ivr` command whose line the import and load parts measure "
                             "(default this checkout's; another checkout's .venv/bin/ivr "
                             "measures that line with this benchmark's load generator)")
    parser.add_argument("--workers", type=int, help="ivr serve's workers for the load runs "
                        "(default 4, as issue 12's targets)")
    parser.add_argument("--import-budget", type=float, metavar="SECONDS",
                        help="import the larger size only if the smaller one's speed says it "
                             "ends within this (default 300 quick, 1200 full)")
    parser.add_argument("--saturation-before", type=float, default=SATURATION_BEFORE,
                        metavar="RPS", help="the saturation throughput to double "
                                            f"(default {SATURATION_BEFORE:g}, issue 12's)")
    return parser


def parse(argv: list[str] | None) -> argparse.Namespace:
    """The command line, checked: a bad option is one ``error:`` line and exit 2."""
    parser = _parser()
    args = parser.parse_args(argv)
    unknown = set(args.only.split(",")) - set(SECTIONS)
    if unknown:
        parser.error(f"--only: no part named {', '.join(sorted(unknown))} "
                     f"(the parts: {', '.join(SECTIONS)})")
    if not os.access(args.ivr, os.X_OK):
        parser.error(f"--ivr: {args.ivr} is not a command that can be run")
    if args.database_url and make_url(normalise_database_url(args.database_url)) \
            .get_backend_name() != "postgresql":
        parser.error("--database-url: a postgresql:// URL")
    return args


def sizes_of(args: argparse.Namespace) -> Sizes:
    """The sizes the options ask for."""
    sizes = SMOKE if args.smoke else QUICK if args.quick else FULL
    imports, load = sizes.imports, sizes.load
    if args.import_budget is not None:
        imports = replace(imports, budget=args.import_budget)
    if args.workers is not None:
        load = replace(load, workers=args.workers)
    return Sizes(sizes.turns, imports, load)


def run_sections(args: argparse.Namespace, machine: dict[str, object],
                 shown: Callable[[Section], None]) -> list[Section]:
    """Every part asked for, each shown as it ends."""
    sizes, url, only = sizes_of(args), args.database_url, args.only.split(",")
    url = normalise_database_url(url) if url else None
    say = lambda message: print(f"[capacity] {message}", file=sys.stderr, flush=True)  # noqa: E731
    sections: list[Section] = []
    with tempfile.TemporaryDirectory(prefix="ivr-capacity-") as scratch:
        folder = Path(scratch)
        parts = {"turns": lambda: turn_sections(url, folder, sizes.turns, say),
                 "import": lambda: [import_section(args.ivr, url, folder, sizes.imports,
                                                   say)],
                 "load": lambda: [load_section(args.ivr, url, folder, sizes.load, int(str(
                     machine["cores"])), say, args.saturation_before)]}
        for name in SECTIONS:
            if name in only:
                for section in parts[name]():
                    shown(section)
                    sections.append(section)
    return sections


def write_json(path: Path, args: argparse.Namespace, machine: dict[str, object],
               sections: list[Section], started: float) -> None:
    """The run's results, for the README to quote."""
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = "smoke" if args.smoke else "quick" if args.quick else "full"
    document = {"mode": mode, "finished": datetime.now(UTC).isoformat(timespec="seconds"),
                "seconds": round(time.monotonic() - started, 1), "machine": machine,
                "figures": [figure.as_json() for section in sections
                            for figure in section.figures],
                "sections": {section.name: section.details for section in sections}}
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n",
                    encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """Run, print, write; 1 and one ``error:`` line when a part cannot be run."""
    args = parse(argv)
    started = time.monotonic()
    try:
        machine = describe(normalise_database_url(args.database_url)
                           if args.database_url else None)
        print(*machine_lines(machine), "", sep="\n", flush=True)
        sections = run_sections(args, machine,
                                lambda section: print(*section.text(), sep="\n", flush=True))
    except (SQLAlchemyError, RuntimeError, ScriptError, ScriptFailure, OSError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        print(f"error: {first}", file=sys.stderr)
        return 1
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    machine["load_average_at_end"] = [round(value, 2) for value in os.getloadavg()]
    print("== Summary (the notes are with each part above)",
          *figure_table((f for s in sections for f in s.figures), notes=False),
          f"\nLoad average at the end: {load}", sep="\n")
    write_json(args.json, args, machine, sections, started)
    print(f"\nResults written to {args.json}")
    return 0
