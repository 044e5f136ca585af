"""each account has a language: the catalog its calls and texts are said in

Revision ID: 0011_account_language
Revises: 0010_unique_gateway_reference
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_account_language"
down_revision = "0010_unique_gateway_reference"
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
