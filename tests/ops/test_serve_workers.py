"""The real server: `ivr serve` with several gunicorn worker processes on one database.

Duplicate deliveries of the same webhook, sent at once over HTTP to different
worker processes, must all get the same answer and move money once.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.concurrency import at_once
from tests.menu_helpers import JORDAN_NEW_CARD
from tests.server_helpers import CALL_SID, action, post, redirect, serving

pytestmark = pytest.mark.slow  # a real `ivr serve` with three worker processes


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[str]:
    """`ivr serve --workers 3` on the test database, with the demo accounts."""
    with serving(database_url, tmp_path, 3) as (base, _):
        yield base


def test_duplicate_deliveries_across_worker_processes_charge_once(
        server: str, database_url: str) -> None:
    answer = post(server, "/voice")
    for keys in (*JORDAN_NEW_CARD, "4242424242424242", "1230", "123", "94105"):
        answer = post(server, action(answer), Digits=keys)
    authorise = action(answer)

    holds = at_once(6, lambda: post(server, authorise, Digits="1"))
    assert len(holds) == 6 and len(set(holds)) == 1
    assert b"Please hold." in holds[0]
    # Twilio follows the redirect; six deliveries of it charge the card at once, with one key.
    charged = redirect(holds[0])
    answers = at_once(6, lambda: post(server, charged))
    assert len(answers) == 6 and len(set(answers)) == 1
    assert b"has been approved" in answers[0]
    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as connection:
        payments = connection.execute(text(
            "SELECT count(*) FROM payments WHERE call_sid = :sid"), {"sid": CALL_SID}).scalar()
        balance = connection.execute(text(
            "SELECT balance_cents FROM accounts WHERE account_number = '10001234'")).scalar()
        charges = connection.execute(text("SELECT count(*) FROM sandbox_charges")).scalar()
    engine.dispose()
    assert (payments, balance, charges) == (1, 0, 1)
