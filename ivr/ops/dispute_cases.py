"""Dispute cases for operators: the CSV export, and closing a case (audited)."""

from __future__ import annotations

import re
from typing import TextIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.db import locked
from ivr.ops.exports import SafeCsvWriter, format_timestamp
from ivr.security.audit import OPERATOR, operator_origin, record
from models import Account, Dispute, utcnow
from models.dispute import CLOSED

DISPUTE_COLUMNS = ("account_number", "case_number", "recording_sid", "recording_url",
                   "duration_seconds", "created_at", "status", "recording_status", "closed_at")
ALREADY_CLOSED = "already_closed"
CASE_NUMBER = re.compile(r"[0-9]{8}")
_BATCH = 500


def export_disputes_csv(session: Session, out: TextIO) -> int:
    """Write every dispute case as CSV to ``out``, oldest first; return the number of rows.

    ``duration_seconds`` is the recording's length (trimmed of silence once Twilio has said
    so); ``recording_status`` is Twilio's last word on the recording (empty until then).
    """
    writer = SafeCsvWriter(out)
    writer.writerow(DISPUTE_COLUMNS)
    query = (select(Dispute, Account.account_number)
             .join(Account, Dispute.account_id == Account.id)
             .order_by(Dispute.created_at, Dispute.id)
             .execution_options(yield_per=_BATCH))
    count = 0
    for case, account_number in session.execute(query):
        duration = case.recording_duration
        writer.writerow((account_number, case.case_number, case.recording_sid,
                         case.recording_url or "", "" if duration is None else duration,
                         format_timestamp(case.created_at), case.status,
                         case.recording_status or "", format_timestamp(case.closed_at)))
        count += 1
    return count


def close_case(session: Session, case_number: str) -> str | None:
    """Close a case; audit it. ``"closed"``, ``"already_closed"``, or None: no such case."""
    if not CASE_NUMBER.fullmatch(case_number):
        return None
    case = session.scalars(locked(select(Dispute).where(
        Dispute.case_number == case_number))).one_or_none()
    if case is None:
        return None
    outcome = ALREADY_CLOSED if case.status == CLOSED else CLOSED
    if outcome == CLOSED:
        case.status, case.closed_at = CLOSED, utcnow()
    record(session, OPERATOR, "dispute_close", outcome, account_id=case.account_id,
           origin=operator_origin(), detail=f"case {case_number}")
    return outcome
