"""How long the line's shortest paths are for a caller: key entries, words, seconds of speech.

Replays the call scripts in ``benchmarks/paths/`` (the shortest full-balance card payment,
the shortest bank payment, a balance check and a history check, each by the caller-ID match
of account 10001234) in-process, each on a fresh demo database, and prints for each the key
entries the caller made, the words the line spoke and how long those take at 150 words a
minute, beside issue 10's targets where it sets one. Run:

    .venv/bin/python benchmarks/call_paths.py [--language es-US]

With ``--language``, the line speaks that language (``IVR_LANGUAGE``: it needs its prompt
catalog). A path is then ``benchmarks/paths/<language>/<name>.yaml`` when there is one, else the
US English script's keys, with its English ``expect``/``expect_not`` checks left out (the keys
are the same in every language; how the call ends is still checked).

A script is a plain ``ivr call`` script, so ``ivr call --script benchmarks/paths/card_payment.yaml``
shows the whole transcript. The counting is the simulator's (``CallResult.entries``,
``.words``, ``.speech_seconds``); tests/sim/test_call_cost.py checks it on these scripts, and
tests/benchmarks/test_call_paths.py that the paths stay within the targets.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ivr.app import create_app
from ivr.errors import ConfigError, ScriptError
from ivr.sim.results import CallResult
from ivr.sim.scratch import scratch_demo_app
from ivr.sim.script import run_script

PATHS = Path(__file__).resolve().parent / "paths"
BASE_LANGUAGE = "en-US"  # the language of the scripts in PATHS itself
TEXT_CHECKS = ("expect", "expect_not")  # steps that check words in the scripts' language
# (script, label, most entries, most words) in the order printed; issue 10's targets.
PATH_TARGETS: tuple[tuple[str, str, int | None, int | None], ...] = (
    ("card_payment", "card payment", 9, 230),
    ("bank_payment", "bank payment", None, None),
    ("balance_check", "balance check", 3, 70),
    ("history_check", "history check", None, None),
)


def script_for(name: str, language: str = BASE_LANGUAGE) -> dict[str, Any]:
    """The path's script for a line speaking ``language``: its own when it has one, else the
    base script's keys without its word checks; the line's language set either way."""
    base, own = PATHS / f"{name}.yaml", PATHS / language / f"{name}.yaml"
    path = own if language != BASE_LANGUAGE and own.is_file() else base
    script = yaml.safe_load(path.read_text(encoding="utf-8"))
    if language != BASE_LANGUAGE and path == base:
        script["steps"] = [step for step in script["steps"]
                           if not (isinstance(step, dict) and set(step) & set(TEXT_CHECKS))]
    script["settings"] = {**(script.get("settings") or {}), "IVR_LANGUAGE": language}
    return script


def replay(name: str, language: str = BASE_LANGUAGE) -> CallResult:
    """One path's call on a fresh copy of the demo data (a payment would change the next)."""
    with tempfile.TemporaryDirectory(prefix="ivr-bench-") as folder:
        base = create_app({"IVR_DATABASE_URL": f"sqlite:///{folder}/base.sqlite3"})
        with scratch_demo_app(base) as app:
            return run_script(app, script_for(name, language), quiet=True)


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
    """Print one line per path; 1 (and ``error: ...``) when a path cannot be replayed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--language", default=BASE_LANGUAGE,
                        help="the language the line speaks (default: %(default)s)")
    language = parser.parse_args(argv).language
    logging.disable(logging.INFO)
    for name, label, entries, words in PATH_TARGETS:
        try:
            result = replay(name, language)
        except (ConfigError, ScriptError) as error:
            print(f"error: {label} in {language}: {error}", file=sys.stderr)
            return 1
        print(f"{label:13}: {result.entries:2} entries, {result.words:3} words, "
              f"{result.speech_seconds:5.1f} s of speech   "
              f"({verdict(result, entries, words)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
