"""Every setting in the README is read from the environment, and checked at start-up."""

from __future__ import annotations

import base64
import dataclasses
import re
from collections.abc import Iterator, Mapping
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from ivr.app import create_app
from ivr.cli import main
from ivr.config import (
    DEV_ACCOUNT_SID,
    DEV_AUTH_TOKEN,
    DEV_BILLER_PHONE,
    DEV_CARD_DATA_KEY,
    DEV_FINGERPRINT_KEY,
    DEV_PIN_PEPPER,
    ENV_NAMES,
    Settings,
    override_settings,
    settings_of,
)
from ivr.errors import ConfigError
from ivr.ports.database import flow_settings, make_gateway

README = Path(__file__).parent.parent / "README.md"
CARD_KEY_BYTES = b"\xfb\xef\xff" + bytes(range(100, 129))
CARD_KEY = base64.b64encode(CARD_KEY_BYTES).decode()  # has "+" and "/": standard alphabet
AUTHORIZE_NET = {"IVR_PAYMENT_GATEWAY": "authorize-net", "IVR_AUTHORIZE_NET_LOGIN_ID": "login",
                 "IVR_AUTHORIZE_NET_TRANSACTION_KEY": "key"}
# The least production starts with: its own secrets and a real gateway (never the sandbox).
PRODUCTION_SECRETS = {"IVR_ENV": "production", "TWILIO_AUTH_TOKEN": "t",
                      "IVR_FINGERPRINT_KEY": "k" * 32,
                      "IVR_PIN_PEPPER": "test-pin-pepper-" + "p" * 16,
                      **AUTHORIZE_NET}
PRODUCTION = {**PRODUCTION_SECRETS, "IVR_CARD_DATA_KEY": CARD_KEY}


class RecordingEnv(Mapping[str, str]):
    """An environment holding ``values`` that notes every variable asked for."""

    def __init__(self, values: dict[str, str] | None = None) -> None:
        self.held = values or {}  # not ``values``: that is Mapping's method
        self.asked: set[str] = set()

    def __getitem__(self, name: str) -> str:
        self.asked.add(name)
        return self.held[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.held)

    def __len__(self) -> int:
        return len(self.held)


def documented_variables() -> set[str]:
    """Variable names in the first column of the README's "## Configuration" table."""
    section = README.read_text(encoding="utf-8").split("\n## Configuration\n", 1)[1]
    section = section.split("\n## ", 1)[0]
    names: set[str] = set()
    for line in section.splitlines():
        if line.startswith("| `"):
            names |= set(re.findall(r"`([A-Z][A-Z0-9_]+)`", line.split("|")[1]))
    return names


def read_variables() -> set[str]:
    """Every variable Settings.from_env reads, in development and in production."""
    asked: set[str] = set()
    for values in ({}, PRODUCTION):
        env = RecordingEnv(values)
        Settings.from_env(Path("/nonexistent"), env)
        asked |= env.asked
    return asked


def test_the_readme_documents_exactly_the_settings_read() -> None:
    documented = documented_variables()
    assert {"IVR_PIN_LOCK_MINUTES", "IVR_VOICE", "IVR_LANGUAGE", "IVR_TODAY"} <= documented
    read = read_variables()
    assert sorted(documented - read) == [], "documented but never read"
    assert sorted(read - documented) == [], "read but not documented"


def test_sandbox_fault_and_today_come_from_the_environment(tmp_path: Path) -> None:
    settings = Settings.from_env(tmp_path, {"IVR_SANDBOX_FAULT": "down",
                                            "IVR_TODAY": "2026-11-21"})
    assert (settings.sandbox_fault, settings.today) == ("down", date(2026, 11, 21))
    defaults = Settings.from_env(tmp_path, {})
    assert (defaults.sandbox_fault, defaults.today) == ("", None)


