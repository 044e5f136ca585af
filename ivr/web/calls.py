"""One webhook turn of a call: load its state, run the flow, save state and TwiML together.

The call's row is locked for the turn, so a redelivered webhook waits for the
first delivery and then gets its saved answer instead of running again.

A turn that finds the call holding for a payment (written ahead by the turn before)
first charges it, with no transaction open (:mod:`ivr.payments.charges`), then runs
the flow, which says the result. If that request dies mid-charge, its retry (or the
hang-up's status callback) charges again with the same idempotency key.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping

from flask import Flask, url_for
from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified, set_committed_value

from flows import machine
from flows.capture import CaptureReport
from flows.context import Context
from flows.speech import languages, say
from flows.state import CallState, EndKind, Event, Reply
from ivr.config import settings_of
from ivr.db import db
from ivr.payments import charges
from ivr.phones import to_e164
from ivr.ports import database as services
from ivr.ports.payments import record_capture
from ivr.security import card_store
from ivr.web import agent
from ivr.web.pay_form import pay_tokens
from ivr.web.turn_log import record_turn
from ivr.web.twiml import Voice, reply_twiml
from models import CallSession, Payment, utcnow

log = logging.getLogger(__name__)

# Built once, as every turn asks them (building one each time cost more CPU than running it).
_LOCKED_CALL = select(CallSession).where(CallSession.call_sid == bindparam("call_sid")) \
    .with_for_update()
_CALLS = CallSession.metadata.tables[CallSession.__tablename__]
_SAVE_CALL = update(_CALLS).where(_CALLS.c.call_sid == bindparam("saved_sid"))


def voice_settings(app: Flask, language: str | None = None) -> Voice:
    """How this app speaks a call in ``language`` (the line's, ``IVR_LANGUAGE``, when not
    given), with each language's voice, and where it transfers callers."""
    settings = settings_of(app)
    return Voice(language=language or settings.language,
                 voices={other: settings.voice_for(other) for other in languages()},
                 agent_number=settings.agent_number, pay_connector=settings.pay_connector,
                 token_type=pay_tokens(settings.payment_gateway).token_type,
                 agents_on_duty=settings.agents_on_duty())


def call_language(app: Flask, call_sid: str | None) -> str | None:
    """The language a call was last said in, to apologise in it when a turn failed; None
    when it cannot be read (the database may be what failed)."""
    if not call_sid:
        return None
    try:
        call = db.run(lambda session: session.get(CallSession, call_sid), app)
        language = (call.flow_state or {}).get("language") if call is not None else None
    except Exception:
        log.exception("call %s: its language could not be read for the apology", call_sid)
        return None
    return language if language in languages() else None


def take_turn(app: Flask, form: Mapping[str, str], turn: int, event: Event | None,
              holding: bool = False) -> str:
    """Answer one voice webhook; ``event`` is None for the call's first request.

    ``turn`` is the number of answers the caller has heard. A request for an
    older turn is a redelivery and gets the saved answer again. Two first
    deliveries racing to create the call row: the loser retries and replays.
    ``holding``: the caller holds while the payment written ahead is charged; it is
    sent to the gateway first, and its answer recorded (and what was keyed for it
    forgotten) in a transaction of its own, so nothing that fails in the turn undoes it.
    """
    started, call_sid = time.monotonic(), form["CallSid"]
    held = _send_held_payment(app, call_sid, turn) if holding else None
    if held is not None:
        db.run(lambda session: charges.record(session, *held), app)
    if event is not None and (captured := event.captured) is not None:
        # <Pay>'s charge, likewise: what Twilio did is recorded before the turn can fail.
        db.run(lambda session: _record_capture_first(session, call_sid, turn, captured), app)
    for attempt in (1, 2):
        try:
            return db.run(lambda session: _take_turn(app, session, form, (turn, started), event),
                          app)
        except IntegrityError:
            if attempt == 2:
                raise
            log.info("concurrent delivery for call %s; replaying", form.get("CallSid"))
    raise AssertionError("unreachable")


