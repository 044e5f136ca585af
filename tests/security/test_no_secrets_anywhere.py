"""Every scripted call, then a scan of every table and every log record for what callers keyed.

All scripts in fixtures/calls run on one database, so what they write accumulates; a script
that needs a fresh database (it fails on the shared one) runs again on its own, and that
database is scanned as well. Logs are captured at DEBUG level from every logger. Every value
written to the database (INSERT and UPDATE parameters) is scanned too, so a secret kept for a
turn and overwritten later (call_sessions.flow_state changes every turn) is still caught.

Then secrets are keyed at every prompt a call can reach, where they do not belong (a card
number at the account-number prompt, a PIN at the amount prompt...): nothing may read them
back, in digits, as an amount or as a date, nor keep them.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, select, update

from flows.dates import parse_keyed_date
from flows.speech import date_words, digit_words, money_words
from ivr.db import db
from ivr.errors import ScriptFailure
from ivr.ops.demo import load_demo
from ivr.security.pins import pins_of
from ivr.sim.script import (
    load_script,
    run_script,
)
from models import Account, Base
from tests.app_helpers import TODAY, make_app
from tests.prompt_paths import ASKING_STEPS, PIN, SCHEDULE_ONE, key_everywhere, walk

SCRIPTS = sorted((Path(__file__).resolve().parents[2] / "fixtures" / "calls").glob("*.yaml"))
DEMO_PINS = ("2468", "1357", "8024", "9753", "4321")
# Where a short secret (a PIN or security code: 3 or 4 digits) would be a leak rather than a
# coincidence. Elsewhere 4 digits occur by chance all the time: confirmation numbers,
# timestamps, amounts in cents, card and account endings ("1234" is account 10001234's).
SHORT_SECRET_COLUMNS = (("call_sessions", "flow_state"), ("call_sessions", "last_response"),
                        ("audit_events", "detail"))


@dataclass
class Secrets:
    """What callers keyed that must never be stored or logged."""

    long: set[str] = field(default_factory=set)  # card and bank account numbers
    short: set[str] = field(default_factory=set)  # PINs and security codes

    def add_script(self, path: Path) -> None:
        """Collect the secrets one script keys, from its ``press`` steps in order.

        A run of 10 to 19 digits is a card or bank account number. After a card number come
        its expiry (4 digits), then one or more security code attempts (3 or 4 digits,
        perhaps ended by #) until the 5 digit ZIP. A 4 digit press after an expectation that
        mentions the PIN is a PIN.
        """
        expecting_pin = False
        after_card: str | None = None  # None, "expiry" or "code"
        for step in load_script(path).steps:
            if step.kind == "expect":
                expecting_pin = "PIN" in step.value
                continue
            if step.kind != "press":
                continue
            digits = str(step.value).rstrip("#")
            if re.fullmatch(r"\d{10,19}", digits):
                self.long.add(digits)
                after_card = "expiry"
            elif after_card == "expiry" and re.fullmatch(r"\d{4}", digits):
                after_card = "code"
            elif after_card == "code" and re.fullmatch(r"\d{3,4}", digits):
                self.short.add(digits)
            else:
                after_card = None
            if expecting_pin and re.fullmatch(r"\d{4}", digits):
                self.short.add(digits)


def script_secrets() -> Secrets:
    """The secrets of every script, plus the demo PINs."""
    secrets = Secrets(short=set(DEMO_PINS))
    for path in SCRIPTS:
        secrets.add_script(path)
    return secrets


def table_values(app: Flask) -> Iterator[tuple[str, str, str]]:
    """(table, column, text) for every non-empty value in the database but the PIN hashes."""
    with db.transaction(app) as session:
        for table in Base.metadata.sorted_tables:
            for row in session.execute(select(table)).mappings():
                for column, value in row.items():
                    if value is None:
                        continue
                    text = json.dumps(value) if isinstance(value, dict | list) else str(value)
                    if (table.name, column) == ("accounts", "pin_hash"):
                        assert text.startswith("hmac-sha256$"), f"PIN hash not keyed: {text[:12]}"
                        continue
                    yield table.name, str(column), text


def token(secret: str) -> re.Pattern[str]:
    """A long secret as a whole run of digits; a short one as a whole word.

    A short one inside letters and digits is chance, not a leak: hex CallSids and digests.
    """
    if len(secret) >= 10:
        return re.compile(rf"(?<!\d){re.escape(secret)}(?!\d)")
    return re.compile(rf"(?<![0-9A-Za-z]){re.escape(secret)}(?![0-9A-Za-z])")


def leaks_in(text: str, secrets: Secrets, short_too: bool) -> list[str]:
    """Which secrets appear in ``text`` (short ones only when ``short_too``)."""
    candidates = sorted(secrets.long) + (sorted(secrets.short) if short_too else [])
    return [s for s in candidates if token(s).search(text)]


@dataclass
class Writes:
    """Every parameter value of every INSERT and UPDATE sent to a database."""

    values: list[tuple[str, str]] = field(default_factory=list)  # (statement start, value)

    def watch(self, app: Flask) -> None:
        """Record the writes of ``app``'s engine from now on."""
        event.listen(db.engine(app), "before_cursor_execute", self._record)

    def _record(self, conn: Any, cursor: Any, statement: str, parameters: Any,
                context: Any, executemany: bool) -> None:
        if not statement.lstrip().upper().startswith(("INSERT", "UPDATE")):
            return
        rows = parameters if executemany else [parameters]
        for row in rows:
            values = row.values() if isinstance(row, dict) else row
            for value in values or ():
                if value is not None:
                    self.values.append((" ".join(statement.split()[:3]), str(value)))


def stored_secrets(writes: Writes, secrets: Secrets) -> Iterator[str]:
    """Problems: long secrets in any value written; short ones in saved state and TwiML.

    Short secrets are looked for only in values that are flow state (JSON) or TwiML, for
    the reason given at SHORT_SECRET_COLUMNS.
    """
    for statement, value in writes.values:
        if value.startswith("hmac-sha256$"):
            continue
        short_too = value.startswith(("{", "<?xml", "<Response"))
        for secret in leaks_in(value, secrets, short_too):
            yield f"written by {statement}: {secret} in {value[:200]!r}"


def record_text(record: logging.LogRecord) -> str:
    """A log record's message, and the messages of any exception it carries (and its causes).

    Not the traceback's frames: their line numbers are 4 digit numbers by chance.
    """
    parts = [record.getMessage()]
    error = record.exc_info[1] if record.exc_info else None
    while error is not None and len(parts) < 20:
        parts.append(f"{type(error).__name__}: {error}")
        error = error.__cause__ or error.__context__
    return "\n".join(parts)


def fresh_demo_app(tmp_path: Path, name: str) -> Flask:
    """An app on its own SQLite database with the demo data."""
    folder = tmp_path / name
    folder.mkdir()
    app = make_app(f"sqlite:///{folder / 'db.sqlite3'}", folder)
    with app.app_context(), db.transaction() as session:
        load_demo(session, pins_of(app))
    return app


def test_scripts_key_the_secrets_the_scan_looks_for() -> None:
    secrets = script_secrets()
    assert {"4242424242424242", "378282246310005", "000123456789"} <= secrets.long
    assert {"123", *DEMO_PINS} <= secrets.short


@pytest.mark.slow
def test_no_card_number_security_code_or_pin_anywhere(
        demo_app: Flask, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    secrets = script_secrets()
    writes = Writes()
    writes.watch(demo_app)
    apps = {"shared database": demo_app}
    needs_own_database = []
    for path in SCRIPTS:
        try:
            run_script(demo_app, path, quiet=True)
        except ScriptFailure:
            needs_own_database.append(path)  # it expects a fresh balance, or the like
        # Wrong-PIN scripts lock accounts; unlock them so the next scripts get past the PIN.
        with db.transaction(demo_app) as session:
            session.execute(update(Account).values(failed_pin_attempts=0, locked_until=None,
                                                   pin_failure_window_start=None))
    for path in needs_own_database:  # outside the except: no ScriptFailure in their logs
        apps[path.stem] = fresh_demo_app(tmp_path, path.stem)
        writes.watch(apps[path.stem])
        # A failure here is test_call_scripts' to report; what the call wrote is scanned anyway.
        with contextlib.suppress(ScriptFailure):
            run_script(apps[path.stem], path, quiet=True)
    print(f"scripts run alone: {', '.join(list(apps)[1:]) or 'none'}; "
          f"{len(writes.values)} values written, {len(caplog.records)} log records")

    problems = list(stored_secrets(writes, secrets))
    for where, app in apps.items():
        for table, column, text in table_values(app):
            short_too = (table, column) in SHORT_SECRET_COLUMNS
            for secret in leaks_in(text, secrets, short_too):
                problems.append(f"{where}: {table}.{column} holds {secret}: {text[:200]!r}")
    for record in caplog.records:
        for secret in leaks_in(record_text(record), secrets, short_too=True):
            problems.append(f"log {record.name} ({record.levelname}) holds {secret}: "
                            f"{record_text(record)[:300]!r}")
    for app in apps.values():
        if app is not demo_app:
            db.engine(app).dispose()
    assert len(caplog.records) > len(SCRIPTS), "the logs were not captured"
    assert len(writes.values) > len(SCRIPTS), "the writes were not captured"
    assert not problems, "\n".join(problems)


# Keyed at every prompt: a card and a bank account number unlike the paths' own, a security
# code, and the PIN (which PATHS key at the PIN prompt, where it belongs).
WRONG_PROMPT_SECRETS = Secrets(long={"5555555555554444", "000333333335"}, short={PIN, "737"})


def spoken(secret: str) -> list[re.Pattern[str]]:
    """How a reprompt would say ``secret`` back: digit by digit, as dollars, or as a date.

    Digit by digit only as a run of its own: "7 3 7" inside "5 7 3 7 1" is a chance.
    """
    forms = [re.compile(rf"(?<!\d )(?<!\d, ){re.escape(digit_words(secret))}(?! \d)(?!, \d)")]
    if len(secret) <= 7:
        forms.append(re.compile(re.escape(money_words(int(secret) * 100))))
    keyed = parse_keyed_date(secret, date.fromisoformat(TODAY))
    if keyed is not None:
        forms.append(re.compile(re.escape(date_words(keyed))))
    return forms


def read_back(text: str, secrets: Secrets) -> list[str]:
    """Which secrets ``text`` says back in words."""
    return [s for s in sorted(secrets.long | secrets.short)
            if any(form.search(text) for form in spoken(s))]


@pytest.mark.slow
def test_secrets_keyed_at_the_wrong_prompt_are_never_read_back_or_kept(
        demo_app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    secrets = WRONG_PROMPT_SECRETS
    writes = Writes()
    writes.watch(demo_app)
    with db.transaction(demo_app) as session:
        session.execute(update(Account).values(pin_hash=pins_of(demo_app).hash(PIN)))
    walk(demo_app, "CA" + "d" * 32, SCHEDULE_ONE)

    # every step with a prompt (none where the caller holds or the call is over)
    assert key_everywhere(demo_app, sorted(secrets.long | secrets.short)) == ASKING_STEPS

    problems = list(stored_secrets(writes, secrets))
    problems += [f"written by {statement}: {s} said in {value[:300]!r}"
                 for statement, value in writes.values for s in read_back(value, secrets)]
    for table, column, text in table_values(demo_app):
        short_too = (table, column) in SHORT_SECRET_COLUMNS
        for secret in leaks_in(text, secrets, short_too) + read_back(text, secrets):
            problems.append(f"{table}.{column} holds {secret}: {text[:300]!r}")
    for record in caplog.records:
        text = record_text(record)
        for secret in leaks_in(text, secrets, short_too=True) + read_back(text, secrets):
            problems.append(f"log {record.name} holds {secret}: {text[:300]!r}")
    assert not problems, "\n".join(sorted(set(problems))[:40])
