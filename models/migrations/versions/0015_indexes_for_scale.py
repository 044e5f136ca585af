"""indexes for a million accounts and ten million payments; settled debits watched by due time

Every query a webhook turn or a batch job makes finds its rows by an index that reads no more
than it returns (tests/models/test_query_plans.py holds it to that on a generated dataset):

- payments: an account's payments newest first (its history, its last day's declines), an
  account's open payments (held amounts, scheduled payments), the batch jobs' queues: the
  payments not yet settled in id order, the scheduled ones by due date (the last three
  partial: thousands of rows, not millions). They replace the indexes on account_id, status
  and scheduled_for. A settled bank debit's next late-return check,
  ``returns_recheck_at``, replaces the index on ``settled_at``: only the debits still watched
  are in it. A token to keep a method on file, while its call lasts.
- accounts by due date (AutoPay), audit events by actor and kind (the caller throttle), calls
  not ended (housekeeping), card entries by age, the SMS outbox by status and due time.

Revision ID: 0015_indexes_for_scale
Revises: 0014_call_turns
"""

from datetime import timedelta

import sqlalchemy as sa
from alembic import op

import models.base
from models.base import utcnow

revision = "0015_indexes_for_scale"
down_revision = "0014_call_turns"
branch_labels = None
depends_on = None

RECHECK_NOT_NULL = sa.text("returns_recheck_at IS NOT NULL")
KEEP_NOT_NULL = sa.text("keep_token IS NOT NULL")
OPEN_CALL = sa.text("ended_at IS NULL")
# models.payment's OPEN, UNSETTLED and SCHEDULED_ONLY when this was written
OPEN = sa.text("status IN ('scheduled', 'processing', 'unknown')")
UNSETTLED = sa.text("status IN ('pending', 'processing', 'unknown')")
SCHEDULED_ONLY = sa.text("status = 'scheduled'")
LATE_RETURNS = timedelta(days=65)  # ivr.payments.settlement.LATE_RETURNS when this was written
RECHECK = timedelta(days=1)  # ivr.payments.settlement.RECHECK


def upgrade() -> None:
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("returns_recheck_at",
                                      models.base.UTCDateTime(timezone=True), nullable=True))
    _watch_settled_debits()
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_index("ix_payments_account_id")
        batch_op.drop_index("ix_payments_status")
        batch_op.drop_index("ix_payments_scheduled_for")
        batch_op.drop_index("ix_payments_settled_at")
        batch_op.create_index("ix_payments_account_id_created_at", ["account_id", "created_at"])
        batch_op.create_index("ix_payments_account_id_open", ["account_id", "status"],
                              sqlite_where=OPEN, postgresql_where=OPEN)
        batch_op.create_index("ix_payments_unsettled", ["status", "id"],
                              sqlite_where=UNSETTLED, postgresql_where=UNSETTLED)
        batch_op.create_index("ix_payments_due", ["scheduled_for", "id"],
                              sqlite_where=SCHEDULED_ONLY, postgresql_where=SCHEDULED_ONLY)
        batch_op.create_index("ix_payments_returns_recheck_at", ["returns_recheck_at", "id"],
                              sqlite_where=RECHECK_NOT_NULL, postgresql_where=RECHECK_NOT_NULL)
        batch_op.create_index("ix_payments_keep_token", ["keep_token"],
                              sqlite_where=KEEP_NOT_NULL, postgresql_where=KEEP_NOT_NULL)
    op.create_index("ix_accounts_due_date_id", "accounts", ["due_date", "id"])
    op.drop_index("ix_audit_events_actor_at", table_name="audit_events")
    op.create_index("ix_audit_events_actor_action_outcome_at", "audit_events",
                    ["actor", "action", "outcome", "at"])
    op.create_index("ix_call_sessions_open_updated_at", "call_sessions", ["updated_at"],
                    sqlite_where=OPEN_CALL, postgresql_where=OPEN_CALL)
    op.create_index("ix_card_entries_created_at", "card_entries", ["created_at"])
    op.drop_index("ix_sms_outbox_status", table_name="sms_outbox")
    op.create_index("ix_sms_outbox_status_next_attempt_at", "sms_outbox",
                    ["status", "next_attempt_at", "id"])


def _watch_settled_debits() -> None:
    """Settled bank debits still within the window for late returns are next asked about a
    day after they last were (at once, if never), as settlement would have asked them."""
    payments = sa.table("payments", sa.column("id", sa.Integer()),
                        sa.column("status", sa.String()), sa.column("method", sa.String()),
                        sa.column("gateway_reference", sa.String()),
                        sa.column("settled_at", models.base.UTCDateTime()),
                        sa.column("returns_checked_at", models.base.UTCDateTime()),
                        sa.column("returns_recheck_at", models.base.UTCDateTime()))
    watched = (payments.c.status == "approved", payments.c.method.in_(("bank", "saved_bank")),
               payments.c.gateway_reference.is_not(None),
               payments.c.settled_at >= utcnow() - LATE_RETURNS)
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":  # weeks of debits on a large line: one statement
        day_after = sa.literal_column("returns_checked_at + interval '1 day'",  # RECHECK
                                      models.base.UTCDateTime())
        bind.execute(sa.update(payments).where(*watched).values(
            returns_recheck_at=sa.func.coalesce(day_after, payments.c.settled_at)))
        return
    rows = bind.execute(sa.select(payments.c.id, payments.c.settled_at,
                                  payments.c.returns_checked_at).where(*watched)).all()
    for row in rows:  # SQLite has no interval arithmetic on these columns: one row at a time
        due = row.settled_at if row.returns_checked_at is None else \
            row.returns_checked_at + RECHECK
        bind.execute(sa.update(payments).where(payments.c.id == row.id)
                     .values(returns_recheck_at=due))


def downgrade() -> None:
    op.drop_index("ix_sms_outbox_status_next_attempt_at", table_name="sms_outbox")
    op.create_index("ix_sms_outbox_status", "sms_outbox", ["status"])
    op.drop_index("ix_card_entries_created_at", table_name="card_entries")
    op.drop_index("ix_call_sessions_open_updated_at", table_name="call_sessions")
    op.drop_index("ix_audit_events_actor_action_outcome_at", table_name="audit_events")
    op.create_index("ix_audit_events_actor_at", "audit_events", ["actor", "at"])
    op.drop_index("ix_accounts_due_date_id", table_name="accounts")
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_index("ix_payments_keep_token")
        batch_op.drop_index("ix_payments_returns_recheck_at")
        batch_op.drop_index("ix_payments_due")
        batch_op.drop_index("ix_payments_unsettled")
        batch_op.drop_index("ix_payments_account_id_open")
        batch_op.drop_index("ix_payments_account_id_created_at")
        batch_op.create_index("ix_payments_settled_at", ["settled_at"])
        batch_op.create_index("ix_payments_scheduled_for", ["scheduled_for"])
        batch_op.create_index("ix_payments_status", ["status"])
        batch_op.create_index("ix_payments_account_id", ["account_id"])
        batch_op.drop_column("returns_recheck_at")
