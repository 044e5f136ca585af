"""Fixtures for the payment tests."""

from __future__ import annotations

import pytest

from ivr.payments.gateways.authorize_net import AuthorizeNetGateway
from tests.authorize_net_helpers import LOGIN, NOW, SECRET


@pytest.fixture
def authorize_net() -> AuthorizeNetGateway:
    """An Authorize.Net gateway on its production URL (mock every request) at a fixed time."""
    return AuthorizeNetGateway(LOGIN, SECRET, clock=lambda: NOW)
