"""Calls in Spanish, at the HTTP level: the greeting's offer, pressing 9, the account's saved
language, voices, <Gather>/<Pay> languages, money and dates in Spanish words, texts and the
bank authorisation kept in the call's language."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

from flask import Flask
from sqlalchemy import select

from flows.speech import load_catalog
from flows.state import Capture
from ivr.config import override_settings
from ivr.db import db
from ivr.payments.scheduled import run_scheduled
from ivr.ports.database import gateway_of
from ivr.sim.pay_twiml import PAY_VALUES
from ivr.web.twiml import Voice, pay_verb
from models import Account, CallSession
from tests.app_helpers import addressed_texts, call_payments
from tests.language_helpers import pseudo_language
from tests.menu_helpers import FULL_LATER, NOW_BY_BANK, NOW_BY_CARD
from tests.twilio_helpers import Answer, TwilioCaller, pay_result

JORDAN, LUCIA = "+14155550100", "+13055550173"
UNKNOWN_CALLER = "+16175550111"
ENGLISH, SPANISH = ("Polly.Joanna", "en-US"), ("Polly.Lupe", "es-US")
VISA, EXPIRY, CVC = "4242424242424242", "1230", "123"


def caller(app: Flask, number: str, n: int = 1) -> TwilioCaller:
    """A call from ``number``; ``n`` tells calls from one number apart."""
    return TwilioCaller(app, call_sid=f"CA{n:032d}", caller=number)


def voices(answer: Answer) -> set[tuple[str | None, str | None]]:
    """The (voice, language) pairs of every <Say> in ``answer``."""
    return {(voice, language) for _, voice, language in answer.says()}


def account_language(app: Flask, number: str) -> str:
    with db.transaction(app) as session:
        return session.scalars(select(Account.language)
                               .where(Account.account_number == number)).one()


def test_the_greeting_offers_spanish_first_in_a_spanish_voice(demo_app: Flask) -> None:
    answer = caller(demo_app, JORDAN).start()
    first, *rest = answer.says()
    assert first == ("Para español, oprima 9.", *SPANISH)
    assert {(voice, language) for _, voice, language in rest} == {ENGLISH}
    assert rest[0][0] == "For slower prompts, press 8."
    assert answer.gather is not None and answer.gather.get("language") == "en-US"
    assert answer.verbs() == ["Gather", "Redirect"]  # 9 can be pressed from the first word


def test_pressing_9_at_the_caller_id_menu_goes_on_in_spanish(demo_app: Flask) -> None:
    call = caller(demo_app, JORDAN)
    answer = call.press(call.start(), "9")
    (back, *question) = answer.says()
    assert back == ("For English, press 9.", *ENGLISH)
    assert [text for text, _, _ in question] == [
        "Para hablar despacio, oprima 8.",
        "Para la cuenta terminada en 1 2 3 4, oprima 1.",
        "Para otra cuenta, oprima 2.",
        "Para repetir, oprima asterisco."]
    assert {(voice, language) for _, voice, language in question} == {SPANISH}
    assert answer.gather is not None and answer.gather.get("language") == "es-US"
    answer = call.press(answer, "1")
    assert answer.says() == [("Marque su PIN.", *SPANISH)]
    answer = call.press(answer, "2468")
    assert "ciento veinte dólares con cuarenta y cinco centavos" in answer.said  # the balance
    assert "cinco de diciembre" in answer.said  # and its due date
    assert voices(answer) == {SPANISH}


def test_pressing_9_twice_goes_back_to_english(demo_app: Flask) -> None:
    call = caller(demo_app, JORDAN)
    answer = call.press(call.press(call.start(), "9"), "9")
    assert answer.says()[0] == ("Para español, oprima 9.", *SPANISH)
    assert "For the account ending in 1 2 3 4, press 1." in answer.said


def test_a_lone_9_for_the_account_number_chooses_spanish(demo_app: Flask) -> None:
    call = caller(demo_app, UNKNOWN_CALLER)
    greeting = call.start()
    assert "Enter your account number, then press pound." in greeting.said
    answer = call.press(greeting, "9")
    assert "Marque su número de cuenta y luego la tecla numeral." in answer.said
    # Jordan's account is English, but the caller chose: the PIN is asked in Spanish.
    answer = call.press(answer, "10001234")
    assert answer.says() == [("Marque su PIN.", *SPANISH)]


def test_the_choice_is_saved_once_the_pin_is_right_and_used_next_call(demo_app: Flask) -> None:
    call = caller(demo_app, JORDAN)
    answer = call.press(call.press(call.start(), "9"), "1")
    assert account_language(demo_app, "10001234") == "en-US"  # not before the PIN
    call.press(answer, "2468")
    assert account_language(demo_app, "10001234") == "es-US"
    greeting = caller(demo_app, JORDAN, 2).start()
    assert greeting.says()[0] == ("For English, press 9.", *ENGLISH)
    assert "Para la cuenta terminada en 1 2 3 4, oprima 1." in greeting.said


def test_a_wrong_pin_after_choosing_saves_nothing(demo_app: Flask) -> None:
    call = caller(demo_app, JORDAN)
    call.press(call.press(call.press(call.start(), "9"), "1"), "0000")
    assert account_language(demo_app, "10001234") == "en-US"


def test_a_spanish_account_is_answered_in_spanish_with_spanish_words(demo_app: Flask) -> None:
    call = caller(demo_app, LUCIA)
    greeting = call.start()
    assert greeting.says()[0] == ("For English, press 9.", *ENGLISH)
    assert "Para la cuenta terminada en 2 4 6 8, oprima 1." in greeting.said
    answer = call.press(call.press(greeting, "1"), "1590")
    assert "cuarenta y cinco dólares con cincuenta centavos" in answer.said  # the balance
    assert "cinco de diciembre" in answer.said  # and its due date
    assert voices(answer) == {SPANISH}


def test_a_keyed_account_in_spanish_switches_the_call(demo_app: Flask) -> None:
    call = caller(demo_app, UNKNOWN_CALLER)
    answer = call.press(call.start(), "50002468")
    assert answer.says() == [("Marque su PIN.", *SPANISH)]


def test_a_card_payment_in_spanish_is_texted_in_spanish(demo_app: Flask) -> None:
    call = caller(demo_app, LUCIA)
    answer = call.walk("1", "1590", NOW_BY_CARD, VISA, EXPIRY, CVC, "33101")
    assert ("Va a pagar cuarenta y cinco dólares con cincuenta centavos con la tarjeta Visa que "
            "termina en 4 2 4 2.") in answer.said
    answer = call.press(answer, "1")
    assert "Un momento, por favor." in answer.said
    assert "Gracias, su pago fue aprobado." in answer.said
    [(to, body)] = addressed_texts(demo_app)
    assert to == LUCIA
    assert body.startswith("Su pago de $45.50 a la cuenta que termina en 2468 fue aprobado "
                           "con Visa que termina en 4242. Número de confirmación: ")


def test_a_bank_authorisation_is_said_kept_and_noticed_in_spanish(demo_app: Flask) -> None:
    call = caller(demo_app, LUCIA)
    answer = call.walk("1", "1590", NOW_BY_BANK, "1", "110000000", "000123456789",
                       "000123456789")
    assert ("Hoy, veintiuno de noviembre, usted, Lucía Hernández, autoriza a la empresa que le "
            "factura a hacer un único débito electrónico de cuarenta y cinco dólares con "
            "cincuenta centavos de la cuenta de cheques que termina en 6 7 8 9") in answer.said
    call.press(answer, "1")
    [payment] = call_payments(demo_app, call.call_sid)
    assert payment.authorization_text is not None
    assert payment.authorization_text.startswith("Hoy, veintiuno de noviembre, usted, ")
    assert payment.authorization_text.endswith("Para autorizar este débito, oprima 1.")
    notice = next(body for _, body in addressed_texts(demo_app)
                  if body.startswith("Autorización de débito bancario"))
    assert "Lucía Hernández autorizó por teléfono un único débito electrónico de $45.50" in notice


def test_pay_asks_for_the_card_in_spanish(demo_app: Flask) -> None:
    override_settings(demo_app, IVR_CARD_CAPTURE="pay")
    call = caller(demo_app, LUCIA)
    answer = call.walk("1", "1590", NOW_BY_CARD)
    pay = answer.root.find("Pay")
    assert pay is not None and pay.get("language") == "es-US"
    prompts = {(prompt.get("for"), prompt.get("errorType")): [
        (say.text, say.get("voice"), say.get("language")) for say in prompt.iter("Say")]
        for prompt in pay.iter("Prompt")}
    catalog = load_catalog("es-US")
    assert prompts[("payment-card-number", None)] == [
        (catalog["pay.payment-card-number"], *SPANISH)]
    assert prompts[("payment-processing", None)] == [(catalog["pay.processing"], *SPANISH)]
    done = pay_result(call, answer, Result="success", PaymentConfirmationCode="ch_1",
                      PaymentCardNumber="xxxx-xxxx-xxxx-4242", PaymentCardType="visa")
    assert "fue aprobado" in done.said


def test_a_call_saved_before_languages_goes_on_in_the_lines_language(demo_app: Flask) -> None:
    override_settings(demo_app, IVR_LANGUAGE="es-US")
    call = caller(demo_app, JORDAN)
    answer = call.start()
    with db.transaction(demo_app) as session:
        row = session.get_one(CallSession, call.call_sid)
        state = dict(row.flow_state)
        del state["language"], state["language_chosen"]
        row.flow_state = state
    answer = call.press(answer, "1")
    assert answer.says() == [("Marque su PIN.", *SPANISH)]


def test_an_apology_is_said_in_the_calls_language(demo_app: Flask) -> None:
    call = caller(demo_app, LUCIA)
    answer = call.start()
    with db.transaction(demo_app) as session:
        row = session.get_one(CallSession, call.call_sid)
        row.flow_state = {**row.flow_state, "step": "no_such_step"}  # the turn will fail
    broken = call.press(answer, "1")
    catalog = load_catalog("es-US")
    assert broken.says()[0] == (catalog["end.application_error"], *SPANISH)


def test_a_scheduled_payment_is_texted_in_spanish_when_it_runs(demo_app: Flask) -> None:
    call = caller(demo_app, LUCIA)
    answer = call.walk("1", "1590", *FULL_LATER, "1201", "1", VISA, EXPIRY, CVC, "33101")
    assert ("Está a punto de programar un pago de cuarenta y cinco dólares con cincuenta "
            "centavos con la tarjeta Visa que termina en 4 2 4 2, para el primero de "
            "diciembre.") in answer.said
    call.press(answer, "1")
    run_scheduled(db.sessions(demo_app), gateway_of(demo_app), date(2026, 12, 1))
    scheduled, approved = [body for _, body in addressed_texts(demo_app)]
    assert "está programado para el 1 de diciembre de 2026 con Visa que termina en 4242" \
        in scheduled
    assert approved.startswith("Su pago programado de $45.50 a la cuenta que termina en 2468 "
                               "fue aprobado con Visa que termina en 4242.")


def pay_language(language: str) -> str | None:
    """The ``language`` of a card <Pay> said in ``language``."""
    voice = Voice(language=language, voices={language: "Polly.Joanna"})
    return ET.fromstring(str(pay_verb(Capture(1000, "Account 1"), "/t", voice))).get("language")


def test_pay_names_its_language_only_when_twilio_has_words_in_it(tmp_path: Path) -> None:
    # Twilio's <Pay language> takes a short list (its schema; the simulator refuses others):
    # a call in another language ("en-XA", made for the test) still hears every prompt of
    # ours in its own words, and Twilio's own in its default.
    assert {"en-US", "es-US"} <= PAY_VALUES["language"]
    assert (pay_language("en-US"), pay_language("es-US")) == ("en-US", "es-US")
    with pseudo_language(tmp_path / "prompts") as made:
        assert made not in PAY_VALUES["language"] and pay_language(made) is None
