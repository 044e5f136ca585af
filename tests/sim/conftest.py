"""The simulator's tests: the pytest plugin's calls (the ``call`` fixture) reach the tests' app."""

from __future__ import annotations

import pytest
from flask import Flask


@pytest.fixture
def ivr_app(demo_app: Flask) -> Flask:
    """Where the plugin's ``call`` goes: the demo app of ``tests/conftest.py`` (a fresh
    database of each kind, SQLite and PostgreSQL, and a fixed today) instead of its own."""
    return demo_app
