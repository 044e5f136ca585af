"""hardening: caller and called IDs up to 255 characters; refused webhooks counted per hour

Revision ID: 0002_hardening
Revises: 0001
Create Date: 2026-11-26 12:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

import models.base

revision = "0002_hardening"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # SIP URIs as From/To ("sip:alice@example.com;transport=tls") do not fit 32 characters.
    with op.batch_alter_table("call_sessions", schema=None) as batch_op:
        for column in ("from_number", "to_number"):
            batch_op.alter_column(column, existing_type=sa.String(length=32),
                                  type_=sa.String(length=255), existing_nullable=True)

    op.create_table(
        "webhook_refusals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hour_start", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("refusals", sa.Integer(), nullable=False),
        sa.Column("last_origin", sa.String(length=100), nullable=True),
        sa.Column("last_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('unsigned', 'forged')", name=op.f("ck_webhook_refusals_kind_known")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_refusals")),
        sa.UniqueConstraint("hour_start", "kind", name=op.f("uq_webhook_refusals_hour_start")),
    )


def downgrade() -> None:
    op.drop_table("webhook_refusals")
    # Fails on PostgreSQL while a row holds a longer caller ID; shorten or delete those first.
    with op.batch_alter_table("call_sessions", schema=None) as batch_op:
        for column in ("from_number", "to_number"):
            batch_op.alter_column(column, existing_type=sa.String(length=255),
                                  type_=sa.String(length=32), existing_nullable=True)
