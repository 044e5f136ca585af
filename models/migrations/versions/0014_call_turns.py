"""call turns: the call log, one row per answered webhook turn

Revision ID: 0014_call_turns
Revises: 0013_account_language
"""

import sqlalchemy as sa
from alembic import op

import models.base

revision = "0014_call_turns"
down_revision = "0013_account_language"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "call_turns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_sid", sa.String(length=64), nullable=False),
        sa.Column("turn", sa.Integer(), nullable=False),
        sa.Column("step_before", sa.String(length=40), nullable=True),
        sa.Column("step_after", sa.String(length=40), nullable=False),
        sa.Column("moved", sa.JSON(), nullable=False),
        sa.Column("option", sa.String(length=80), nullable=True),
        sa.Column("input_kind", sa.String(length=16), nullable=False),
        sa.Column("entry", sa.String(length=120), nullable=True),
        sa.Column("prompts", sa.JSON(), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=True),
        sa.Column("response_ms", sa.Integer(), nullable=False),
        sa.Column("worker", sa.String(length=80), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["call_sid"], ["call_sessions.call_sid"],
                                name=op.f("fk_call_turns_call_sid_call_sessions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_turns")),
        sa.UniqueConstraint("call_sid", "turn", name=op.f("uq_call_turns_call_sid")),
    )
    with op.batch_alter_table("call_turns", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_call_turns_created_at"), ["created_at"],
                              unique=False)


def downgrade() -> None:
    op.drop_table("call_turns")
