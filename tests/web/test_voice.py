"""The voice webhooks over HTTP: signatures, TwiML, persistence, replays and failures."""

from __future__ import annotations

import csv
import io
import json
import logging
import re
import threading
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, text
from twilio.request_validator import RequestValidator

from flows import machine
from ivr.config import override_settings, settings_of, store_settings
from ivr.db import db
from models import Account, CallSession, Payment, SmsMessage
from tests.app_helpers import make_app, settings_with
from tests.menu_helpers import JORDAN_MAIN_MENU, JORDAN_NEW_CARD, SAM_MAIN_MENU
from tests.twilio_helpers import Answer, TwilioCaller

VISA = "4242424242424242"
CVC = "987"
PIN = "2468"  # demo account 10001234, matched by caller ID +14155550100
TO_READ_BACK = (*JORDAN_NEW_CARD, VISA, "1230", CVC, "94105")  # pay today, new card


def rows(app: Flask, model: type[Any]) -> list[Any]:
    """Every row of a model."""
    with db.transaction(app) as session:
        return list(session.scalars(select(model)))


def database_text(app: Flask) -> str:
    """Every value in every table, as one string, for looking for secrets."""
    dump = []
    with db.transaction(app) as session:
        for table in ("accounts", "payments", "call_sessions", "sms_outbox"):
            result = session.execute(text(f"SELECT * FROM {table}"))
            for row in result.mappings():
                dump.append(json.dumps({k: str(v) for k, v in row.items() if k != "pin_hash"}))
    return "\n".join(dump)


@pytest.fixture
def caller(demo_app: Flask) -> TwilioCaller:
    """A caller whose number matches demo account 10001234."""
    return TwilioCaller(demo_app)


@pytest.mark.parametrize("path", ["/voice", "/voice/turn?t=1", "/voice/status"])
def test_unsigned_requests_are_refused(caller: TwilioCaller, path: str) -> None:
    response = caller.client.post(path, data=caller.params())
    assert response.status_code == 403


def test_forged_or_tampered_requests_are_refused(caller: TwilioCaller) -> None:
    params = caller.params()
    other = Flask("other")
    store_settings(other, settings_with({"TWILIO_AUTH_TOKEN": "not-our-token"}))
    forged = TwilioCaller(other, caller=caller.caller)
    response = caller.client.post("/voice", data=params,
                                  headers={"X-Twilio-Signature": forged.sign("/voice", params)})
    assert response.status_code == 403
    signature = caller.sign("/voice", params)
    tampered = {**params, "From": "+12125550199"}
    response = caller.client.post("/voice", data=tampered,
                                  headers={"X-Twilio-Signature": signature})
    assert response.status_code == 403
    assert rows(caller.app, CallSession) == []


def test_first_answer_gathers_and_falls_through_on_silence(caller: TwilioCaller) -> None:
    answer = caller.start()
    assert answer.status == 200
    # Everything is said inside the <Gather>: keys can be pressed from the first word.
    assert answer.verbs() == ["Gather", "Redirect"]
    assert answer.action == "/voice/turn?t=1"
    assert answer.gather is not None and answer.gather.get("numDigits") == "1"
    assert "account ending in 1 2 3 4" in answer.said
    redirect = answer.root.find("Redirect")
    assert redirect is not None and redirect.text == "/voice/turn?t=1&silence=1"
    assert "didn't hear anything" in caller.silence(answer).said


def test_paying_by_phone_records_everything_once(caller: TwilioCaller) -> None:
    answer = caller.walk(*TO_READ_BACK)
    assert "ending in 4 2 4 2" in answer.said
    answer = caller.press(answer, "1")
    assert "has been approved" in answer.said
    [payment] = [p for p in rows(caller.app, Payment) if p.call_sid == caller.call_sid]
    assert payment.status == "approved" and payment.amount_cents == 12045
    assert (payment.card_brand, payment.card_last4) == ("Visa", "4242")
    spoken = payment.confirmation_number
    assert spoken and 8 <= len(spoken) <= 12
    assert " ".join(spoken[:5]) in answer.said and " ".join(spoken[5:]) in answer.said
    [sms] = rows(caller.app, SmsMessage)
    assert sms.to_number == "+14155550100" and spoken in sms.body and sms.status == "queued"
    [account] = [a for a in rows(caller.app, Account) if a.account_number == "10001234"]
    assert account.balance_cents == 0


def test_redelivered_authorisation_charges_once_and_the_call_carries_on(
        caller: TwilioCaller) -> None:
    read_back = caller.walk(*TO_READ_BACK)
    first = caller.press(read_back, "1")
    again = caller.press(read_back, "1")
    assert again.raw == first.raw
    approved = [p for p in rows(caller.app, Payment) if p.call_sid == caller.call_sid]
    assert len(approved) == 1
    assert len(rows(caller.app, SmsMessage)) == 1
    repeat = caller.press(again, "1")
    assert "Your confirmation number is" in repeat.said