@pytest.mark.parametrize(("name", "value"), [
    ("IVR_SANDBOX_FAULT", "lost"), ("IVR_TODAY", "21/11/2026"), ("IVR_TODAY", "20261121"),
    ("IVR_TODAY", "2026-02-30"), ("IVR_LANGUAGE", "xx-XX"), ("IVR_LANGUAGE", "en-US.sms"),
    ("IVR_LANGUAGE", "../prompts/en-US"), ("IVR_LANGUAGE", ""),
    ("IVR_TIMEZONE", "Mars/Olympus_Mons"), ("IVR_TIMEZONE", "America"),
    ("IVR_TIMEZONE", "../../etc/passwd"), ("IVR_MIN_PAYMENT_CENTS", "0"),
    ("IVR_TRUSTED_PROXIES", "-1"), ("IVR_PIN_MAX_FAILURES", "0"),
    ("IVR_PIN_FAILURE_WINDOW_HOURS", "0"), ("IVR_PIN_FAILURE_WINDOW_HOURS", "100000000"),
    ("IVR_PIN_LOCK_MINUTES", "-30"), ("IVR_CALLER_MAX_PIN_FAILURES", "0"),
    ("IVR_ARRANGEMENT_MAX_DAYS", "0"), ("IVR_LOG_FILE", "/nonexistent-folder/ivr.log"),
    ("IVR_LOG_FILE", "/"), ("IVR_BILLER_PHONE", "8005550199"),
    ("IVR_BILLER_PHONE", "+1 800 555 0199"), ("IVR_BILLER_PHONE", "+1800555"),
    ("IVR_BILLER_PHONE", "tel:+18005550199"), ("IVR_AGENT_NUMBER", "abc"),
    ("IVR_AGENT_NUMBER", "5550123"), ("IVR_AGENT_NUMBER", "+1800"),
    ("IVR_AGENT_NUMBER", "(800) 555-0123"), ("IVR_ENV", "prod"), ("IVR_ENV", "Production"),
    ("IVR_ENV", "staging"), ("IVR_DATABASE_URL", "mysql://x"), ("IVR_CONVENIENCE_FEE", "-1"),
    ("IVR_VOICE", "Joanna"), ("IVR_VOICE", "Polly.joanna"), ("IVR_VOICE", "Google.es-US-Neural2-A"),
    ("IVR_VOICE_ES", "Polly Lupe"), ("IVR_VOICE_ES", "Google.en-US-Neural2-F"),
    ("IVR_VOICE_ES", "Polly.Lupe-Turbo"), ("IVR_CALL_LOG_DAYS", "0"),
    ("IVR_CALL_LOG_DAYS", "3661"), ("IVR_CALL_LOG_DAYS", "90d"),
])
def test_a_bad_setting_stops_start_up_naming_it(tmp_path: Path, name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=f"^{name} ") as caught:
        Settings.from_env(tmp_path, {name: value})
    assert "\n" not in str(caught.value)


def test_the_call_log_keeps_90_days_unless_told(tmp_path: Path) -> None:
    assert Settings.from_env(tmp_path, {}).call_log_days == 90
    assert Settings.from_env(tmp_path, {"IVR_CALL_LOG_DAYS": "400"}).call_log_days == 400


def test_each_language_has_its_voice(tmp_path: Path) -> None:
    defaults = Settings.from_env(tmp_path, {})
    assert (defaults.voice_for("en-US"), defaults.voice_for("es-US")) == (
        "Polly.Joanna", "Polly.Lupe")
    chosen = Settings.from_env(tmp_path, {"IVR_VOICE": "Polly.Matthew-Neural",
                                          "IVR_VOICE_ES": "Google.es-US-Neural2-B",
                                          "IVR_LANGUAGE": "es-US"})
    assert (chosen.voice_for("en-US"), chosen.voice_for("es-US"), chosen.language) == (
        "Polly.Matthew-Neural", "Google.es-US-Neural2-B", "es-US")


def test_good_settings_are_accepted(tmp_path: Path) -> None:
    settings = Settings.from_env(tmp_path, {"IVR_TIMEZONE": "Europe/London",
                                            "IVR_TRUSTED_PROXIES": "0",
                                            "IVR_MIN_PAYMENT_CENTS": "1"})
    assert settings.timezone == "Europe/London" and settings.language == "en-US"


@pytest.mark.parametrize(("name", "value"), [("IVR_LANGUAGE", "xx-XX"),
                                             ("IVR_TIMEZONE", "Nowhere/City"),
                                             ("IVR_BILLER_PHONE", "(800) 555-0199"),
                                             ("IVR_AGENT_NUMBER", "abc"),
                                             ("IVR_ENV", "prod"), ("IVR_ENV", "Production")])
