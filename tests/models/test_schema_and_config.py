"""Migrations match the models; settings come from the environment with safe defaults."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask

from ivr.config import DEV_AUTH_TOKEN, Settings, normalise_database_url, parse_fee
from ivr.db import db
from ivr.errors import ConfigError
from models import Base


def test_migrations_create_exactly_the_models_schema(app: Flask) -> None:
    with db.engine(app).connect() as connection:
        context = MigrationContext.configure(connection)
        assert compare_metadata(context, Base.metadata) == []


def test_development_defaults(tmp_path: Path) -> None:
    settings = Settings.from_env(tmp_path, {})
    assert settings.twilio_auth_token == DEV_AUTH_TOKEN
    assert settings.database_url == f"sqlite:///{tmp_path / 'ivr.sqlite3'}"
    assert settings.payment_gateway == "sandbox"
    assert settings.sms_backend == "console"
    assert settings.min_payment_cents == 100


def test_production_needs_a_real_auth_token(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="TWILIO_AUTH_TOKEN must be set"):
        Settings.from_env(tmp_path, {"IVR_ENV": "production"})
    settings = Settings.from_env(tmp_path, {"IVR_ENV": "production", "TWILIO_AUTH_TOKEN": "x1",
                                            "IVR_PAYMENT_GATEWAY": "authorize-net",
                                            "IVR_FINGERPRINT_KEY": "k" * 32,
                                            "IVR_PIN_PEPPER": "test-pin-pepper-" + "p" * 16,
                                            "IVR_CARD_DATA_KEY": "a2V5" * 10 + "a2U="})
    assert settings.twilio_auth_token == "x1"


def test_malformed_numbers_are_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="IVR_MIN_PAYMENT_CENTS must be a whole number"):
        Settings.from_env(tmp_path, {"IVR_MIN_PAYMENT_CENTS": "1.50"})


@pytest.mark.parametrize(("url", "expected"), [
    ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
    ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
    ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
    ("sqlite:///x.db", "sqlite:///x.db"),
])
def test_database_urls_use_the_installed_driver(url: str, expected: str) -> None:
    assert normalise_database_url(url) == expected


def test_unknown_gateway_is_refused(tmp_path: Path) -> None:
    from app import create_app

    with pytest.raises(ConfigError, match="IVR_PAYMENT_GATEWAY='paypal' is not a known gateway"):
        create_app({"IVR_DATABASE_URL": f"sqlite:///{tmp_path}/x.db",
                    "IVR_PAYMENT_GATEWAY": "paypal"})


def test_cli_reports_a_configuration_error_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from ivr.cli import main

    monkeypatch.setenv("IVR_ENV", "production")
    monkeypatch.delenv("TWILIO_AUTH_TOKEN", raising=False)
    result = CliRunner().invoke(main, ["db", "upgrade"])
    assert result.exit_code == 1
    assert result.output.strip() == "error: TWILIO_AUTH_TOKEN must be set when IVR_ENV=production"


def test_cli_reports_an_unreachable_database_in_one_line(monkeypatch: pytest.MonkeyPatch,
                                                         tmp_path: Path) -> None:
    from click.testing import CliRunner

    from ivr.cli import main

    monkeypatch.setenv("IVR_DATABASE_URL", f"sqlite:///{tmp_path}/missing/dir/ivr.sqlite3")
    result = CliRunner().invoke(main, ["db", "upgrade"])
    assert result.exit_code == 1
    assert result.output.strip() == "error: cannot use the database: unable to open database file"


@pytest.mark.parametrize(("raw", "fee"), [
    ("", (0, Decimal(0))), ("1.50", (150, Decimal(0))), ("2.5%", (0, Decimal("2.5"))),
    ("1.00 + 2.5%", (100, Decimal("2.5"))),
])
def test_convenience_fee_forms(raw: str, fee: tuple[int, Decimal]) -> None:
    assert parse_fee(raw) == fee


@pytest.mark.parametrize("raw", ["abc", "1.505", "-1", "100%"])
def test_malformed_fees_are_refused_at_start_up(tmp_path: Path, raw: str) -> None:
    with pytest.raises(ConfigError, match="IVR_CONVENIENCE_FEE"):
        Settings.from_env(tmp_path, {"IVR_CONVENIENCE_FEE": raw})


def test_stripe_needs_its_key_and_takes_either_capture(tmp_path: Path) -> None:
    from app import create_app

    base = {"IVR_DATABASE_URL": f"sqlite:///{tmp_path}/x.db", "IVR_PAYMENT_GATEWAY": "stripe"}
    with pytest.raises(ConfigError, match="IVR_STRIPE_API_KEY"):
        create_app({**base, "IVR_CARD_CAPTURE": "pay"})
    for capture in ("gather", "pay"):  # keyed cards are MOTO PaymentIntents
        app = create_app({**base, "IVR_STRIPE_API_KEY": "sk_test_123",
                          "IVR_CARD_CAPTURE": capture})
        assert app.extensions["ivr_gateway"].name == "stripe"


def test_stripe_settings_come_from_the_environment(tmp_path: Path) -> None:
    settings = Settings.from_env(tmp_path, {"IVR_STRIPE_API_KEY": "sk_test_1",
                                            "IVR_STRIPE_API_BASE": "http://localhost:12111"})
    assert settings.stripe_api_key == "sk_test_1"
    assert settings.stripe_api_base == "http://localhost:12111"
