"""Fixtures of the call flow's tests: the machine over in-memory ports."""

from __future__ import annotations

import pytest

from tests.fake_ports import FakePorts
from tests.flow_helpers import make_ports


@pytest.fixture
def ports() -> FakePorts:
    """The standard fake accounts (tests/flow_helpers.py: ``make_ports``)."""
    return make_ports()