def test_serve_refuses_to_start_in_one_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                            name: str, value: str) -> None:
    from ivr.ops import server

    # Were the setting accepted, the command would return at once instead of serving.
    monkeypatch.setattr(server.GunicornServer, "run", lambda self: None)
    monkeypatch.setenv("IVR_DATABASE_URL", f"sqlite:///{tmp_path / 'ivr.sqlite3'}")
    monkeypatch.setenv(name, value)

    result = CliRunner().invoke(main, ["serve", "--no-demo"])

    assert result.exit_code != 0
    [line] = result.output.strip().splitlines()
    assert line.startswith(f"error: {name} must be") and repr(value) in line
    assert not (tmp_path / "ivr.sqlite3").exists(), "it stopped before touching the database"


def test_every_field_read_from_the_environment_is_documented() -> None:
    assert set(ENV_NAMES) == documented_variables()


def test_settings_are_frozen_and_typed(tmp_path: Path) -> None:
    settings = Settings.from_env(tmp_path, {"IVR_CONVENIENCE_FEE": "1.00+2.5%",
                                            "IVR_TODAY": "2026-11-21", "IVR_PIN_MAX_FAILURES": "7"})
    assert settings.convenience_fee == (100, Decimal("2.5"))
    assert (settings.today, settings.pin_max_failures) == (date(2026, 11, 21), 7)
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.pin_max_failures = 8  # type: ignore[misc]


def test_settings_written_back_as_the_environment_read_back_the_same(tmp_path: Path) -> None:
    settings = Settings.from_env(tmp_path, {"IVR_CONVENIENCE_FEE": "1.50+2.5%",
                                            "IVR_TODAY": "2026-11-21",
                                            "IVR_AGENT_NUMBER": "+18005550123",
                                            "IVR_CARD_CAPTURE": "pay", "IVR_SANDBOX_FAULT": "down"})
    assert Settings.from_env(Path("/elsewhere"), settings.as_env()) == settings
    for env in ({}, PRODUCTION):  # production never reads back a development stand-in
        assert Settings.from_env(tmp_path, Settings.from_env(tmp_path, env).as_env()) == \
            Settings.from_env(tmp_path, env)


def test_test_config_overrides_are_checked_like_the_environment(tmp_path: Path) -> None:
    from ivr.app import create_app

    database = {"IVR_DATABASE_URL": f"sqlite:///{tmp_path / 'ivr.sqlite3'}"}
    with pytest.raises(ConfigError, match=r"^IVR_PIN_MAX_FAILURES must be from 1 to 100, got 0$"):
        create_app({**database, "IVR_PIN_MAX_FAILURES": 0})
    app = create_app({**database, "IVR_PIN_MAX_FAILURES": 7, "TESTING": True})
    assert settings_of(app).pin_max_failures == 7
    assert app.config["TESTING"] is True and "IVR_PIN_MAX_FAILURES" not in app.config


def test_overriding_a_setting_checks_it_and_keeps_the_rest(tmp_path: Path) -> None:
    from ivr.app import create_app

    app = create_app({"IVR_DATABASE_URL": f"sqlite:///{tmp_path / 'ivr.sqlite3'}",
                      "IVR_BILLER_NAME": "Acme Water"})
    before = override_settings(app, IVR_SANDBOX_FAULT="down")
    assert settings_of(app).sandbox_fault == "down" and before.sandbox_fault == ""
    assert settings_of(app).biller_name == "Acme Water"
    with pytest.raises(ConfigError, match=r"^IVR_TIMEZONE "):
        override_settings(app, IVR_TIMEZONE="Mars/Olympus_Mons")
    with pytest.raises(KeyError, match="IVR_NO_SUCH"):
        override_settings(app, IVR_NO_SUCH="1")
    assert settings_of(app).sandbox_fault == "down"


def test_no_module_reads_a_setting_from_app_config() -> None:
    root = Path(__file__).parent.parent / "ivr"
    reads = re.compile(r"""config(\[|\.get\()["'](IVR|TWILIO)_""")
    # The simulator also drives other Flask apps, whose settings are in their app.config.
    offenders = [str(path.relative_to(root)) for path in root.rglob("*.py")
                 if reads.search(path.read_text(encoding="utf-8")) and path.parent.name != "sim"]
    assert offenders == []
    assert reads.search('app.config["IVR_TODAY"]') and reads.search("config.get('TWILIO_X')")


