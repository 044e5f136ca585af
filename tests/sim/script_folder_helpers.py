"""Folders of call scripts for the suite tests: some pass, one fails, one cannot be read."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "calls"
PIN = "2468"

HANG_UP = """\
name: Hang up at once
steps:
  - hangup
  - expect_end: caller-hangup
"""
BALANCE = f"""\
name: The balance after the PIN
from: "+14155550100"
today: "2026-11-21"
steps:
  - press: "1"
  - expect: "Enter your PIN."
  - press: "{PIN}"
  - expect: "You owe one hundred twenty dollars and forty-five cents, due December fifth."
  - hangup
  - expect_end: caller-hangup
"""
WRONG_BALANCE = f"""\
name: A balance the account does not have
from: "+14155550100"
today: "2026-11-21"
steps:
  - press: "1"
  - expect: "Enter your PIN."
  - press: "{PIN}"
  - expect: "You owe one hundred dollars."
"""
UNREADABLE = "name: broken\nsteps:\n  - pres: '1'\n"
# A payment's confirmation number is new on every call.
_CONFIRMATION = re.compile(r"(confirmation number is) [0-9 ,]+\.")


def write_folder(folder: Path, **scripts: str) -> Path:
    """``folder`` holding each script as ``<name>.yaml``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in scripts.items():
        (folder / f"{name}.yaml").write_text(text, encoding="utf-8")
    return folder


def two_pass_one_fails(folder: Path) -> Path:
    """``balance`` and ``hang_up`` pass, ``wrong_balance`` fails (after keying the PIN)."""
    return write_folder(folder, balance=BALANCE, hang_up=HANG_UP, wrong_balance=WRONG_BALANCE)


def two_payments(folder: Path) -> Path:
    """``pay_a`` and ``pay_b``: the same payment of the whole balance, which passes only on a
    database of its own (the second on a shared one would find nothing owed)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("pay_a", "pay_b"):
        shutil.copy(FIXTURES / "pay_full_balance.yaml", folder / f"{name}.yaml")
    return folder


def same_every_time(output: str) -> str:
    """``output`` with what differs on every run (confirmation numbers) made alike."""
    return _CONFIRMATION.sub(r"\1 N.", output)
