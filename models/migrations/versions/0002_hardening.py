"""hardening: caller and called IDs up to 255 characters

Revision ID: 0002_hardening
Revises: 0001
Create Date: 2026-11-26 12:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

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


def downgrade() -> None:
    # Fails on PostgreSQL while a row holds a longer caller ID; shorten or delete those first.
    with op.batch_alter_table("call_sessions", schema=None) as batch_op:
        for column in ("from_number", "to_number"):
            batch_op.alter_column(column, existing_type=sa.String(length=255),
                                  type_=sa.String(length=32), existing_nullable=True)