def test_the_card_data_key_is_32_bytes_of_standard_base64(tmp_path: Path) -> None:
    assert "+" in CARD_KEY and "/" in CARD_KEY
    settings = Settings.from_env(tmp_path, {"IVR_CARD_DATA_KEY": CARD_KEY})
    assert settings.card_key == CARD_KEY_BYTES
    assert CARD_KEY not in repr(settings), "the key is a secret"
    assert Settings.from_env(tmp_path, PRODUCTION).card_key == CARD_KEY_BYTES
    development = Settings.from_env(tmp_path, {})
    assert development.card_data_key == DEV_CARD_DATA_KEY and len(development.card_key) == 32


@pytest.mark.parametrize(("value", "message"), [
    (base64.b64encode(bytes(16)).decode(), "must be 32 bytes (AES-256), got 16"),
    (base64.b64encode(bytes(33)).decode(), "must be 32 bytes (AES-256), got 33"),
    ("not base64!", "must be standard base64"),
    (CARD_KEY[:-1], "must be standard base64"),  # padding cut off
    (CARD_KEY.replace("+", "-").replace("/", "_"), "must be standard base64"),  # URL-safe
    (" " + CARD_KEY, "must be standard base64"),
    ("clé-" + CARD_KEY[4:], "must be standard base64"),
])
def test_a_bad_card_data_key_stops_start_up_in_one_line(tmp_path: Path, value: str,
                                                        message: str) -> None:
    with pytest.raises(ConfigError, match=f"^IVR_CARD_DATA_KEY {re.escape(message)}") as caught:
        Settings.from_env(tmp_path, {"IVR_CARD_DATA_KEY": value})
    assert "\n" not in str(caught.value) and value not in str(caught.value)
    assert "base64.b64encode(os.urandom(32))" in str(caught.value), "it says how to make one"


def test_production_needs_its_own_card_data_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError,
                       match=r"^IVR_CARD_DATA_KEY must be set when IVR_ENV=production$"):
        Settings.from_env(tmp_path, PRODUCTION_SECRETS)
    with pytest.raises(ConfigError,
                       match=r"^IVR_CARD_DATA_KEY must not be the development default"):
        Settings.from_env(tmp_path, {**PRODUCTION, "IVR_CARD_DATA_KEY": DEV_CARD_DATA_KEY})


def test_the_biller_phone_is_e164_with_a_development_default(tmp_path: Path) -> None:
    assert Settings.from_env(tmp_path, {"IVR_BILLER_PHONE": "+18005550199"}).biller_phone \
        == "+18005550199"
    assert Settings.from_env(tmp_path, {}).biller_phone == DEV_BILLER_PHONE
    assert Settings.from_env(tmp_path, PRODUCTION).biller_phone == ""  # never the fictional one


def test_production_debiting_banks_refuses_to_start_without_a_biller_phone(
        tmp_path: Path) -> None:
    database = {"IVR_DATABASE_URL": f"sqlite:///{tmp_path / 'ivr.sqlite3'}"}
    with pytest.raises(ConfigError, match=r"^IVR_BILLER_PHONE must be set when "
                                          r"IVR_ENV=production and "
                                          r"IVR_PAYMENT_GATEWAY=authorize-net "
                                          r"debits bank accounts$"):
        create_app({**PRODUCTION, **database})
    app = create_app({**PRODUCTION, **database, "IVR_BILLER_PHONE": "+18005550199"})
    assert flow_settings(app).bank_payments and flow_settings(app).biller_phone == "+18005550199"


STRIPE = {"IVR_PAYMENT_GATEWAY": "stripe", "IVR_STRIPE_API_KEY": "sk_test_x",
          "IVR_CARD_CAPTURE": "pay"}


@pytest.mark.parametrize("env", [AUTHORIZE_NET, PRODUCTION, {**PRODUCTION, **STRIPE}],
                         ids=["real-gateway", "production", "production-stripe"])
def test_the_fictional_biller_phone_is_refused_beyond_the_development_sandbox(
        tmp_path: Path, env: dict[str, str]) -> None:
    # Real payers would be told to call it with questions and to revoke a debit.
    with pytest.raises(ConfigError, match=r"^IVR_BILLER_PHONE=\+18005550100 is the fictional"):
        Settings.from_env(tmp_path, {**env, "IVR_BILLER_PHONE": DEV_BILLER_PHONE})
    assert Settings.from_env(tmp_path, env).biller_phone == ""  # and never its default