def charge_held_payment(app: Flask, call_sid: str) -> None:
    """Charge and record the payment the call is holding for, if it is (at a hang-up).

    The caller has gone, so whatever the outcome, it is texted.
    """
    held = _send_held_payment(app, call_sid)

    def record_and_forget(session: Session) -> None:
        if held is not None:
            charges.record(session, *held, late=True)
        # Whatever became of it, nothing the caller keyed outlives the call.
        card_store.delete(session, call_sid)
        charges.forget_keep_tokens(session, call_sid)

    db.run(record_and_forget, app)


def _send_held_payment(app: Flask, call_sid: str,
                       turn: int | None = None) -> tuple[int, charges.Answer] | None:
    """Send the payment the call holds for (at ``turn``, when given), with no transaction
    open; the payment's id and the gateway's answer, or None when there is none to send."""
    request = db.run(lambda session: _held_payment(app, session, call_sid, turn), app)
    if request is None:
        return None
    return request.payment_id, charges.send(services.gateway_of(app), request.stored)


def _held_payment(app: Flask, session: Session, call_sid: str,
                  turn: int | None) -> charges.Request | None:
    """The payment the call holds for (at ``turn``, when given), made ready to send."""
    call = session.get(CallSession, call_sid)
    if call is None or (turn is not None and turn != call.turn) or not call.flow_state:
        return None
    state = CallState.from_dict(call.flow_state)
    if not machine.holds_for_payment(state):
        return None
    return charges.prepare(session, state.payment_key, card_key=settings_of(app).card_key)


def _take_turn(app: Flask, session: Session, form: Mapping[str, str],
               timing: tuple[int, float], event: Event | None) -> str:
    """``timing``: the turn the request answers, and when it arrived (for the call log)."""
    (turn, started), call_sid = timing, form["CallSid"]
    call = locked_call(session, call_sid)
    if call is not None and turn != call.turn and call.last_response:
        log.info("call %s: request for turn %d at turn %d; replaying", call_sid, turn, call.turn)
        return call.last_response
    if call is not None and call.ended_at is not None:
        # The status callback already closed it: a late request gets a plain goodbye, but a
        # late <Pay> result is still what happened to the payment, and a late <Record>
        # result the message of a caller who hung up while recording.
        if event is not None and event.captured is not None:
            _record_late_capture(session, call, event.captured)
        if event is not None and event.recording is not None:
            _record_late_recording(app, session, call, event)
        language = CallState.from_dict(call.flow_state).language if call.flow_state else None
        return reply_twiml(Reply([say("end.goodbye")], end=EndKind.HANGUP), "",
                           voice_settings(app, language))
    ctx = Context(services.ports_for(app, session, call_sid), services.flow_settings(app),
                  services.agent_desk(app))
    if call is None or event is None:
        call = call or _new_call(session, form)
        state, before = CallState(call_sid=call_sid, caller=to_e164(form.get("From"))), None
        reply = machine.start(state, ctx)
    else:
        state = CallState.from_dict(call.flow_state, language=settings_of(app).language)
        held, before = machine.holds_keyed(state), state.step
        reply = machine.handle(state, event, ctx)
        if held and not machine.holds_keyed(state):
            # The caller moved on from the card or account keyed (cancelled, went back,
            # chose another way): it goes with this turn.
            card_store.delete(session, call_sid)
    twiml = _save_turn(app, session, call, state, reply)
    record_turn(session, call, before, event, state, reply, started)
    return twiml


def locked_call(session: Session, call_sid: str) -> CallSession | None:
    """The call's row, locked to the end of the transaction (SELECT ... FOR UPDATE), if any."""
    return session.scalars(_LOCKED_CALL, {"call_sid": call_sid}).one_or_none()


def _record_capture_first(session: Session, call_sid: str, turn: int,
                          report: CaptureReport) -> None:
    """Record <Pay>'s result for the payment the call wrote ahead for it, if this is the
    turn that waits for it (a redelivery for an older turn changes nothing)."""
    call = locked_call(session, call_sid)
    if call is None or call.turn != turn or call.ended_at is not None or not call.flow_state:
        return
    state = CallState.from_dict(call.flow_state)
    payment = session.scalar(select(Payment).where(Payment.idempotency_key == state.payment_key))
    if machine.awaits_capture(state) and payment is not None and payment.twilio_pay:
        record_capture(session, payment, report.ledger_result())


