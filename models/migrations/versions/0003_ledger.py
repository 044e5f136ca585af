"""the ledger: credits below zero, a failed status, write-ahead age, the sandbox's record

Revision ID: 0003_ledger
Revises: 0002_hardening
"""

import sqlalchemy as sa
from alembic import op

import models.base

revision = "0003_ledger"
down_revision = "0002_hardening"
branch_labels = None
depends_on = None

OLD_STATUSES = ("'approved', 'declined', 'pending', 'scheduled', 'processing', 'cancelled', "
                "'returned', 'unknown'")
NEW_STATUSES = OLD_STATUSES + ", 'failed'"


def upgrade() -> None:
    # An overpayment is a credit: the balance may go below zero.
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_accounts_balance_not_negative"), type_="check")
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("processing_since", models.base.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column("twilio_pay", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column("send_attempts", sa.Integer(), nullable=False,
                                      server_default="0"))
        batch_op.drop_constraint(batch_op.f("ck_payments_status_known"), type_="check")
        batch_op.create_check_constraint(batch_op.f("ck_payments_status_known"),
                                         f"status IN ({NEW_STATUSES})")
    op.create_table(
        "sandbox_charges",
        sa.Column("idempotency_key", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("token", sa.String(length=200), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("approved", sa.Boolean(), nullable=False),
        sa.Column("pending", sa.Boolean(), nullable=False),
        sa.Column("decline_reason", sa.String(length=40), nullable=True),
        sa.Column("reference", sa.String(length=100), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("idempotency_key", name=op.f("pk_sandbox_charges")),
    )


def downgrade() -> None:
    op.drop_table("sandbox_charges")
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_payments_status_known"), type_="check")
        batch_op.create_check_constraint(batch_op.f("ck_payments_status_known"),
                                         f"status IN ({OLD_STATUSES})")
        batch_op.drop_column("send_attempts")
        batch_op.drop_column("twilio_pay")
        batch_op.drop_column("processing_since")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.create_check_constraint(batch_op.f("ck_accounts_balance_not_negative"),
                                         "balance_cents >= 0")
