"""Fixtures for the payment tests."""

from __future__ import annotations

import pytest
import requests_mock as rm
from flask import Flask

from ivr.payments.gateways.authorize_net import AuthorizeNetGateway
from tests.authorize_net_helpers import LOGIN, NOW, SECRET
from tests.gateway_contract_helpers import BANK_GATEWAYS, GATEWAYS, Rig, make_rig
from tests.schedule_helpers import JORDAN, make_accounts


@pytest.fixture
def authorize_net() -> AuthorizeNetGateway:
    """An Authorize.Net gateway on its production URL (mock every request) at a fixed time."""
    return AuthorizeNetGateway(LOGIN, SECRET, clock=lambda: NOW)


@pytest.fixture(params=list(GATEWAYS))
def rig(request: pytest.FixtureRequest, requests_mock: rm.Mocker) -> Rig:
    """Each gateway in turn, wired to a stand-in of its provider (the contract suite's)."""
    return make_rig(request.param, requests_mock)


@pytest.fixture(params=BANK_GATEWAYS)
def bank_rig(request: pytest.FixtureRequest, requests_mock: rm.Mocker) -> Rig:
    """Each gateway whose ``supports_bank`` is true, wired to its stand-in."""
    return make_rig(request.param, requests_mock)


@pytest.fixture
def jordan(app: Flask) -> int:
    """Account 10001234 (balance 120.45, texts to +14155550100); its id."""
    return make_accounts(app)[JORDAN]
