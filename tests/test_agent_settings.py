"""The agent settings, checked at start-up: where transfers ring, the hours, the secret that
signs context links, how long they last, and the fixed clock of tests and demos."""

from __future__ import annotations

import base64
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from ivr.errors import ConfigError
from ivr.settings_agents import DEV_AGENT_CONTEXT_KEY
from tests.app_helpers import settings_with

AGENT = {"IVR_AGENT_NUMBER": "+18005550123"}
PRODUCTION = {"IVR_ENV": "production", "TWILIO_AUTH_TOKEN": "t", "IVR_FINGERPRINT_KEY": "k" * 32,
              "IVR_PIN_PEPPER": "test-pin-pepper-" + "p" * 16,
              "IVR_CARD_DATA_KEY": base64.b64encode(bytes(range(32))).decode(),
              "IVR_PAYMENT_GATEWAY": "stripe"}


@pytest.mark.parametrize("target", [
    "+18005550123", "+442079460958", "client:agent_desk", "client:Agent7",
    "sip:agent@pbx.example.com", "sips:desk-4@10.0.0.5:5061;transport=tls",
])
def test_an_agent_is_a_number_a_client_or_a_sip_address(target: str) -> None:
    assert settings_with({"IVR_AGENT_NUMBER": target}).agent_number == target


@pytest.mark.parametrize("target", [
    "18005550123", "(800) 555-0123", "client:", "client:agent desk", "client:agent-desk",
    "sip:pbx.example.com", "sip:agent@pbx.example.com?x-team=billing", "sip:a b@pbx.example.com",
    "sip:agent@" + "p" * 200 + ".example.com", "tel:+18005550123",
])
def test_anything_else_stops_start_up(target: str) -> None:
    with pytest.raises(ConfigError, match=r"IVR_AGENT_NUMBER must be an E\.164 number"):
        settings_with({"IVR_AGENT_NUMBER": target})


def test_hours_are_kept_as_written_back() -> None:
    settings = settings_with({**AGENT, "IVR_AGENT_HOURS": "mon-fri 8:00-18:00,sat 9:00-13:00"})
    assert settings.agent_hours == "Mon-Fri 08:00-18:00, Sat 09:00-13:00"
    assert settings.as_env()["IVR_AGENT_HOURS"] == settings.agent_hours
    assert settings_with(AGENT).hours is None  # unset: always on duty


@pytest.mark.parametrize(("hours", "message"), [
    ("Mon-Fri 18:00-08:00", "IVR_AGENT_HOURS: 'Mon-Fri 18:00-08:00': the closing time must come "
                            "after the opening time on the same day"),
    ("Weekdays 9:00-17:00", "IVR_AGENT_HOURS: 'weekdays' is not a day"),
])
def test_malformed_hours_stop_start_up_naming_the_part(hours: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        settings_with({**AGENT, "IVR_AGENT_HOURS": hours})


def test_hours_without_an_agent_stop_start_up() -> None:
    with pytest.raises(ConfigError, match="IVR_AGENT_HOURS needs IVR_AGENT_NUMBER"):
        settings_with({"IVR_AGENT_HOURS": "Mon-Fri 08:00-18:00"})


@pytest.mark.parametrize(("name", "value"), [
    ("IVR_AGENT_RING_SECONDS", "4"), ("IVR_AGENT_RING_SECONDS", "601"),
    ("IVR_AGENT_CONTEXT_MINUTES", "0"), ("IVR_AGENT_CONTEXT_MINUTES", "1441"),
])
def test_the_numbers_have_ranges(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=f"{name} must be from"):
        settings_with({**AGENT, name: value})


def test_production_with_agents_needs_its_own_context_key() -> None:
    with pytest.raises(ConfigError, match="IVR_AGENT_CONTEXT_KEY must be set"):
        settings_with({**PRODUCTION, **AGENT})
    with pytest.raises(ConfigError, match="IVR_AGENT_CONTEXT_KEY must not be the development"):
        settings_with({**PRODUCTION, **AGENT, "IVR_AGENT_CONTEXT_KEY": DEV_AGENT_CONTEXT_KEY})
    with pytest.raises(ConfigError, match="at least 32 characters, got 5"):
        settings_with({**PRODUCTION, **AGENT, "IVR_AGENT_CONTEXT_KEY": "short"})
    key = "c" * 40
    assert settings_with({**PRODUCTION, **AGENT, "IVR_AGENT_CONTEXT_KEY": key}) \
        .agent_context_key == key
    assert settings_with(PRODUCTION).agent_context_key == ""  # no agents, no links to sign


def test_the_clock_can_be_fixed_for_tests_and_demos() -> None:
    settings = settings_with({"IVR_NOW": "2026-11-23T10:30", "IVR_TIMEZONE": "America/Chicago"})
    assert settings.now() == datetime(2026, 11, 23, 10, 30, tzinfo=ZoneInfo("America/Chicago"))
    assert settings.local_date().isoformat() == "2026-11-23"
    assert settings_with(settings.as_env()).now() == settings.now()
    assert settings_with({}).now().tzinfo == ZoneInfo("America/New_York")  # the real clock


@pytest.mark.parametrize(("env", "message"), [
    ({"IVR_NOW": "2026-11-23 10:30"}, "IVR_NOW must be a local time as YYYY-MM-DDTHH:MM"),
    ({"IVR_NOW": "2026-02-30T10:30"}, "IVR_NOW must be a local time"),
    ({"IVR_NOW": "2026-11-23T10:30", "IVR_TODAY": "2026-11-21"},
     r"IVR_NOW \(2026-11-23T10:30\) and IVR_TODAY \(2026-11-21\) name different days"),
    ({**PRODUCTION, "IVR_NOW": "2026-11-23T10:30"}, "IVR_NOW fixes the clock"),
])
def test_a_bad_or_misplaced_clock_stops_start_up(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        settings_with(env)


def test_on_duty_by_the_settings_clock() -> None:
    hours = {**AGENT, "IVR_AGENT_HOURS": "Sat 09:00-13:00"}
    assert settings_with({**hours, "IVR_NOW": "2026-11-21T12:59"}).agents_on_duty()
    assert not settings_with({**hours, "IVR_NOW": "2026-11-21T13:00"}).agents_on_duty()
    assert settings_with({**AGENT, "IVR_NOW": "2026-11-22T03:00"}).agents_on_duty()
    assert not settings_with({"IVR_NOW": "2026-11-21T10:00"}).agents_on_duty()  # no agent