def test_redelivered_first_request_gets_the_same_answer(caller: TwilioCaller) -> None:
    first = caller.start()
    assert caller.start().raw == first.raw
    [call] = rows(caller.app, CallSession)
    assert call.turn == 1


def test_concurrent_redeliveries_charge_once(caller: TwilioCaller) -> None:
    read_back = caller.walk(*TO_READ_BACK)
    answers: list[Answer] = []

    def deliver() -> None:
        answers.append(caller.press(read_back, "1"))

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({a.raw for a in answers}) == 1
    assert "has been approved" in answers[0].said
    assert len([p for p in rows(caller.app, Payment) if p.call_sid == caller.call_sid]) == 1


def test_no_card_number_code_or_pin_is_stored_or_logged(
        caller: TwilioCaller, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    read_back = caller.walk(*TO_READ_BACK)
    stored = database_text(caller.app)
    # The card number is long enough to search for anywhere. The code and PIN are short:
    # random hex tokens and timestamps contain such digit runs, so a leak is what stands
    # alone as a value.
    assert VISA not in stored
    assert not standalone(CVC, stored) and not standalone(PIN, stored)
    caller.press(read_back, "1")
    stored = database_text(caller.app)
    assert VISA not in stored and VISA[-8:] not in stored
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert VISA not in logged
    assert not standalone(CVC, logged) and not standalone(PIN, logged)
    [account] = [a for a in rows(caller.app, Account) if a.account_number == "10001234"]
    assert account.pin_hash.startswith("hmac-sha256$")


def standalone(secret: str, text: str) -> bool:
    """True when ``secret`` occurs as a value of its own, not inside a longer token."""
    return re.search(rf"(?<![0-9A-Za-z]){secret}(?![0-9A-Za-z])", text) is not None


def test_an_exception_becomes_a_spoken_apology(
        caller: TwilioCaller, monkeypatch: pytest.MonkeyPatch) -> None:
    answer = caller.start()

    def broken(*args: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(machine, "handle", broken)
    apology = caller.press(answer, "1")
    assert apology.status == 200
    assert "something went wrong on our end" in apology.said
    assert apology.verbs()[-1] == "Hangup"


def test_an_exception_transfers_when_an_agent_is_configured(
        caller: TwilioCaller, monkeypatch: pytest.MonkeyPatch) -> None:
    override_settings(caller.app, IVR_AGENT_NUMBER="+18005550123")
    monkeypatch.setattr(machine, "start", lambda *a: 1 / 0)
    answer = caller.start()
    assert answer.status == 200 and answer.root.findtext("Dial/Number") == "+18005550123"


def test_agent_transfer_dials_the_configured_number(caller: TwilioCaller) -> None:
    override_settings(caller.app, IVR_AGENT_NUMBER="+18005550123")
    answer = caller.walk(*JORDAN_MAIN_MENU)
    assert "To speak with an agent, press 0." in answer.said
    transfer = caller.press(answer, "0")
    assert transfer.verbs() == ["Say", "Dial"]
    assert transfer.root.findtext("Dial/Number") == "+18005550123"


def test_a_webhook_without_a_call_sid_is_answered_with_twiml(caller: TwilioCaller) -> None:
    params = {"From": caller.caller}
    response = caller.client.post("/voice", data=params,
                                  headers={"X-Twilio-Signature": caller.sign("/voice", params)})
    assert response.status_code == 200 and b"<Hangup" in response.data


def test_status_callback_closes_the_session(caller: TwilioCaller) -> None:
    caller.walk(*JORDAN_NEW_CARD, VISA)
    answer = caller.post("/voice/status", CallStatus="completed", CallDuration="42")
    assert answer.status == 200 and answer.root.tag == "Response"
    [call] = rows(caller.app, CallSession)
    assert (call.call_status, call.duration_seconds) == ("completed", 42)
    assert call.ended_at is not None and call.state == "card_expiry"
    assert call.flow_state["draft"] is None and call.flow_state["verified"] is True


def test_hanging_up_after_paying_drops_the_token_offered_for_keeping(
        caller: TwilioCaller) -> None:
    caller.press(caller.walk(*TO_READ_BACK), "1")
    [call] = rows(caller.app, CallSession)
    assert call.flow_state["save_offer"]["last4"] == "4242"
    caller.post("/voice/status", CallStatus="completed", CallDuration="90")
    [call] = rows(caller.app, CallSession)
    assert call.flow_state["save_offer"] is None and call.flow_state["draft"] is None


def test_withheld_caller_id_asks_for_the_account_number(demo_app: Flask) -> None:
    caller = TwilioCaller(demo_app, caller="anonymous")
    assert "Enter your account number" in caller.start().said


def test_state_is_saved_every_turn_so_any_worker_can_answer(
        caller: TwilioCaller, database_url: str, tmp_path: Any) -> None:
    answer = caller.walk(*JORDAN_MAIN_MENU)
    other_worker = TwilioCaller(make_app(database_url, tmp_path), call_sid=caller.call_sid)
    assert "one hundred twenty dollars" in other_worker.press(answer, "1").said  # the balance


def test_the_confirmation_number_is_spoken_texted_and_exported_alike(
        caller: TwilioCaller) -> None:
    approved = caller.press(caller.walk(*TO_READ_BACK), "1")
    export = caller.app.test_cli_runner().invoke(args=["payments", "export", "--format", "csv"])
    assert export.exit_code == 0
    [row] = [r for r in csv.DictReader(io.StringIO(export.output))
             if r["call_sid"] == caller.call_sid]
    number = row["confirmation_number"]
    assert (row["amount"], row["status"], row["card_last4"]) == ("120.45", "approved", "4242")
    assert f"{' '.join(number[:5])}, {' '.join(number[5:])}" in approved.said
    [sms] = rows(caller.app, SmsMessage)
    assert f"Confirmation number: {number}." in sms.body


def test_signatures_are_checked_against_the_public_url_behind_a_proxy(
        database_url: str, tmp_path: Any) -> None:
    app = make_app(database_url, tmp_path, IVR_TRUSTED_PROXIES=1)
    caller = TwilioCaller(app)
    params = caller.params()
    public = RequestValidator(settings_of(app).twilio_auth_token).compute_signature(
        "https://ivr.example.com/voice", params)
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "ivr.example.com",
                 "X-Forwarded-For": "54.172.60.1"}
    ok = caller.client.post("/voice", data=params,
                            headers={"X-Twilio-Signature": public, **forwarded})
    assert ok.status_code == 200
    direct = caller.client.post("/voice", data=params, headers={"X-Twilio-Signature": public})
    assert direct.status_code == 403


def test_a_turn_that_stays_on_its_step_still_saves_what_changed(demo_app: Flask) -> None:
    sam = TwilioCaller(demo_app, caller="+12125550199")  # past due: offered an arrangement
    answer = sam.walk(*SAM_MAIN_MENU, "5", "2", "1201")
    assert "payment 2 of 2" in answer.said
    [call] = rows(demo_app, CallSession)
    assert call.state == "arrange_date"
    assert call.flow_state["draft"]["arrangement"]["dates"] == ["2026-12-01"]
    assert "must come after the one before" in sam.press(answer, "1130").said


@pytest.mark.parametrize(("forwarded_port", "signed_url"), [
    ("443", "https://ivr.example.com/voice"),          # default port: Twilio signs no port
    ("8443", "https://ivr.example.com:8443/voice"),    # a port Twilio was given explicitly
])
def test_signatures_behind_a_proxy_allow_for_ports(
        database_url: str, tmp_path: Any, forwarded_port: str, signed_url: str) -> None:
    app = make_app(database_url, tmp_path, IVR_TRUSTED_PROXIES=1)
    caller = TwilioCaller(app)
    params = caller.params()
    signature = RequestValidator(settings_of(app).twilio_auth_token).compute_signature(
        signed_url, params)
    headers = {"X-Twilio-Signature": signature, "X-Forwarded-Proto": "https",
               "X-Forwarded-Host": "ivr.example.com", "X-Forwarded-Port": forwarded_port,
               "X-Forwarded-For": "54.172.60.1"}
    assert caller.client.post("/voice", data=params, headers=headers).status_code == 200


def test_proxy_headers_are_ignored_unless_proxies_are_trusted(caller: TwilioCaller) -> None:
    params = caller.params()
    forged_host = RequestValidator(settings_of(caller.app).twilio_auth_token).compute_signature(
        "https://evil.example.com/voice", params)
    headers = {"X-Twilio-Signature": forged_host, "X-Forwarded-Proto": "https",
               "X-Forwarded-Host": "evil.example.com"}
    assert caller.client.post("/voice", data=params, headers=headers).status_code == 403


def test_refused_requests_are_in_the_audit_trail(caller: TwilioCaller) -> None:
    from models import AuditEvent

    caller.client.post("/voice/turn?t=3", data=caller.params())
    with db.transaction(caller.app) as session:
        [event] = session.scalars(select(AuditEvent)).all()
    assert (event.action, event.outcome, event.detail) == (
        "webhook_signature", "refused_unsigned", "/voice/turn")


def test_pin_checks_and_payments_are_in_the_audit_trail(caller: TwilioCaller) -> None:
    from models import AuditEvent

    caller.press(caller.walk(*TO_READ_BACK), "1")
    with db.transaction(caller.app) as session:
        events = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [(e.action, e.outcome, e.actor) for e in events] == [
        ("pin_check", "ok", "caller:+14155550100"),
        ("payment", "processing", "caller:+14155550100"),  # authorised, written ahead
        ("payment", "approved", "system")]  # the gateway's answer, recorded
    assert {e.origin for e in events} == {caller.call_sid}
    assert events[1].detail and events[1].detail.endswith("new -> processing: $120.45 by card")
    assert events[2].detail and events[2].detail.endswith("processing -> approved: "
                                                          "$120.45 by card")
