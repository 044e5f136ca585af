"""callback requests: callers who could not reach an agent ask to be called back

Revision ID: 0012_callback_requests
Revises: 0011_disputes
"""

import sqlalchemy as sa
from alembic import op

import models.base

revision = "0012_callback_requests"
down_revision = "0011_disputes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "callback_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_sid", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("verified", sa.Boolean(), nullable=False),
        sa.Column("phone", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("done_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('open', 'done')",
                           name=op.f("ck_callback_requests_status_known")),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"],
                                name=op.f("fk_callback_requests_account_id_accounts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_callback_requests")),
        sa.UniqueConstraint("call_sid", name=op.f("uq_callback_requests_call_sid")),
    )
    with op.batch_alter_table("callback_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_callback_requests_account_id"), ["account_id"],
                              unique=False)
        batch_op.create_index(batch_op.f("ix_callback_requests_created_at"), ["created_at"],
                              unique=False)
        batch_op.create_index(batch_op.f("ix_callback_requests_status"), ["status"],
                              unique=False)


def downgrade() -> None:
    op.drop_table("callback_requests")
