"""``POST /sms/status``: Twilio's signed delivery reports recorded on the outbox row."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
import requests_mock as rm
from flask import Flask
from sqlalchemy.exc import OperationalError
from twilio.request_validator import RequestValidator

from ivr.config import override_settings, settings_of
from ivr.db import db
from ivr.ops.exports import export_sms_csv
from ivr.sms.backends import make_sms_backend
from ivr.sms.outbox import drain_outbox, queue_text
from ivr.web import sms_status
from models import SmsMessage, WebhookRefusal

SID = "SM" + "d" * 32
NOW = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)
URL = "http://localhost/sms/status"


def sent_message(app: Flask, provider_sid: str = SID) -> int:
    """An outbox row the outbox has sent as ``provider_sid``; its id."""
    with db.transaction(app) as session:
        message = SmsMessage(to_number="+14155550100", body="Paid $12.50", status="sent",
                             attempts=0, provider_sid=provider_sid, sent_at=NOW)
        session.add(message)
        session.flush()
        return message.id


def report(app: Flask, status: str, sid: str = SID, signed: bool = True,
           **more: str) -> int:
    """Post a status callback as Twilio does (its documented parameters); the HTTP status."""
    params = {"AccountSid": "AC" + "1" * 32, "ApiVersion": "2010-04-01", "From": "+14155550111",
              "To": "+14155550100", "MessageSid": sid, "SmsSid": sid, "SmsStatus": status,
              "MessageStatus": status, **more}
    headers = {}
    if signed:
        validator = RequestValidator(settings_of(app).twilio_auth_token)
        headers["X-Twilio-Signature"] = validator.compute_signature(URL, params)
    return app.test_client().post("/sms/status", data=params, headers=headers).status_code


def row(app: Flask, message_id: int) -> SmsMessage:
    """The outbox row, read back."""
    with db.transaction(app) as session:
        found = session.get(SmsMessage, message_id)
        assert found is not None
        return found


@pytest.mark.parametrize("status", ["sent", "delivered", "undelivered", "failed"])
def test_each_delivery_status_is_recorded(app: Flask, status: str) -> None:
    message_id = sent_message(app)

    assert report(app, status) == 200

    assert row(app, message_id).delivery_status == status


@pytest.mark.parametrize("status", ["queued", "sending", "accepted", "scheduled", "read", ""])
def test_steps_before_sent_are_not_recorded(app: Flask, status: str) -> None:
    message_id = sent_message(app)

    assert report(app, status) == 200

    assert (row(app, message_id).delivery_status, row(app, message_id).status) == (None, "sent")


@pytest.mark.parametrize("signature", [None, "forged"])
def test_an_unsigned_or_forged_report_is_refused(app: Flask, signature: str | None) -> None:
    message_id = sent_message(app)
    headers = {"X-Twilio-Signature": signature} if signature else {}
    params = {"MessageSid": SID, "MessageStatus": "undelivered", "ErrorCode": "30006"}

    answer = app.test_client().post("/sms/status", data=params, headers=headers)

    assert answer.status_code == 403
    found = row(app, message_id)
    assert (found.status, found.delivery_status, found.error_code) == ("sent", None, None)
    with db.transaction(app) as session:
        kinds = [r.kind for r in session.query(WebhookRefusal).all()]
    assert kinds == ["unsigned" if signature is None else "forged"]


def test_a_late_sent_never_moves_a_delivered_message_back(app: Flask) -> None:
    message_id = sent_message(app)

    for status in ("delivered", "sent", "queued"):
        assert report(app, status) == 200

    assert row(app, message_id).delivery_status == "delivered"


def test_the_first_final_report_stands(app: Flask) -> None:
    message_id = sent_message(app)
    report(app, "delivered")

    report(app, "undelivered", ErrorCode="30006")

    found = row(app, message_id)
    assert (found.status, found.delivery_status, found.error_code) == ("sent", "delivered", None)


def test_a_landline_marks_the_message_failed_with_why(app: Flask) -> None:
    message_id = sent_message(app)
    report(app, "sent")

    assert report(app, "undelivered", ErrorCode="30006") == 200

    found = row(app, message_id)
    assert (found.status, found.delivery_status, found.error_code) == ("failed", "undelivered",
                                                                       "30006")
    assert found.last_error == ("30006: 'To' is a landline or its carrier cannot be reached; "
                                "not delivered")


@pytest.mark.parametrize("code", ["30003", "30004", "30005", "30007", "30008"])
def test_every_permanent_delivery_error_fails_the_message(app: Flask, code: str) -> None:
    message_id = sent_message(app)

    report(app, "failed", ErrorCode=code)

    found = row(app, message_id)
    assert (found.status, found.error_code) == ("failed", code)
    assert (found.last_error or "").startswith(f"{code}: ")


def test_an_accounts_own_delivery_error_is_recorded_not_failed(app: Flask) -> None:
    message_id = sent_message(app)

    report(app, "undelivered", ErrorCode="30034")  # an unregistered 10DLC sender

    found = row(app, message_id)
    assert (found.status, found.delivery_status, found.error_code) == ("sent", "undelivered",
                                                                       "30034")
    assert found.last_error == "undelivered (Twilio error 30034); not delivered"


def test_a_report_for_an_unknown_message_writes_nothing(app: Flask) -> None:
    message_id = sent_message(app)

    assert report(app, "undelivered", sid="SM" + "e" * 32, ErrorCode="30006") == 200

    found = row(app, message_id)
    assert (found.status, found.delivery_status, found.error_code) == ("sent", None, None)
    with db.transaction(app) as session:
        assert session.query(SmsMessage).count() == 1


def test_a_report_the_database_cannot_take_is_no_500(app: Flask,
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    message_id = sent_message(app)

    def database_down(*_args: object) -> None:
        raise OperationalError("UPDATE sms_messages", {}, Exception("server closed"))

    monkeypatch.setattr(sms_status, "record_delivery", database_down)
    assert report(app, "delivered") == 200
    assert f"delivery report for message {SID} could not be recorded" in caplog.text
    assert row(app, message_id).delivery_status is None


def test_a_text_sent_through_twilio_is_found_by_its_report(app: Flask,
                                                           requests_mock: rm.Mocker) -> None:
    account = "AC" + "3" * 32
    override_settings(app, IVR_SMS_BACKEND="twilio", IVR_SMS_FROM="+14155550111",
                      TWILIO_ACCOUNT_SID=account, TWILIO_AUTH_TOKEN="real-looking-token",
                      IVR_PUBLIC_URL="https://pay.example.com",
                      IVR_TWILIO_API_BASE="http://stand-in.test")
    requests_mock.post(f"http://stand-in.test/2010-04-01/Accounts/{account}/Messages.json",
                       status_code=201, json={"sid": SID, "status": "queued",
                                              "account_sid": account, "to": "+14155550100"})
    with db.transaction(app) as session:
        queue_text(session, "+14155550100", "Paid $12.50").next_attempt_at = NOW
    drain_outbox(db.sessions(app), make_sms_backend(settings_of(app)), now=NOW)

    assert report(app, "undelivered", ErrorCode="30006") == 200

    out = io.StringIO()
    with db.transaction(app) as session:
        export_sms_csv(session, out)
    [exported] = csv.DictReader(io.StringIO(out.getvalue()))
    assert (exported["status"], exported["delivery_status"], exported["error_code"]) == (
        "failed", "undelivered", "30006")
    assert "landline" in exported["error"]
