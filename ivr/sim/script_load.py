"""Reading call scripts (YAML) for the simulator into ``Script`` objects."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from flows.speech import languages
from ivr.config import ENV_NAMES
from ivr.errors import ScriptError
from ivr.sim import prompts
from ivr.sim.dial import AGENT_OUTCOMES
from ivr.sim.pay_connectors import CONNECTORS as PAY_CONNECTORS
from ivr.sim.twiml import DTMF_KEYS

INPUT_KINDS = ("press", "say", "silence", "hangup", "record")
CHECK_KINDS = ("expect", "expect_not", "expect_end", "expect_sms", "expect_prompt",
               "expect_sms_prompt")
# A step that changes the line's settings from there on (in process): neither input nor check.
SETTINGS_KIND = "settings"
# Settings the line reads once, when it starts: its database engine, payment gateway,
# logging and proxy headers are built from them, so a step changing them would change
# nothing a call meets (the gateway built would go on charging).
READ_AT_START = frozenset({
    "IVR_DATABASE_URL", "IVR_PAYMENT_GATEWAY", "IVR_STRIPE_API_KEY", "IVR_STRIPE_API_BASE",
    "IVR_AUTHORIZE_NET_LOGIN_ID", "IVR_AUTHORIZE_NET_TRANSACTION_KEY",
    "IVR_AUTHORIZE_NET_API_BASE", "IVR_LOG_FILE", "IVR_TRUSTED_PROXIES"})
# Checks of words, which hold in one language only; a script without them holds in every one.
WORDING_KINDS = ("expect", "expect_not", "expect_sms")
END_OUTCOMES = ("hangup", "caller-hangup", "ivr-hangup", "transfer", "reject",
                "application-error", "loop")


class _SourceInt(int):
    """An int that remembers how it was written, so ``press: 0123`` stays "0123"."""

    source: str


class _Loader(yaml.SafeLoader):
    """SafeLoader that keeps the text of integers (YAML reads 0123 as octal 83)."""


def _construct_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    value = _SourceInt(loader.construct_yaml_int(node))
    value.source = node.value
    return value


_Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)


def as_text(value: Any) -> str:
    """A scalar from YAML as the text the author wrote (numbers, dates, phone numbers)."""
    if isinstance(value, _SourceInt):
        return value.source
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _plain(value: Any) -> Any:
    """Drop the source-keeping int subclass so app.config gets ordinary values."""
    return int(value) if isinstance(value, _SourceInt) else value


@dataclass(frozen=True)
class Step:
    """One script step; ``number`` counts from 1 as a reader of the YAML would."""

    number: int
    kind: str
    value: str = ""  # a record's: how it ends (a key, "silence" or "hangup")
    confidence: float | None = None  # a ``say`` step's, when the script gives one
    seconds: int = 0  # a record's: how long the caller speaks
    # A settings step's: the line's settings (environment variable names) and their values.
    settings: Mapping[str, Any] = field(default_factory=dict, hash=False, repr=False)

    def describe(self) -> str:
        """The step as written, e.g. ``step 3 (press: "1")``; a settings step by its names
        only (a value may be a secret, as the card store's key is)."""
        if self.kind in ("silence", "hangup"):
            return f"step {self.number} ({self.kind})"
        if self.kind == SETTINGS_KIND:
            return f"step {self.number} (settings: {self.value})"
        if self.kind == "record":
            return f"step {self.number} (record: {self.seconds} seconds, then {self.value})"
        sure = f", confidence {self.confidence:g}" if self.confidence is not None else ""
        return f'step {self.number} ({self.kind}: "{self.value}"{sure})'


@dataclass
class Script:
    """A scripted call: who calls, app overrides, and the steps in order."""

    name: str
    steps: list[Step]
    from_number: str | None = None
    to_number: str | None = None
    today: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    pay_connector: str | None = None  # the Pay Connector <Pay> emulates (None: the line's)
    agent: str = "answer"  # what an agent's phone a <Dial> rings does (ivr.sim.dial)
    language: str | None = None  # the call's, chosen at the greeting if it is not (None: any)

    @property
    def bilingual(self) -> bool:
        """It checks prompt ids, never words, so it holds whatever the call's language."""
        return not any(step.kind in WORDING_KINDS for step in self.steps)


def _step(number: int, raw: Any) -> Step:
    """Validate one raw YAML step."""
    if isinstance(raw, str) and raw in ("silence", "hangup"):
        return Step(number, raw)
    if not isinstance(raw, Mapping) or len(raw) != 1:
        raise ScriptError(f"step {number}: expected 'silence', 'hangup' or one of "
                          f"{', '.join(('press', 'say', 'record', *CHECK_KINDS, SETTINGS_KIND))}"
                          f": <value>, got {raw!r}")
    kind, value = next(iter(raw.items()))
    if kind == "say":
        return _say_step(number, value)
    if kind == "record":
        return _record_step(number, value)
    if kind == SETTINGS_KIND:
        return _settings_step(number, value)
    if kind not in ("press", *CHECK_KINDS):
        raise ScriptError(f"step {number}: unknown step {kind!r}")
    text = as_text(value).strip() if value is not None else ""
    if kind == "press":
        text = "".join(text.split())
        if not text or not set(text) <= DTMF_KEYS:
            raise ScriptError(f"step {number}: press {text!r} is not keypad keys (0-9, *, #)")
    elif kind == "expect_end" and text not in END_OUTCOMES:
        raise ScriptError(f"step {number}: expect_end must be one of {', '.join(END_OUTCOMES)}")
    elif kind in ("expect_prompt", "expect_sms_prompt") and not prompts.known(text):
        raise ScriptError(f"step {number}: {kind}: {text!r} is not a prompt id of any catalog")
    elif not text:
        raise ScriptError(f"step {number}: {kind} needs some text")
    return Step(number, kind, text)


def _say_step(number: int, value: Any) -> Step:
    """``say: "pay my bill"``, or ``say: {words: "pay my bill", confidence: 0.3}``."""
    details = dict(value) if isinstance(value, Mapping) else {"words": value}
    unknown = set(details) - {"words", "confidence"}
    if unknown:
        raise ScriptError(f"step {number}: say takes words and confidence, not "
                          f"{', '.join(sorted(map(str, unknown)))}")
    words = " ".join(as_text(details.get("words") or "").split())
    if not words:
        raise ScriptError(f"step {number}: say needs the words the caller says")
    confidence = details.get("confidence")
    if confidence is not None and (isinstance(confidence, bool) or
                                   not isinstance(confidence, int | float) or
                                   not 0 <= confidence <= 1):
        raise ScriptError(f"step {number}: say's confidence is a number from 0 to 1, "
                          f"got {confidence!r}")
    return Step(number, "say", words, None if confidence is None else float(confidence))


def _record_step(number: int, raw: Any) -> Step:
    """``record: {seconds: 30, then: "#"}``: speak at a <Record>, then press a key (default
    "#"), stop talking (``then: silence``) or hang up (``then: hangup``)."""
    if not isinstance(raw, Mapping) or not set(raw) <= {"seconds", "then"} \
            or "seconds" not in raw:
        raise ScriptError(f"step {number}: record takes {{seconds: N, then: KEY|silence|hangup}}"
                          f", got {raw!r}")
    seconds = raw["seconds"]
    if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds < 0:
        raise ScriptError(f"step {number}: record seconds must be a whole number, got "
                          f"{seconds!r}")
    then = as_text(raw.get("then", "#")).strip()
    if then not in ("silence", "hangup") and not (len(then) == 1 and then in DTMF_KEYS):
        raise ScriptError(f"step {number}: record then must be one key, silence or hangup, "
                          f"got {then!r}")
    return Step(number, "record", then, seconds=int(seconds))


def _settings_step(number: int, raw: Any) -> Step:
    """``settings: {IVR_CARD_DATA_KEY: "..."}``: the line's settings from this step on, named
    as their environment variables. Their values are checked when the step is reached."""
    if not isinstance(raw, Mapping) or not raw:
        raise ScriptError(f"step {number}: settings takes a mapping of the line's settings "
                          f"to their values, e.g. {{IVR_CARD_DATA_KEY: ...}}")
    unknown = sorted(str(name) for name in raw if name not in ENV_NAMES)
    if unknown:
        raise ScriptError(f"step {number}: settings: not settings of the line: "
                          f"{', '.join(unknown)}")
    fixed = [str(name) for name in raw if name in READ_AT_START]
    if fixed:
        raise ScriptError(f"step {number}: settings: {', '.join(fixed)}: read once, when the "
                          f"line starts (what it builds of them stays): not during a call")
    names = ", ".join(str(name) for name in raw)
    return Step(number, SETTINGS_KIND, names,
                settings={str(name): _plain(value) for name, value in raw.items()})


def _read(source: str | Path | Mapping[str, Any]) -> tuple[Mapping[str, Any], str]:
    """The raw mapping and a default name (the file's stem)."""
    if isinstance(source, Mapping):
        return source, "script"
    path = Path(source)
    try:
        # _Loader is a SafeLoader subclass: plain data only, never arbitrary objects.
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    except (OSError, yaml.YAMLError) as exc:
        raise ScriptError(f"{path}: {exc}") from None
    if not isinstance(data, Mapping):
        raise ScriptError(f"{path}: a script is a mapping with 'name' and 'steps'")
    return data, path.stem


def load_script(source: str | Path | Mapping[str, Any]) -> Script:
    """Load and validate a script from a YAML file or an already-parsed mapping."""
    data, default_name = _read(source)
    unknown = set(data) - {"name", "from", "to", "today", "settings", "pay_connector", "agent",
                           "language", "steps"}
    if unknown:
        raise ScriptError(f"unknown script keys: {', '.join(sorted(map(str, unknown)))}")
    raw_steps = data.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        raise ScriptError("'steps' must be a non-empty list")
    settings = data.get("settings") or {}
    if not isinstance(settings, Mapping):
        raise ScriptError("'settings' must be a mapping of app.config keys to values")
    optional = {key: as_text(data[key]) if data.get(key) is not None else None
                for key in ("from", "to", "today", "pay_connector", "agent", "language")}
    if optional["agent"] not in (None, *AGENT_OUTCOMES):
        raise ScriptError(f"agent: {optional['agent']!r} is not one of "
                          f"{', '.join(AGENT_OUTCOMES)}")
    check_language(optional["language"])
    if optional["pay_connector"] not in (None, *PAY_CONNECTORS):
        raise ScriptError(f"pay_connector: {optional['pay_connector']!r} is not one of "
                          f"{', '.join(PAY_CONNECTORS)}")
    if optional["today"]:
        try:
            date.fromisoformat(optional["today"])
        except ValueError:
            raise ScriptError(f"today: {optional['today']!r} is not a YYYY-MM-DD date") from None
    return Script(
        name=as_text(data.get("name") or default_name),
        steps=[_step(number, raw) for number, raw in enumerate(raw_steps, start=1)],
        from_number=optional["from"], to_number=optional["to"], today=optional["today"],
        settings={str(key): _plain(value) for key, value in settings.items()},
        pay_connector=optional["pay_connector"], agent=optional["agent"] or "answer",
        language=optional["language"],
    )


def check_language(language: str | None) -> None:
    """A script's language (or a run's) must be one the line has a catalog for."""
    if language is not None and language not in languages():
        raise ScriptError(f"language: {language!r} is not one of "
                          f"{', '.join(sorted(languages()))}")
