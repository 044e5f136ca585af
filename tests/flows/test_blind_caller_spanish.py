"""A caller who only listens can do every task in Spanish too: each menu step below is taken
by the Spanish words of an option (``Caller.choose``), never by a key number known in
advance; only what a prompt asks for (a PIN, a card, an amount, a date) is keyed.

Spanish is reached as a caller reaches it: by choosing "Para español" by its words at the
first question of an English line, or by calling about an account whose saved language is
Spanish. Either way, everything heard after that must be Spanish.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from flows import machine
from flows.hours import AgentDesk, parse_hours
from flows.ports import SavedMethod, ScheduledPayment
from flows.recording import RecordingReport
from flows.state import EndKind, Event
from tests.fake_ports import FakePorts
from tests.flow_helpers import VISA, Caller

CARD = (VISA, "1230", "123", "94105")
BANK = ("110000000", "000123456789", "000123456789")
SPANISH = "es-US"
RECORDING = RecordingReport("RE" + "a" * 32, "https://api.twilio.com/Recordings/RE1", 40)


@dataclass(frozen=True)
class Choose:
    """Pick the option whose words include these."""

    words: str


@dataclass(frozen=True)
class Record:
    """Leave a recorded message at the tone."""


Step = Choose | Record | str
JORDAN = (Choose("cuenta terminada en 1 2 3 4"), "1234")  # matched by caller ID, and the PIN
MORE = Choose("más opciones")

# task: (caller ID, what the caller does, what they hear at the end)
TASKS: dict[str, tuple[str | None, tuple[Step, ...], str]] = {
    "pay the balance now by card": (
        "+14155550100", (*JORDAN, Choose("con tarjeta"), *CARD, Choose("autorizar este pago")),
        "su pago fue aprobado"),
    "pay the balance now from a bank account": (
        "+14155550100", (*JORDAN, Choose("cuenta bancaria"), Choose("cuenta de cheques"), *BANK,
                         Choose("autorizar este débito")), "fue enviado"),
    "pay with a card on file": (
        "+14155550100", (*JORDAN, Choose("tarjeta Visa que termina en 4 2 4 2 registrada"),
                         Choose("autorizar este pago")), "su pago fue aprobado"),
    "pay another amount": (
        "+14155550100", (*JORDAN, Choose("otros montos"), Choose("otro monto"), "50",
                         Choose("pagar hoy"), Choose("tarjeta nueva"), *CARD,
                         Choose("autorizar este pago")), "su pago fue aprobado"),
    "pay the balance on a later date": (
        "+14155550100", (*JORDAN, Choose("otros montos"), Choose("fecha posterior"), "1201",
                         Choose("tarjeta nueva"), *CARD, Choose("autorizar este pago")),
        "está programado para el primero de diciembre"),
    "keep a new card on file": (
        "+14155550100", (*JORDAN, Choose("con tarjeta"), *CARD, Choose("autorizar este pago"),
                         Choose("guardar esta tarjeta")), "Ahora tenemos registrada la tarjeta"),
    "try another card after a decline": (
        "+14155550100", (*JORDAN, Choose("con tarjeta"), "4000000000000002", *CARD[1:],
                         Choose("autorizar este pago"), Choose("otra tarjeta"),
                         Choose("tarjeta nueva"), *CARD, Choose("autorizar este pago")),
        "su pago fue aprobado"),
    "hear the balance": ("+14155550100", JORDAN, "Debe ciento veinte dólares"),
    "hear the recent payments": (
        "+14155550100", (*JORDAN, MORE, Choose("pagos recientes")),
        "No hay pagos registrados"),
    "cancel a scheduled payment": (
        "+14155550100", (*JORDAN, MORE, Choose("pagos programados"),
                         Choose("cancelar un pago programado"),
                         Choose("cancelar el pago de cincuenta dólares")), "está cancelado"),
    "turn AutoPay on": (
        "+14155550100", (*JORDAN, MORE, Choose("pagos programados"),
                         Choose("activar el Pago Automático"),
                         Choose("tarjeta Visa que termina en 4 2 4 2"),
                         Choose("activar el Pago Automático")),
        "El Pago Automático ya está activado"),
    "turn AutoPay off": (
        "+14155550100", (*JORDAN, MORE, Choose("pagos programados"),
                         Choose("desactivar el Pago Automático"),
                         Choose("desactivar el Pago Automático")),
        "El Pago Automático ya está desactivado"),
    "set up a payment arrangement": (
        "+12125550199", (Choose("cuenta terminada en 5 6 7 8"), "5678", MORE,
                         Choose("acuerdo de pago"), Choose("2 pagos"), "1201", "1215",
                         Choose("tarjeta nueva"), *CARD, Choose("aceptar este acuerdo de pago")),
        "Su acuerdo de pago quedó establecido."),
    "question a charge": (
        "+14155550100", (*JORDAN, MORE, Choose("disputar un cargo"), Record()),
        "Su número de caso es"),
    "use another account": (
        "+14155550100", (Choose("otra cuenta"), "30009012", "9012"),
        "Debe doscientos cincuenta dólares"),
    "key the account number": (
        "+16505550123", ("20005678", "5678"), "Ahora está vencido"),
    "get past a wrong PIN": (
        "+14155550100", (Choose("cuenta terminada en 1 2 3 4"), "0000", "1234"),
        "Debe ciento veinte dólares"),
    "speak with an agent": (
        "+14155550100", (*JORDAN, MORE, Choose("hablar con un agente")),
        "Por favor, espere mientras le comunicamos con un agente"),
    "ask for a callback when agents are closed": (
        "+14155550100", (*JORDAN, MORE, Choose("hablar con un agente"),
                         Choose("devuelva la llamada"), Choose("número que termina en 0 1 0 0")),
        "Un agente le devolverá la llamada"),
    "hear prompts more slowly": (
        "+14155550100", (Choose("hablar despacio"), *JORDAN), "Debe ciento veinte dólares"),
    "end the call": ("+14155550100", (*JORDAN, MORE, Choose("terminar esta llamada")), "Adiós"),
}
NEEDS_A_CARD_ON_FILE = {"pay with a card on file", "turn AutoPay on", "turn AutoPay off"}
NEEDS_AN_AGENT = {"speak with an agent", "ask for a callback when agents are closed"}
CLOSED = AgentDesk(on_duty=False, hours=parse_hours("Mon-Fri 08:00-18:00"))
# How the caller comes to hear Spanish: choosing it by its words, or an account that saved it.
HOW = ("chosen at the greeting", "saved on the account")


def spanish_caller(ports: FakePorts, task: str, how: str) -> Caller:
    """A caller set up for ``task``, in Spanish from the first question (or, when the line
    cannot know the account yet and Spanish is the account's, once the account is known)."""
    number, _, _ = TASKS[task]
    if task in NEEDS_A_CARD_ON_FILE:
        ports.saved[1] = [SavedMethod(7, "card", "Visa", "4242", "1230")]
    if task == "turn AutoPay off":
        ports.autopay[1] = 7
    if task == "cancel a scheduled payment":
        ports.scheduled[1] = [ScheduledPayment(41, 5000, date(2026, 12, 1), "card", "Visa",
                                               "4242")]
    if how == "saved on the account":
        for account_id in list(ports.accounts):
            ports.set_language(account_id, SPANISH)
    desk = CLOSED if task == "ask for a callback when agents are closed" else None
    caller = Caller(ports, caller=number, agent=task in NEEDS_AN_AGENT, desk=desk)
    if how == "chosen at the greeting":
        assert caller.state.language != SPANISH
        caller.choose("Para español")
    return caller


def records_a_message(caller: Caller) -> str:
    """Twilio reports a message recorded at the tone; what is heard next."""
    caller.reply = machine.handle(caller.state, Event(None, recording=RECORDING), caller.ctx)
    caller.heard.append(caller.text)
    return caller.text


@pytest.mark.parametrize("how", HOW)
@pytest.mark.parametrize("task", sorted(TASKS))
def test_a_spanish_caller_who_picks_options_by_their_words_can(
        ports: FakePorts, task: str, how: str) -> None:
    _, steps, heard = TASKS[task]
    caller = spanish_caller(ports, task, how)
    for step in steps:
        if isinstance(step, Choose):
            caller.choose(step.words)
        elif isinstance(step, Record):
            records_a_message(caller)
        else:
            caller.press(step)
        # Once Spanish, the call stays Spanish (before the account is keyed, the line can
        # know only the language the caller chose).
        if caller.state.account_id is not None or how == "chosen at the greeting":
            assert caller.state.language == SPANISH, (step, caller.text)
    assert heard in caller.text, caller.text
    if task == "speak with an agent":
        assert caller.reply.end is EndKind.TRANSFER
    if task == "hear prompts more slowly":
        assert caller.state.slower


def test_the_case_number_of_a_charge_questioned_in_spanish_is_texted_in_spanish(
        ports: FakePorts, monkeypatch: pytest.MonkeyPatch) -> None:
    # The text is written by the port, in the language the flow hands it: the call's.
    languages: list[str] = []
    open_dispute = ports.open_dispute

    def spy(*args: object, **kwargs: object) -> object:
        languages.append(str(args[-1] if len(args) == 5 else kwargs["language"]))
        return open_dispute(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ports, "open_dispute", spy)
    caller = spanish_caller(ports, "question a charge", "chosen at the greeting")
    for step in TASKS["question a charge"][1]:
        if isinstance(step, Choose):
            caller.choose(step.words)
        elif isinstance(step, Record):
            records_a_message(caller)
        else:
            caller.press(step)
    assert "Su número de caso es" in caller.text
    assert languages == [SPANISH]
