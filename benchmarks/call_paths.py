"""How long the line's shortest paths are for a caller: key entries, words, seconds of speech.

Replays the call scripts in ``benchmarks/paths/`` (the shortest full-balance card payment,
the shortest bank payment, a balance check and a history check, each by the caller-ID match
of account 10001234) in-process, each on a fresh demo database, and prints for each the key
entries the caller made, the words the line spoke and how long those take at 150 words a
minute, beside issue 10's targets where it sets one, in each language the line speaks. The
scripts check prompt ids, not words, so each runs in every language: once for a caller whose
account is saved in that language (every call after the first), and, for a language other
than the line's, once for one who chooses it at the greeting (a first call: one entry more,
the 9, and the way back offered). Run:

    .venv/bin/python benchmarks/call_paths.py [--language es-US]

``--language`` measures that language only. A script is a plain ``ivr call`` script, so
``ivr call --script benchmarks/paths/card_payment.yaml`` shows the whole transcript. The
counting is the simulator's (``CallResult.entries``, ``.words``, ``.speech_seconds``);
tests/sim/test_call_cost.py checks it on these scripts, and tests/benchmarks keeps the targets.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import update

from flows.speech import DEFAULT_LANGUAGE, languages
from ivr.app import create_app
from ivr.db import db
from ivr.sim.results import CallResult
from ivr.sim.scratch import scratch_demo_app
from ivr.sim.script import run_script
from models import Account

PATHS = Path(__file__).resolve().parent / "paths"
# (script, label, most entries, most words) in the order printed; issue 10's targets.
PATH_TARGETS: tuple[tuple[str, str, int | None, int | None], ...] = (
    ("card_payment", "card payment", 9, 230),
    ("bank_payment", "bank payment", None, None),
    ("balance_check", "balance check", 3, 70),
    ("history_check", "history check", None, None),
)


def replay(name: str, language: str = DEFAULT_LANGUAGE, saved: bool = True) -> CallResult:
    """One path's call in ``language`` on a fresh copy of the demo data (a payment would
    change the next): with the accounts saved in that language, or (``saved`` False) chosen
    at the greeting."""
    with tempfile.TemporaryDirectory(prefix="ivr-bench-") as folder:
        base = create_app({"IVR_DATABASE_URL": f"sqlite:///{folder}/base.sqlite3"})
        with scratch_demo_app(base) as app:
            if saved:
                with db.transaction(app) as session:
                    session.execute(update(Account).values(language=language))
            return run_script(app, PATHS / f"{name}.yaml", quiet=True, language=language)


def runs(only: str | None = None) -> list[tuple[str, str, bool]]:
    """(label, language, saved) for each way a path is run: the line's language, then each
    other language saved on the account and chosen at the greeting (``only``: that one)."""
    others = sorted(languages() - {DEFAULT_LANGUAGE})
    every = [(DEFAULT_LANGUAGE, DEFAULT_LANGUAGE, True),
             *((language, language, True) for language in others),
             *((f"{language}, chosen", language, False) for language in others)]
    return [run for run in every if only is None or run[1] == only]


def within(result: CallResult, entries: int | None, words: int | None) -> bool:
    """The path meets its targets (one without targets always does)."""
    return (entries is None or result.entries <= entries) and \
        (words is None or result.words <= words)


def verdict(result: CallResult, entries: int | None, words: int | None) -> str:
    """The target beside the measure, and whether it is met."""
    if entries is None or words is None:
        return "no target"
    met = "met" if within(result, entries, words) else "NOT met"
    return f"target ≤ {entries} entries, ≤ {words} words: {met}"


def main(argv: list[str] | None = None) -> int:
    """Print one line per path and run; 1 (and one ``error: ...`` line) for a language the
    line has no catalog for."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--language", help="measure this language only")
    only = parser.parse_args(argv).language
    if only is not None and only not in languages():
        print(f"error: no prompt catalog for {only!r} (flows/prompts/{only}.yaml); the line "
              f"speaks {', '.join(sorted(languages()))}", file=sys.stderr)
        return 1
    logging.disable(logging.INFO)
    for name, label, entries, words in PATH_TARGETS:
        for how, language, saved in runs(only):
            result = replay(name, language, saved)
            print(f"{label:13} {how:15}: {result.entries:2} entries, {result.words:3} words, "
                  f"{result.speech_seconds:5.1f} s of speech   "
                  f"({verdict(result, entries, words)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
