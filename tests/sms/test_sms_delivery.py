"""Texts sent through Twilio ask for delivery reports, at the Messages API IVR_TWILIO_API_BASE
names; IVR_PUBLIC_URL and IVR_TWILIO_API_BASE are checked at start-up."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs

import pytest
import requests_mock as rm
from click.testing import CliRunner
from flask import Flask

from ivr.cli import main
from ivr.config import Settings
from ivr.db import db
from ivr.errors import ConfigError
from ivr.ops import server
from ivr.sms.backends import make_sms_backend
from ivr.sms.outbox import DrainResult, drain_outbox, queue_text
from models import SmsMessage
from tests.app_helpers import settings_with

SID = "AC" + "2" * 32
TOKEN = "another-s3cret-token"
FROM = "+14155550111"
NOW = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)
MESSAGE_SID = "SM" + "c" * 32
TWILIO = {"IVR_SMS_BACKEND": "twilio", "IVR_SMS_FROM": FROM, "TWILIO_ACCOUNT_SID": SID,
          "TWILIO_AUTH_TOKEN": TOKEN, "IVR_PUBLIC_URL": "https://pay.example.com/"}


def created_message(to: str, body: str) -> dict[str, object]:
    """The body of Twilio's 201 to a Messages create, as its API reference shows it."""
    return {"account_sid": SID, "api_version": "2010-04-01", "body": body,
            "date_created": "Thu, 26 Nov 2026 15:00:00 +0000", "date_sent": None,
            "date_updated": "Thu, 26 Nov 2026 15:00:00 +0000", "direction": "outbound-api",
            "error_code": None, "error_message": None, "from": FROM,
            "messaging_service_sid": None, "num_media": "0", "num_segments": "1",
            "price": None, "price_unit": "USD", "sid": MESSAGE_SID, "status": "queued",
            "subresource_uris": {"media": f"/2010-04-01/Accounts/{SID}/Messages/"
                                          f"{MESSAGE_SID}/Media.json"},
            "to": to, "uri": f"/2010-04-01/Accounts/{SID}/Messages/{MESSAGE_SID}.json"}


def send_one(app: Flask, settings: Settings) -> DrainResult:
    """Queue one text and drain the outbox through the backend ``settings`` make."""
    with db.transaction(app) as session:
        queue_text(session, "+14155550100", "Paid $12.50").next_attempt_at = NOW
    return drain_outbox(db.sessions(app), make_sms_backend(settings), now=NOW)


def test_each_text_asks_twilio_to_report_its_delivery(app: Flask,
                                                      requests_mock: rm.Mocker) -> None:
    url = f"https://api.twilio.com/2010-04-01/Accounts/{SID}/Messages.json"
    requests_mock.post(url, status_code=201, json=created_message("+14155550100", "Paid $12.50"))

    assert send_one(app, settings_with(TWILIO)) == DrainResult(sent=1)

    [sent] = requests_mock.request_history
    assert parse_qs(sent.text)["StatusCallback"] == ["https://pay.example.com/sms/status"]
    with db.transaction(app) as session:
        [row] = session.query(SmsMessage).all()
        assert (row.status, row.provider_sid, row.delivery_status) == ("sent", MESSAGE_SID, None)


def test_the_messages_client_goes_where_ivr_twilio_api_base_points(
        app: Flask, requests_mock: rm.Mocker) -> None:
    stand_in = "http://twilio-stand-in.test:8080/twilio"
    url = f"{stand_in}/2010-04-01/Accounts/{SID}/Messages.json"
    requests_mock.post(url, status_code=201, json=created_message("+14155550100", "Paid $12.50"))
    settings = settings_with(TWILIO | {"IVR_TWILIO_API_BASE": stand_in + "/"})

    # Anything sent to api.twilio.com would find no mock, fail, and be retried instead.
    assert send_one(app, settings) == DrainResult(sent=1)

    [sent] = requests_mock.request_history
    assert sent.url == url
    assert parse_qs(sent.text)["To"] == ["+14155550100"]


def test_the_api_base_defaults_to_twilios_own(tmp_path: Path) -> None:
    settings = Settings.from_env(tmp_path, {})
    assert (settings.twilio_api_base, settings.public_url) == ("https://api.twilio.com", "")


@pytest.mark.parametrize("name", ["IVR_PUBLIC_URL", "IVR_TWILIO_API_BASE"])
@pytest.mark.parametrize("value", [
    "pay.example.com", "/sms", "ftp://pay.example.com", "https://", "https://pay.example.com?x=1",
    "https://pay.example.com/#top", "https://pay.example.com:port", "https://pay example.com",
])
def test_a_base_url_that_is_not_absolute_http_stops_start_up(tmp_path: Path, name: str,
                                                             value: str) -> None:
    with pytest.raises(ConfigError, match=f"^{name} must be an absolute http") as caught:
        Settings.from_env(tmp_path, {name: value})
    assert "\n" not in str(caught.value)


def test_the_public_url_is_kept_without_a_trailing_slash(tmp_path: Path) -> None:
    settings = Settings.from_env(tmp_path, {"IVR_PUBLIC_URL": "https://pay.example.com/ivr/"})
    assert settings.public_url == "https://pay.example.com/ivr"


def test_serve_with_twilio_texts_needs_the_public_url(monkeypatch: pytest.MonkeyPatch,
                                                     tmp_path: Path) -> None:
    # Were it accepted, the command would return at once instead of serving.
    monkeypatch.setattr(server.GunicornServer, "run", lambda self: None)
    for name, value in (TWILIO | {"IVR_DATABASE_URL": f"sqlite:///{tmp_path / 'ivr.db'}"}).items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("IVR_PUBLIC_URL")

    result = CliRunner().invoke(main, ["serve", "--no-demo"])

    assert result.exit_code != 0
    [line] = result.output.strip().splitlines()
    assert line.startswith("error: IVR_PUBLIC_URL must be set with IVR_SMS_BACKEND=twilio")
    assert not (tmp_path / "ivr.db").exists(), "it stopped before touching the database"
