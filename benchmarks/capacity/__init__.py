"""Issue 12's capacity benchmark: every figure of its Targets, measured, beside its target.

Run from the checkout (``python -m benchmarks.capacity --help``); see :mod:`.cli`.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"