def test_a_real_gateway_without_a_biller_phone_offers_no_bank_payments(tmp_path: Path) -> None:
    database = {"IVR_DATABASE_URL": f"sqlite:///{tmp_path / 'ivr.sqlite3'}"}
    app = create_app({**AUTHORIZE_NET, **database})
    assert not flow_settings(app).bank_payments and flow_settings(app).biller_phone == ""


def test_changing_the_gateway_does_not_carry_the_sandboxs_biller_phone(tmp_path: Path) -> None:
    sandbox = Settings.from_env(tmp_path, {})
    assert sandbox.biller_phone == DEV_BILLER_PHONE
    assert sandbox.overridden(AUTHORIZE_NET).biller_phone == ""
    assert sandbox.overridden({}).biller_phone == DEV_BILLER_PHONE


def test_no_gateway_but_the_sandbox_is_built_with_the_fictional_biller_phone(
        tmp_path: Path) -> None:
    settings = dataclasses.replace(Settings.from_env(tmp_path, AUTHORIZE_NET),
                                   biller_phone=DEV_BILLER_PHONE)
    with pytest.raises(ConfigError, match=r"^IVR_BILLER_PHONE=\+18005550100 is the fictional"):
        make_gateway(settings)


def test_production_without_bank_debits_needs_no_biller_phone(tmp_path: Path) -> None:
    settings = Settings.from_env(tmp_path, {**PRODUCTION, **STRIPE})
    assert make_gateway(settings).supports_bank is False


def serve_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, env: Mapping[str, str]) -> str:
    """The one line ``ivr serve --no-demo`` prints when ``env`` stops it, which must fail."""
    from ivr.ops import server

    # Were the settings accepted, the command would return at once instead of serving.
    monkeypatch.setattr(server.GunicornServer, "run", lambda self: None)
    monkeypatch.setattr(server, "check_port_free", lambda host, port: None)
    monkeypatch.setenv("IVR_DATABASE_URL", f"sqlite:///{tmp_path / 'ivr.sqlite3'}")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(main, ["serve", "--no-demo"])
    assert result.exit_code != 0
    [line] = result.output.strip().splitlines()
    assert line.startswith("error: ")
    return line


@pytest.mark.parametrize(("name", "value"), [
    ("TWILIO_AUTH_TOKEN", DEV_AUTH_TOKEN), ("IVR_FINGERPRINT_KEY", DEV_FINGERPRINT_KEY),
    ("IVR_CARD_DATA_KEY", DEV_CARD_DATA_KEY), ("IVR_PIN_PEPPER", DEV_PIN_PEPPER)])
def test_production_refuses_a_development_secret_set_by_hand(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str, value: str) -> None:
    line = serve_error(monkeypatch, tmp_path, {**PRODUCTION, name: value})
    assert line == (f"error: {name} must not be the development default when "
                    "IVR_ENV=production: it is published in the source")
    assert Settings.from_env(tmp_path, {name: value}), "development takes it"


def test_production_refuses_the_placeholder_account_sid(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"^TWILIO_ACCOUNT_SID must not be the development "
                                          r"placeholder when IVR_ENV=production$"):
        Settings.from_env(tmp_path, {**PRODUCTION, "TWILIO_ACCOUNT_SID": DEV_ACCOUNT_SID})
    sid = "AC" + "1f" * 16
    assert Settings.from_env(tmp_path, {**PRODUCTION, "TWILIO_ACCOUNT_SID": sid}) \
        .twilio_account_sid == sid


@pytest.mark.parametrize("key", [bytes(32), b"\xff" * 32, b"k" * 32])
def test_production_refuses_a_card_data_key_of_one_byte_repeated(tmp_path: Path,
                                                                 key: bytes) -> None:
    text = base64.b64encode(key).decode()
    with pytest.raises(ConfigError, match=r"^IVR_CARD_DATA_KEY must be random bytes when "
                                          r"IVR_ENV=production, not one byte repeated; ") as caught:
        Settings.from_env(tmp_path, {**PRODUCTION, "IVR_CARD_DATA_KEY": text})
    assert text not in str(caught.value) and "os.urandom(32)" in str(caught.value)
    assert Settings.from_env(tmp_path, {"IVR_CARD_DATA_KEY": text}).card_key == key