def _record_late_capture(session: Session, call: CallSession, report: CaptureReport) -> None:
    """A <Pay> result that arrives after the call was closed: record it (and text it)."""
    state = CallState.from_dict(call.flow_state)
    payment = session.scalar(select(Payment).where(Payment.idempotency_key == state.payment_key))
    if machine.awaits_capture(state) and payment is not None:
        record_capture(session, payment, report.ledger_result(), late=True)


def _record_late_recording(app: Flask, session: Session, call: CallSession,
                           event: Event) -> None:
    """A message reported after the call was closed: the flow opens its case (and texts it),
    as it would have on the call; what it would say goes unheard."""
    state = CallState.from_dict(call.flow_state)
    if not machine.awaits_recording(state):
        return
    ctx = Context(services.ports_for(app, session, call.call_sid), services.flow_settings(app))
    machine.handle(state, event, ctx)
    call.flow_state = state.to_dict()
    flag_modified(call, "flow_state")
    call.state = str(state.step)


def _new_call(session: Session, form: Mapping[str, str]) -> CallSession:
    call = CallSession(call_sid=form["CallSid"], from_number=form.get("From"),
                       to_number=form.get("To"), state="new", flow_state={}, turn=0)
    session.add(call)
    session.flush()  # a concurrent first delivery fails here, not at commit
    return call


def _save_turn(app: Flask, session: Session, call: CallSession, state: CallState,
               reply: Reply) -> str:
    """Save the call's state and the answer (replayed to a redelivery) with the turn counted;
    the answer's TwiML."""
    turn = call.turn + 1
    # A transfer rings the agent with the call's facts as they stand at this turn.
    handoff = agent.handoff(app, session, state, turn) if reply.end is EndKind.TRANSFER else None
    twiml = reply_twiml(reply, url_for("voice.turn", t=turn),
                        voice_settings(app, state.language), handoff)
    saved = {"turn": turn, "flow_state": state.to_dict(), "state": str(state.step),
             "account_id": state.account_id, "last_response": twiml, "updated_at": utcnow()}
    # One UPDATE of the row locked for the turn, written as it is: the unit of work would
    # compare each column of the object to arrive at the same statement.
    session.execute(_SAVE_CALL, {"saved_sid": call.call_sid, **saved})
    for name, value in saved.items():  # the object as the row now is, with nothing to flush
        set_committed_value(call, name, value)
    return twiml


def close_call(app: Flask, form: Mapping[str, str]) -> None:
    """Record a status callback: final status and duration; drop any payment tokens.

    Whatever the callback says is cut or clamped to what the columns hold, so an odd
    status or duration never leaves the call unclosed (its payment details kept).
    """
    db.run(lambda session: _close_call(session, form), app)


def _close_call(session: Session, form: Mapping[str, str]) -> None:
    call_sid = form["CallSid"]
    ids = {name: (form.get(name) or "")[:CallSession.CALLER_ID_LENGTH] or None
           for name in ("From", "To")}
    call = locked_call(session, call_sid)
    if call is None:
        call = _new_call(session, {"CallSid": call_sid, **{k: v for k, v in ids.items() if v}})
        call.state = "never_answered"
    if call.flow_state:
        state = CallState.from_dict(call.flow_state)
        if not machine.holds_for_payment(state):
            card_store.delete(session, call_sid)  # held: charged next, then deleted
        state.forget_payment_details()
        call.flow_state = state.to_dict()
    charges.forget_keep_tokens(session, call_sid)
    call.call_status = (form.get("CallStatus") or "")[:CallSession.CALL_STATUS_LENGTH] or None
    call.duration_seconds = _int_or_none(form.get("CallDuration"))
    call.ended_at = utcnow()


def forget_keyed(app: Flask, call_sid: str) -> None:
    """After a turn failed: nothing the caller keyed is kept for a call that may not go on."""
    db.run(lambda session: card_store.delete(session, call_sid), app)


def _int_or_none(raw: str | None) -> int | None:
    """A whole number of seconds as an INTEGER column holds it: 0 to 2**31 - 1, or None.

    A fraction is dropped, a negative becomes 0 and a huge number the largest; anything
    that is not a number (or NaN) is None. float() also reads "12.5" and "1e3".
    """
    try:
        seconds = float(raw) if raw else None
    except ValueError:
        return None
    if seconds is None or seconds != seconds:  # NaN is the one value unequal to itself
        return None
    return int(min(max(seconds, 0.0), 2.0**31 - 1))
