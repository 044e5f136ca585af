"""What a turn and each batch job ask of the database, done on the scale database.

Each scenario calls the real code (the ports a turn uses, the batch jobs, the operator's
commands) against the generated line of :mod:`tests.scale_data`, under a name, while a
:class:`~tests.query_plans.PlanRecorder` explains every statement it sends. Everything runs
in one transaction the test rolls back: the scale database is left as it was built.

The jobs would work through thousands of rows; they charge through :class:`ScaleGateway`,
which lets a few charges through and then stops the job (:class:`Enough`), so each job's
statements are all seen without doing its whole day's work. Their queues are read further
with the jobs' own batch queries (the second and later batches read after a key).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection
from sqlalchemy.orm import Session, sessionmaker

from flows.ports import CardPart, PaymentOrder, PaymentSource
from flows.recording import RecordingReport
from ivr.db import SessionFactory, transaction
from ivr.ops.call_log import find_call, prune_call_log
from ivr.ops.callbacks import mark_done
from ivr.ops.dispute_cases import close_case
from ivr.ops.housekeeping import PRUNE_PER_RUN, expire_card_entries, forget_abandoned_calls
from ivr.payments import charges
from ivr.payments.batches import BATCH, each_row
from ivr.payments.gateways.base import GatewayCharge, Settlement
from ivr.payments.gateways.sandbox import SandboxGateway
from ivr.payments.reconcile import in_doubt, reconcile, resolve_by_hand
from ivr.payments.scheduled import AUTOPAY_BATCH, autopay_accounts, due_payments, run_scheduled
from ivr.payments.settlement import pending_to_settle, settle_pending, settled_to_recheck
from ivr.ports.database import DatabasePorts
from ivr.ports.disputes import RecordingStatus, record_status
from ivr.ports.handover import call_facts
from ivr.security.audit import unlock_account
from ivr.security.refusals import count_refusal
from ivr.settings_values import CALL_LOG_DAYS
from ivr.sms.delivery import record_delivery
from ivr.sms.outbox import drain_outbox
from tests import scale_data
from tests.query_plans import PlanRecorder
from tests.scale_data import (
    EMPTY_ACCOUNT,
    HEAVY_ACCOUNT,
    ORDINARY_ACCOUNT,
    account_number,
    call_sid,
    phone_number,
)

ZONE = ZoneInfo("America/New_York")
PAYING_HEAVY_ACCOUNT = 10  # 2,000 payments, a card on file, nothing in flight
FIRST_SCHEDULED = scale_data.PAYMENTS - scale_data.SPECIAL_PAYMENTS + 1  # due today, account 1
KEPT_TOKEN = "keep_101"  # an approved payment of a call in progress, account 304101
KEPT_ACCOUNT = 1000 + 101 * 3001
CHARGES_LET_THROUGH = 20  # charges (or lookups) a job makes before it is stopped


class Enough(BaseException):
    """Stops a batch job once it has shown its statements (not an Exception: the jobs catch
    those and go on)."""


class ScaleGateway(SandboxGateway):
    """The sandbox, answering the generated payments: lets :data:`CHARGES_LET_THROUGH` charges,
    lookups or late-return checks through, then stops the job. Pending debits settle for the
    first few asked, and stay pending after (quickly, with nothing to write)."""

    def __init__(self) -> None:
        super().__init__(None)
        self.left = CHARGES_LET_THROUGH
        self.to_settle = CHARGES_LET_THROUGH

    def _spend(self) -> None:
        if self.left <= 0:
            raise Enough
        self.left -= 1

    def charge_saved(self, kind: str, token: str, amount_cents: int, idempotency_key: str,
                     description: str) -> GatewayCharge:
        """Approved (a bank debit pending), until the job is stopped."""
        self._spend()
        return GatewayCharge(approved=True, reference=f"ch_scale_{idempotency_key}",
                             pending=kind == "bank")

    def keep(self, kind: str, reusable: str) -> str:
        """A token of a payment kept on file as it is."""
        return reusable

    def find_charge(self, idempotency_key: str,
                    since: datetime | None = None) -> GatewayCharge | None:
        """Nothing was charged, until the job is stopped."""
        self._spend()
        return None

    def settlement(self, reference: str) -> Settlement:
        """A pending debit settles (the first few) or stays pending; a settled one is checked
        for a late return (until the job is stopped)."""
        if reference.startswith("ach_p_"):
            self.to_settle -= 1
            return Settlement("settled" if self.to_settle >= 0 else "pending")
        self._spend()
        return Settlement("settled")


class TextBackend:
    """An SMS provider that takes every text."""

    def __init__(self) -> None:
        self.sent = 0

    def send(self, to: str, body: str) -> str:
        """A message SID for each text."""
        self.sent += 1
        return f"SMscale{self.sent:08d}"


class Scenarios:
    """The scenarios, on ``connection`` (its transaction is the test's to roll back)."""

    def __init__(self, connection: Connection, recorder: PlanRecorder, now: datetime,
                 built_at: datetime) -> None:
        self.recorder = recorder
        self.now = now
        # The payments were scheduled from the build's date on: a thirty-first are due on it,
        # and a run the day before has only AutoPay to do.
        self.due_day = built_at.date()
        self.before_scheduled = self.due_day - timedelta(days=1)
        self.sessions: SessionFactory = sessionmaker(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)

    @contextmanager
    def ports(self, name: str, origin: str | None = None) -> Iterator[DatabasePorts]:
        """The ports of one turn's transaction, explained under ``name``."""
        with self.recorder.named(name), transaction(self.sessions) as session:
            yield DatabasePorts(session, ScaleGateway(), ZONE, b"k" * 32, origin=origin)

    @contextmanager
    def session(self, name: str) -> Iterator[Session]:
        """One transaction, explained under ``name``."""
        with self.recorder.named(name), transaction(self.sessions) as session:
            yield session

    def job(self, name: str, run: Callable[[], Any]) -> None:
        """Run a batch job under ``name`` until it ends or :class:`Enough` stops it."""
        with self.recorder.named(name), suppress(Enough):
            run()

    def queue(self, name: str, batch: Callable[[Any], Any], size: int = BATCH,
              batches: int = 3) -> None:
        """Read a job's queue with its own batch query, ``batches`` batches at most."""
        with self.recorder.named(name):
            for _ in itertools.islice(each_row(self.sessions, batch, size), batches * size):
                pass

    def all(self) -> None:
        """Every scenario, turns first."""
        self.turns()
        self.paying()
        self.calls_and_texts()
        self.jobs()
        self.operators()

    def turns(self) -> None:
        """What a caller's turns read: who is calling, the account, the PIN, the history."""
        with self.ports("caller ID: accounts of this number") as ports:
            ports.accounts_for_phone(phone_number(ORDINARY_ACCOUNT))
            ports.accounts_for_phone("+15555550123")
        with self.ports("account number keyed, caller ID withheld") as ports:
            ports.find_account(account_number(HEAVY_ACCOUNT), caller=None)
            ports.find_account("99999999", caller=phone_number(ORDINARY_ACCOUNT))
        with self.ports("wrong PIN, caller ID withheld") as ports:
            ports.check_pin(HEAVY_ACCOUNT, "0000", caller=None)
        for label, account in (("2,000 payments", HEAVY_ACCOUNT), ("none", EMPTY_ACCOUNT),
                               ("a few", ORDINARY_ACCOUNT)):
            with self.ports(f"balance and history of a caller with {label}") as ports:
                ports.get_account(account)
                ports.recent_payments(account, 3)
                ports.scheduled_payments(account)
                ports.saved_methods(account)
                ports.autopay_method(account)

    def paying(self) -> None:
        """A payment with a card on file: written ahead, charged, its result; and the rest."""
        key = "scale-pay-1"
        source = PaymentSource(kind="saved", label="Visa", last4="0010",
                               saved_id=PAYING_HEAVY_ACCOUNT, saved_kind="card")
        order = PaymentOrder(account_id=PAYING_HEAVY_ACCOUNT, amount_cents=1000, fee_cents=0,
                             source=source, idempotency_key=key, call_sid=call_sid(11),
                             notify_number=phone_number(PAYING_HEAVY_ACCOUNT))
        with self.ports("a payment written ahead (2,000 payments)", call_sid(11)) as ports:
            ports.open_payment(order)
        with self.recorder.named("the payment charged, before the next turn"):
            charges.charge(self.sessions, ScaleGateway(), key)
        with self.ports("the payment's result", call_sid(11)) as ports:
            ports.payment_result(key)
        with self.ports("keep the card just paid with", call_sid(100)) as ports:
            ports.save_method(KEPT_ACCOUNT, PaymentSource(kind="card", label="Visa",
                                                          last4="4242", token=KEPT_TOKEN))
        with self.ports("cancel a scheduled payment") as ports:
            ports.cancel_scheduled(HEAVY_ACCOUNT, FIRST_SCHEDULED)
        with self.ports("AutoPay turned on") as ports:
            ports.set_autopay(PAYING_HEAVY_ACCOUNT, PAYING_HEAVY_ACCOUNT)
        with self.ports("a card keyed", call_sid(12)) as ports:
            ports.hold_card_part(call_sid(12), CardPart.NUMBER, "4242424242424242")
            ports.hold_card_part(call_sid(12), CardPart.EXPIRY, "1229")

    def calls_and_texts(self) -> None:
        """Callbacks, disputes, an agent's handover, Twilio's reports, refused webhooks."""
        with self.ports("a callback requested", call_sid(13)) as ports:
            ports.request_callback(ORDINARY_ACCOUNT, phone_number(ORDINARY_ACCOUNT),
                                   call_sid(13), verified=True)
        with self.ports("a dispute opened", call_sid(14)) as ports:
            ports.open_dispute(ORDINARY_ACCOUNT, call_sid(14),
                               RecordingReport("REscale1", "https://example.com/r", 40),
                               phone_number(ORDINARY_ACCOUNT), "en-US")
        with self.session("a recording's status reported") as session:
            record_status(session, RecordingStatus(call_sid(7), "REscale2", "completed",
                                                   "https://example.com/r", 40))
        with self.session("what an agent is told of a call") as session:
            call_facts(session, call_sid(5))
        with self.session("a text's delivery reported") as session:
            record_delivery(session, "SM5", "delivered")
        with self.session("a refused webhook counted") as session:
            count_refusal(session, "unsigned", "203.0.113.9", self.now)

    def jobs(self) -> None:
        """The batch jobs, and their queues read a few batches on."""
        self.job("scheduled run: payments due today",
                 lambda: run_scheduled(self.sessions, ScaleGateway(), self.due_day, self.now,
                                       ZONE))
        self.job("scheduled run: AutoPay due",
                 lambda: run_scheduled(self.sessions, ScaleGateway(), self.before_scheduled,
                                       self.now, ZONE))
        self.queue("scheduled run: the due queue read on",
                   lambda after: due_payments(self.due_day, after))
        self.queue("scheduled run: the AutoPay queue read on",
                   lambda after: autopay_accounts(self.due_day, after), AUTOPAY_BATCH)
        self.job("reconcile", lambda: reconcile(self.sessions, ScaleGateway(), self.now))
        self.queue("reconcile: the queue read on", lambda after: in_doubt(self.now, after))
        self.job("settlement", lambda: settle_pending(self.sessions, ScaleGateway(), self.now))
        self.queue("settlement: the pending queue read on", pending_to_settle)
        self.queue("settlement: the late-return queue read on",
                   lambda after: settled_to_recheck(self.now, after))
        self.job("SMS outbox drained",
                 lambda: drain_outbox(self.sessions, TextBackend(), self.now))
        self.job("housekeeping: abandoned calls",
                 lambda: forget_abandoned_calls(self.sessions, self.now))
        self.job("housekeeping: card entries expired",
                 lambda: expire_card_entries(self.sessions, self.now))
        self.job("housekeeping: call log pruned",
                 lambda: prune_call_log(self.sessions, CALL_LOG_DAYS, self.now,
                                        most=PRUNE_PER_RUN))

    def operators(self) -> None:
        """The operators' commands that look one thing up."""
        with self.session("ivr accounts unlock") as session:
            unlock_account(session, account_number(HEAVY_ACCOUNT))
        with self.session("ivr callbacks done") as session:
            mark_done(session, call_sid(50_010))
        with self.session("ivr disputes close") as session:
            close_case(session, "10000015")
        with self.session("ivr calls show") as session:
            find_call(session, call_sid(9))
        self.job("ivr payments resolve",
                 lambda: resolve_by_hand(self.sessions, "flight-50", "ch_resolved", self.now))
