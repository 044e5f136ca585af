"""A load test's mix of calls: call scripts with weights, read from YAML.

```yaml
calls:
  - script: ../calls/bilingual_balance.yaml   # relative to this file
    weight: 5                                 # optional, default 1
  - script: wrong_pin_then_right.yaml
    weight: 2
    from: "+1650555XXXX"                      # optional: each X a random digit, per call
```

Each simulated caller picks the script of its next call at random in proportion to the
weights (:meth:`Mix.pick`, from the caller's own seeded generator). ``from`` replaces the
script's caller ID; its ``X``s make each call's different, as the callers of a real line
are: the line counts wrong PINs per caller ID as well as per account, and turns a number
away after a few (``IVR_CALLER_MAX_PIN_FAILURES`` an hour).
"""

from __future__ import annotations

import random
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ivr.errors import ScriptError
from ivr.sim.script_load import SETTINGS_KIND, Script, load_script
from ivr.sim.simulator import DEFAULT_FROM

# The mix `ivr load` runs without --mix (in the checkout, beside the call scripts).
DEFAULT_MIX = Path("fixtures/load/default.yaml")
ENTRY_KEYS = frozenset({"script", "weight", "from"})
# A caller ID to call from: E.164, where each X stands for a random digit.
CALLER_ID_PATTERN = re.compile(r"\+[1-9][0-9X]{6,14}")
# The most shares one script may have: the weights' total must stay a finite number to pick by.
MAX_WEIGHT = 1e9


@dataclass(frozen=True)
class MixEntry:
    """One script of the mix and its share of the calls."""

    path: Path
    script: Script
    weight: float
    caller_id: str | None = None  # replaces the script's ``from``; each X a random digit

    def from_number(self, rng: random.Random) -> str:
        """The caller ID of one call: the entry's (its Xs drawn), the script's, or the
        simulator's default caller."""
        pattern = self.caller_id or self.script.from_number or DEFAULT_FROM
        return "".join(rng.choice(string.digits) if character == "X" else character
                       for character in pattern)

    @property
    def name(self) -> str:
        """The script's file name without ``.yaml``: how reports name it."""
        return self.path.stem


@dataclass(frozen=True)
class Mix:
    """The scripts a load test's calls follow, and how often each."""

    source: Path
    entries: tuple[MixEntry, ...]

    def pick(self, rng: random.Random) -> MixEntry:
        """A script for the next call, in proportion to the weights."""
        return rng.choices(self.entries, weights=[entry.weight for entry in self.entries])[0]

    def overrides(self) -> list[str]:
        """The settings (and ``today``) the scripts ask for, for the call or from one of its
        steps on, which no remote server takes."""
        names = {name for entry in self.entries for name in entry.script.settings}
        names.update(name for entry in self.entries for step in entry.script.steps
                     if step.kind == SETTINGS_KIND for name in step.settings)
        if any(entry.script.today for entry in self.entries):
            names.add("IVR_TODAY")
        return sorted(names)


def _weight(value: Any, where: str) -> float:
    """A positive number of shares, not so many that the mix's total is no number."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ScriptError(f"{where}: weight must be a number above 0, got {value!r}")
    if value > MAX_WEIGHT:
        raise ScriptError(f"{where}: weight must be at most {MAX_WEIGHT:g}, got {value:g}")
    return float(value)


def _entry(raw: Any, folder: Path, where: str) -> MixEntry:
    """One ``{script: PATH, weight: N}`` item, its script loaded and checked."""
    if not isinstance(raw, Mapping) or "script" not in raw:
        raise ScriptError(f"{where}: expected {{script: PATH, weight: N}}, got {raw!r}")
    unknown = set(raw) - ENTRY_KEYS
    if unknown:
        raise ScriptError(f"{where}: unknown keys {', '.join(sorted(map(str, unknown)))}")
    path = folder / str(raw["script"])
    if not path.is_file():
        raise ScriptError(f"{where}: no script file {path}")
    try:
        script = load_script(path)
    except ScriptError as exc:
        raise ScriptError(f"{where}: {path}: {exc}") from None
    return MixEntry(path, script, _weight(raw.get("weight", 1), where),
                    _caller_id(raw.get("from"), where))


def _caller_id(value: Any, where: str) -> str | None:
    """An E.164 caller ID, whose Xs are drawn for each call (None: the script's own)."""
    if value is None:
        return None
    text = str(value).strip()
    if not CALLER_ID_PATTERN.fullmatch(text):
        raise ScriptError(f"{where}: from must be a number such as +16505550123, where each X "
                          f"stands for a random digit (+1650555XXXX), got {value!r}")
    return text


def load_mix(source: str | Path) -> Mix:
    """Read and check a mix file; every script it names is loaded, so errors come first."""
    path = Path(source)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ScriptError(f"{path}: {' '.join(str(exc).split())}") from None
    calls = data.get("calls") if isinstance(data, Mapping) else None
    if not isinstance(calls, list) or not calls:
        raise ScriptError(f"{path}: a mix is a mapping whose 'calls' lists "
                          "{script: PATH, weight: N} items")
    unknown = set(map(str, data)) - {"calls"}
    if unknown:
        raise ScriptError(f"{path}: unknown keys {', '.join(sorted(unknown))}")
    entries = tuple(_entry(raw, path.parent, f"{path}: calls item {number}")
                    for number, raw in enumerate(calls, start=1))
    return Mix(path, entries)
