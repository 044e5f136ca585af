"""each account has a language: the catalog its calls and texts are said in

Revision ID: 0013_account_language
Revises: 0012_callback_requests
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_account_language"
down_revision = "0012_callback_requests"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Every line so far spoke US English (the only catalog there was), so every account
    # already had that language.
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=16), nullable=False,
                                      server_default="en-US"))


def downgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("language")