@pytest.mark.parametrize("value", ["prod", "Production", "PRODUCTION", "staging", "dev", " "])
def test_only_development_and_production_are_environments(tmp_path: Path, value: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env(tmp_path, {**PRODUCTION, "IVR_ENV": value})
    assert str(caught.value) == ("IVR_ENV must be development or production (in lower case), "
                                 f"got {value!r}")
    assert Settings.from_env(tmp_path, {"IVR_ENV": ""}).environment == "development"
    assert Settings.from_env(tmp_path, PRODUCTION).production


def test_production_refuses_the_sandbox_gateway_naming_the_real_ones(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    unset = {name: value for name, value in PRODUCTION.items() if name != "IVR_PAYMENT_GATEWAY"}
    monkeypatch.delenv("IVR_PAYMENT_GATEWAY", raising=False)
    assert serve_error(monkeypatch, tmp_path, unset) == (
        "error: IVR_PAYMENT_GATEWAY must be set when IVR_ENV=production: stripe or "
        "authorize-net (the default, sandbox, charges nothing)")
    assert serve_error(monkeypatch, tmp_path, {**PRODUCTION, "IVR_PAYMENT_GATEWAY": "sandbox"}) \
        == ("error: IVR_PAYMENT_GATEWAY=sandbox charges nothing and is refused when "
            "IVR_ENV=production: use stripe or authorize-net")
    assert not (tmp_path / "ivr.sqlite3").exists(), "it stopped before touching the database"


def test_the_agent_number_is_e164(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # (or a Twilio Client or SIP address: tests/test_agent_settings.py)
    assert serve_error(monkeypatch, tmp_path, {"IVR_AGENT_NUMBER": "abc"}) == (
        "error: IVR_AGENT_NUMBER must be an E.164 number like +18005550123, client:IDENTITY "
        "(letters, digits, _) or sip:user@host (no ?headers, at most 200 characters), "
        "got 'abc'")
    assert Settings.from_env(tmp_path, {"IVR_AGENT_NUMBER": "+442079460958"}).agent_number \
        == "+442079460958"
    assert Settings.from_env(tmp_path, {}).agent_number == ""  # no agent option


@pytest.mark.parametrize(("env", "message"), [
    ({"IVR_PAYMENT_GATEWAY": "stripe", "IVR_STRIPE_API_KEY": "garbage"},
     "IVR_STRIPE_API_KEY must start with sk_ or rk_ (a secret or restricted key, from the "
     "Stripe dashboard's API keys)"),
    ({"IVR_PAYMENT_GATEWAY": "stripe", "IVR_STRIPE_API_KEY": "pk_test_x"},
     "IVR_STRIPE_API_KEY is a publishable key, not a secret one: it must start with sk_ or rk_ "
     "(a secret or restricted key, from the Stripe dashboard's API keys)"),
    ({"IVR_DATABASE_URL": "mysql://x"},
     "IVR_DATABASE_URL must be a sqlite:/// or postgresql:// URL (the databases supported: "
     "sqlite, postgresql), got a mysql:// URL"),
    ({"IVR_DATABASE_URL": "mysql+pymysql://ivr:s3cret@db/ivr"},  # the password never shown
     "IVR_DATABASE_URL must be a sqlite:/// or postgresql:// URL (the databases supported: "
     "sqlite, postgresql), got a mysql+pymysql:// URL"),
    ({"IVR_DATABASE_URL": "ivr.sqlite3"},
     "IVR_DATABASE_URL must be a sqlite:/// or postgresql:// URL (the databases supported: "
     "sqlite, postgresql), got no URL scheme"),
    ({"IVR_CONVENIENCE_FEE": "-1"},
     "IVR_CONVENIENCE_FEE must have a flat part from 0.00 up, in whole cents, and a percentage "
     "from 0 up to (not including) 100%, got '-1'"),
], ids=["stripe-garbage", "stripe-publishable", "mysql", "mysql-password", "no-scheme", "fee"])
def test_start_up_errors_say_what_is_wanted(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                            env: dict[str, str], message: str) -> None:
    assert serve_error(monkeypatch, tmp_path, env) == f"error: {message}"


@pytest.mark.parametrize(("url", "kept"), [
    ("sqlite://", "sqlite://"), ("sqlite+pysqlite:///x.db", "sqlite+pysqlite:///x.db"),
    ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
    ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db")])
def test_the_supported_database_urls_are_accepted(tmp_path: Path, url: str, kept: str) -> None:
    assert Settings.from_env(tmp_path, {"IVR_DATABASE_URL": url}).database_url == kept
