"""The ports contract's fixture: each case runs on the fake and on each configured database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ivr.db import db
from tests.app_helpers import database, database_kinds, make_app
from tests.ports.contract_helpers import DatabaseHarness, FakeHarness, Harness


@pytest.fixture(params=["fake", *database_kinds()])
def harness(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Harness]:
    """The fake, then the database ports on each configured database."""
    if request.param == "fake":
        yield FakeHarness()
        return
    with database(request.param, tmp_path) as url:
        app = make_app(url, tmp_path)
        try:
            yield DatabaseHarness(app)
        finally:
            db.engine(app).dispose()
