"""Dispute cases: opened for a caller's recorded message, completed by Twilio's reports.

Twilio reports a ``<Record>`` twice, in no promised order: to the action URL (the call's
next turn, where the flow opens the case through :meth:`DisputePortsMixin.open_dispute`)
and to the recording status callback (:func:`record_status`), which carries the final URL
and length. Whichever comes first opens the case, the other finds it by the recording's
SID; either may be delivered twice. The case number is texted once, from the call's turn,
in the call's language.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from flows import machine
from flows.recording import MIN_MESSAGE_SECONDS, DisputeCase, RecordingReport
from flows.speech import render, say
from flows.state import CallState
from ivr.db import locked
from ivr.ports.base import PortBase
from ivr.security.audit import caller_actor, record
from ivr.sms.notices import notice_to
from ivr.sms.outbox import queue_text
from models import Account, CallSession, Dispute, utcnow
from models.dispute import OPEN

log = logging.getLogger(__name__)

COMPLETED = "completed"
# A recording's final statuses (Twilio also reports "in-progress", which changes nothing).
FINAL_STATUSES = frozenset({COMPLETED, "absent", "failed"})
OPENED = "dispute_open"


@dataclass(frozen=True)
class RecordingStatus:
    """What Twilio's recording status callback said: which recording, of which call, its
    status, and (once completed) where it is and how long it is after trimming."""

    call_sid: str
    recording_sid: str
    status: str
    url: str = ""
    duration_seconds: int | None = None


class DisputePortsMixin(PortBase):
    """The flow's port for opening a case."""

    def open_dispute(self, account_id: int, call_sid: str, recording: RecordingReport,
                     notify_number: str | None, language: str) -> DisputeCase:
        """Open the case for ``recording`` (or find the one its status callback opened), fill
        what the status callback has not, and text its number once."""
        case = _case_of(self.session, recording.sid)
        if case is None:
            case = open_case(self.session, account_id, call_sid, recording.sid,
                             caller_actor(notify_number))
        elif (case.call_sid, case.account_id) != (call_sid, account_id):
            raise PermissionError(f"recording {recording.sid} belongs to another call's case")
        if case.recording_url is None and recording.url:
            case.recording_url = recording.url[:Dispute.URL_LENGTH]
        if case.recording_duration is None:
            case.recording_duration = recording.duration_seconds
        texted = self._text_case(case, notify_number, language)
        self.session.flush()
        return DisputeCase(case.case_number, texted)

    def _text_case(self, case: Dispute, notify_number: str | None, language: str) -> bool:
        """Queue the case number by text (to the number that called, else the account's), once;
        whether it was (now or before)."""
        if case.texted_at is not None:
            return True
        account = self.session.get_one(Account, case.account_id)
        to = notice_to(notify_number, account)
        if to is None:
            return False
        body = render(say("sms.dispute_opened", account_last4=account.account_number[-4:],
                          number=case.case_number), language)
        queue_text(self.session, to, body)
        case.texted_at = utcnow()
        return True


def new_case_number(session: Session) -> str:
    """A random 8-digit case number no case has (never starting with 0: a spreadsheet would
    drop it). Random, so one number tells nothing of another or of how many there are."""
    for _ in range(20):
        number = str(10**7 + secrets.randbelow(9 * 10**7))
        if session.scalar(select(Dispute.id).where(Dispute.case_number == number)) is None:
            return number
    raise RuntimeError("no free dispute case number after 20 tries")


def open_case(session: Session, account_id: int, call_sid: str, recording_sid: str,
              actor: str) -> Dispute:
    """A new open case for a recording; audited as the caller's."""
    case = Dispute(case_number=new_case_number(session), account_id=account_id,
                   call_sid=call_sid, recording_sid=recording_sid, status=OPEN,
                   created_at=utcnow())
    session.add(case)
    record(session, actor, OPENED, "ok", account_id=account_id, origin=call_sid,
           detail=f"case {case.case_number}")
    return case


def record_status(session: Session, report: RecordingStatus) -> bool:
    """Record what Twilio's recording status callback says; False when it is about no call or
    recording of ours (nothing is stored then).

    Delivered twice, or after the call's turn already opened the case, it changes nothing
    more; delivered before that turn, it opens the case, provided the call is waiting for a
    message and this one is long enough to be one.
    """
    # The call's row first, as its turns lock it: a report and the turn opening the case
    # wait for one another.
    call = session.scalars(locked(select(CallSession).where(
        CallSession.call_sid == report.call_sid))).one_or_none()
    if call is None:
        return False
    case = _case_of(session, report.recording_sid)
    if case is None:
        case = _open_before_turn(session, call, report)
    if case is None or case.call_sid != report.call_sid:
        return False
    _apply(case, report)
    return True


def _case_of(session: Session, recording_sid: str) -> Dispute | None:
    """The case of a recording, locked."""
    return session.scalars(locked(select(Dispute).where(
        Dispute.recording_sid == recording_sid))).one_or_none()


def _open_before_turn(session: Session, call: CallSession,
                      report: RecordingStatus) -> Dispute | None:
    """The case, when a completed message of a call still waiting for it arrives first."""
    if not call.flow_state or report.status != COMPLETED or \
            (report.duration_seconds or 0) < MIN_MESSAGE_SECONDS:
        return None
    state = CallState.from_dict(call.flow_state)
    if not (machine.awaits_recording(state) and state.verified and state.account_id):
        return None
    return open_case(session, state.account_id, call.call_sid, report.recording_sid,
                     caller_actor(state.caller))


def _apply(case: Dispute, report: RecordingStatus) -> None:
    """A final status, once; a completed recording's URL and trimmed length."""
    if report.status not in FINAL_STATUSES:
        return
    if case.recording_status is not None and case.recording_status != report.status:
        log.warning("recording %s reported %s after %s; kept %s", report.recording_sid,
                    report.status, case.recording_status, case.recording_status)
        return
    case.recording_status = report.status
    if report.status == COMPLETED:
        case.recording_url = report.url[:Dispute.URL_LENGTH] or case.recording_url
        if report.duration_seconds is not None:
            case.recording_duration = report.duration_seconds
