"""Writing call scripts: the caller's actions, and what was heard before each, as YAML.

``ivr call --record`` and ``ivr calls replay`` write scripts with :func:`script_yaml` from
:class:`Line` s: the caller's actions (``press``, ``say``, ``record``, ``silence``,
``hangup``) and the checks of what the line said (``expect_prompt`` by catalog id where
the words tell which prompt it was, else ``expect`` with the words). The text is read back
with the loader before it is returned, so a script written is always one ``ivr call
--script`` accepts. Every value is written quoted, so ``press: "0123"`` stays keys.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from ivr.errors import ScriptError
from ivr.sim import prompts
from ivr.sim.results import BY_HANGING_UP, BY_SILENCE, DEFAULT_CONFIDENCE, Action, Spoken
from ivr.sim.script_load import Script, load_script

_RECORD_ENDINGS = {BY_SILENCE: "silence", BY_HANGING_UP: "hangup"}


@dataclass(frozen=True)
class Line:
    """One step of a script as written: ``kind`` is a step of the script format
    (``press``, ``say``, ``expect_prompt``, ...); ``comment`` goes after it on its line."""

    kind: str
    value: str = ""
    confidence: float | None = None  # a ``say``'s, when not the simulator's default
    seconds: int = 0  # a ``record``'s; its ``value`` is how it ends
    comment: str = ""


@dataclass(frozen=True)
class Header:
    """What a script says before its steps; ``note`` is a comment line at its top."""

    name: str
    from_number: str | None = None
    to_number: str | None = None
    language: str | None = None
    agent: str | None = None
    today: str | None = None  # in process: the line's day the call was made on (YYYY-MM-DD)
    note: str = ""


def action_line(action: Action, comment: str = "") -> Line:
    """The script step that does what ``action`` did."""
    if action.kind == "say":
        sure = None if action.confidence == DEFAULT_CONFIDENCE else action.confidence
        return Line("say", action.words, confidence=sure, comment=comment)
    if action.kind == "record":
        ending = _RECORD_ENDINGS.get(action.keys, action.keys)
        return Line("record", ending, seconds=action.seconds, comment=comment)
    return Line(action.kind, action.keys, comment=comment)


def prompt_lines(prompt_ids: Iterable[str]) -> list[Line]:
    """An ``expect_prompt`` for each catalog id (ids no catalog has cannot be checked)."""
    return [Line("expect_prompt", prompt_id) for prompt_id in prompt_ids
            if prompts.known(prompt_id)]


def heard_lines(heard: Iterable[Spoken], language: str | None = None) -> list[Line]:
    """A check for each ``<Say>`` heard: the prompt it said, or else its words. With
    ``language`` (the script's), only what was said in it: a script's prompt checks hold
    in its language alone, and the line offers each other one in that one's words."""
    lines = []
    for spoken in heard:
        if language is not None and spoken.language not in (language, ""):
            continue
        ids = prompts.prompts_in(spoken)
        if ids:
            lines.append(Line("expect_prompt", ids[0]))
        elif spoken.text.strip():
            lines.append(Line("expect", " ".join(spoken.text.split())))
    return lines


def script_yaml(header: Header, lines: Sequence[Line]) -> str:
    """The script as YAML text; raises ScriptError if the loader would refuse it."""
    top = [f"# {_one_line(header.note)}"] if header.note else []
    top.append(f"name: {_quoted(header.name)}")
    for key, value in (("from", header.from_number), ("to", header.to_number),
                       ("language", header.language), ("agent", header.agent),
                       ("today", header.today)):
        if value is not None:
            top.append(f"{key}: {_quoted(value)}")
    text = "\n".join([*top, "steps:", *map(_step, lines)]) + "\n"
    parsed_script(text)
    return text


def parsed_script(text: str) -> Script:
    """``text`` read as the loader reads a script file."""
    try:
        return load_script(yaml.safe_load(text))
    except yaml.YAMLError as error:
        raise ScriptError(f"the script written is not YAML: {error}") from None


def save_script(path: Path, text: str, *, force: bool = False) -> None:
    """Write ``text`` to ``path``; an existing file is overwritten only with ``force``."""
    try:
        with path.open("w" if force else "x", encoding="utf-8") as file:
            file.write(text)
    except FileExistsError:
        raise ScriptError(f"{path} already exists (--force overwrites it)") from None
    except OSError as error:
        raise ScriptError(f"{path}: {error.strerror or error}") from None


def refuse_existing(path: Path, *, force: bool) -> None:
    """Raise ScriptError now if :func:`save_script` would refuse ``path`` later."""
    if path.exists() and not force:
        raise ScriptError(f"{path} already exists (--force overwrites it)")
    if not path.parent.is_dir():
        raise ScriptError(f"{path}: no folder {path.parent}")


def _step(line: Line) -> str:
    """One ``  - kind: value  # comment`` line."""
    if line.kind in ("silence", "hangup"):
        body = line.kind
    elif line.kind == "record":
        body = f"record: {{seconds: {line.seconds}, then: {_quoted(line.value)}}}"
    elif line.kind == "settings":  # its value: NAME=VALUE
        name, _, value = line.value.partition("=")
        body = f"settings: {{{name}: {_quoted(value)}}}"
    elif line.kind == "say" and line.confidence is not None:
        body = f"say: {{words: {_quoted(line.value)}, confidence: {line.confidence:g}}}"
    else:
        body = f"{line.kind}: {_quoted(line.value)}"
    comment = f"  # {_one_line(line.comment)}" if line.comment else ""
    return f"  - {body}{comment}"


def _quoted(value: str) -> str:
    """``value`` as a double-quoted YAML scalar (always a string, whatever it holds)."""
    dumped: str = yaml.safe_dump(value, default_style='"', allow_unicode=True, width=10**6)
    return dumped.strip()


def _one_line(text: str) -> str:
    return " ".join(text.split())
