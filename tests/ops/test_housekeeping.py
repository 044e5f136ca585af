"""Bank account digests have their own key, and expire with an abandoned call; keyed cards
expire from the card store after 15 minutes."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select, update

from ivr.config import Settings, settings_of
from ivr.db import db
from ivr.errors import ConfigError
from ivr.ops.background import OutboxWorker
from ivr.ops.housekeeping import Housekeeper, expire_card_entries, forget_abandoned_calls
from ivr.ports.database import ports_for
from ivr.security import card_store
from ivr.security.card_store import CardDetails
from ivr.sms.backends import ConsoleBackend
from models import CallSession, CardEntry, utcnow
from tests.app_helpers import call_row, make_app
from tests.twilio_helpers import TO_SECOND_BANK_ENTRY, TwilioCaller

BANK_ACCOUNT = "000123456789"


def digest(app: Flask) -> str:
    """The app's digest of a bank account number."""
    with db.transaction(app) as session:
        return ports_for(app, session).fingerprint(BANK_ACCOUNT)


def test_the_digest_is_keyed_by_its_own_secret(database_url: str, tmp_path: Path) -> None:
    key, other_key = "k" * 32, "j" * 32
    apps = [make_app(database_url, tmp_path, TWILIO_AUTH_TOKEN=token, IVR_FINGERPRINT_KEY=k)
            for token, k in (("token-1", key), ("token-2", key), ("token-1", other_key))]

    digests = [digest(app) for app in apps]

    assert digests[0] == digests[1], "rotating the Twilio token must not change the digest"
    assert digests[0] != digests[2]
    for app in apps:
        db.engine(app).dispose()


def test_production_needs_a_fingerprint_key_of_32_characters(tmp_path: Path) -> None:
    production = {"IVR_ENV": "production", "TWILIO_AUTH_TOKEN": "t",
                  "IVR_PAYMENT_GATEWAY": "authorize-net"}
    with pytest.raises(ConfigError, match="IVR_FINGERPRINT_KEY must be set"):
        Settings.from_env(tmp_path, production)
    with pytest.raises(ConfigError, match="IVR_FINGERPRINT_KEY must be at least 32"):
        Settings.from_env(tmp_path, {"IVR_FINGERPRINT_KEY": "short"})
    settings = Settings.from_env(tmp_path, {**production, "IVR_FINGERPRINT_KEY": "k" * 32,
                                            "IVR_PIN_PEPPER": "test-pin-pepper-" + "p" * 16,
                                            "IVR_CARD_DATA_KEY": "a2V5" * 10 + "a2U="})
    assert settings.fingerprint_key == "k" * 32
    assert len(Settings.from_env(tmp_path, {}).fingerprint_key) >= 32


def abandon_at_second_bank_entry(app: Flask, call_sid: str) -> TwilioCaller:
    """A call left at the second bank account entry, holding the first entry's digest."""
    caller = TwilioCaller(app, call_sid=call_sid)
    caller.walk(*TO_SECOND_BANK_ENTRY)
    assert call_row(app, call_sid).flow_state["draft"]["method"]["fingerprint"]
    return caller


def test_an_abandoned_call_forgets_the_digest(demo_app: Flask) -> None:
    caller = abandon_at_second_bank_entry(demo_app, "CA" + "a" * 32)
    closed = TwilioCaller(demo_app, call_sid="CA" + "c" * 32)
    closed.walk("1")
    closed.post("/voice/status", CallStatus="completed", CallDuration="10")

    assert forget_abandoned_calls(db.sessions(demo_app), utcnow() + timedelta(minutes=59)) == 0
    assert forget_abandoned_calls(db.sessions(demo_app), utcnow() + timedelta(minutes=61)) == 1

    row = call_row(demo_app, caller.call_sid)
    assert row.flow_state["draft"] is None
    assert row.ended_at is not None and row.state == "abandoned"
    assert forget_abandoned_calls(db.sessions(demo_app), utcnow() + timedelta(hours=2)) == 0
    late = caller.post("/voice/turn?t=11", Digits=BANK_ACCOUNT)  # a very late webhook
    assert late.status == 200 and late.verbs()[-1] == "Hangup"


def test_the_outbox_worker_closes_abandoned_calls(demo_app: Flask) -> None:
    caller = abandon_at_second_bank_entry(demo_app, "CA" + "b" * 32)
    with db.transaction(demo_app) as session:
        session.execute(update(CallSession).values(updated_at=utcnow() - timedelta(hours=2)))
    worker = OutboxWorker(db.sessions(demo_app), ConsoleBackend(), interval=0.02)
    worker.start()
    try:
        deadline = time.monotonic() + 10
        while call_row(demo_app, caller.call_sid).ended_at is None:
            assert time.monotonic() < deadline, "the worker never closed the abandoned call"
            time.sleep(0.05)
    finally:
        worker.stop()
    assert call_row(demo_app, caller.call_sid).flow_state["draft"] is None


def test_housekeeping_runs_at_most_once_every_few_minutes(demo_app: Flask) -> None:
    now = [0.0]
    keeper = Housekeeper(db.sessions(demo_app), every=300, clock=lambda: now[0])
    first = abandon_at_second_bank_entry(demo_app, "CA" + "d" * 32)
    old = update(CallSession).values(updated_at=utcnow() - timedelta(hours=2))
    with db.transaction(demo_app) as session:
        session.execute(old)
    keeper.maybe_run()
    second = abandon_at_second_bank_entry(demo_app, "CA" + "e" * 32)
    with db.transaction(demo_app) as session:
        session.execute(old.where(CallSession.call_sid == second.call_sid))

    now[0] = 299.0
    keeper.maybe_run()
    assert call_row(demo_app, first.call_sid).ended_at is not None
    assert call_row(demo_app, second.call_sid).ended_at is None
    now[0] = 300.0
    keeper.maybe_run()
    assert call_row(demo_app, second.call_sid).ended_at is not None


def card_entries(app: Flask) -> set[str]:
    """The call SIDs the card store holds a card for."""
    with db.transaction(app) as session:
        return set(session.scalars(select(CardEntry.call_sid)))


def keep_card(app: Flask, call_sid: str, minutes_ago: int) -> None:
    """Store a card for ``call_sid`` as if it were first keyed ``minutes_ago``."""
    card = CardDetails("4242424242424242", "1230", "123", "30301")
    with db.transaction(app) as session:
        card_store.put(session, settings_of(app).card_key, call_sid, card,
                       now=utcnow() - timedelta(minutes=minutes_ago))


def test_housekeeping_expires_cards_keyed_over_15_minutes_ago(app: Flask) -> None:
    now = [0.0]
    keeper = Housekeeper(db.sessions(app), every=300, clock=lambda: now[0])
    old, recent, later = "CA" + "1" * 32, "CA" + "2" * 32, "CA" + "3" * 32
    keep_card(app, old, 16)
    keep_card(app, recent, 10)

    keeper.maybe_run()
    assert card_entries(app) == {recent}
    keep_card(app, later, 20)
    now[0] = 299.0
    keeper.maybe_run()
    assert card_entries(app) == {recent, later}, "not yet time for the next run"
    now[0] = 300.0
    keeper.maybe_run()
    assert card_entries(app) == {recent}
    assert expire_card_entries(db.sessions(app), utcnow() + timedelta(minutes=6)) == 1
    assert card_entries(app) == set()
