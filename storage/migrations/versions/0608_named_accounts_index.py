"""accounts: an index of each owner's named accounts (the named-account cap is checked at every transfer)

Revision ID: 0608
Revises: 0607
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0608"
down_revision: str | None = "0607"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # storage/models.py AccountRow: the count read every owner's accounts (hundreds of rows) for its few
    # named ones; on this index it reads those alone. Each dialect's own spelling of the query's condition.
    op.create_index(
        "ix_accounts_owner_named",
        "accounts",
        ["owner"],
        postgresql_where=sa.text("named"),
        sqlite_where=sa.text("named = 1"),
    )


def downgrade() -> None:
    op.drop_index("ix_accounts_owner_named", table_name="accounts")
