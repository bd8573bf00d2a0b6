"""holdovers: open opportunities kept by their original owner after an account transfer

Revision ID: 0403
Revises: 0402
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0403"
down_revision: str | None = "0402"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "holdovers",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("opportunity_id", sa.String(length=64), nullable=False),
        sa.Column("opportunity_name", sa.String(length=255), nullable=False),
        sa.Column("opportunity_type", sa.String(length=64), nullable=True),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("original_owner", sa.String(length=32), nullable=False),
        sa.Column("new_owner", sa.String(length=32), nullable=False),
        sa.Column("request_id", BIG_ID, nullable=True),
        sa.Column("created_on", sa.Date(), nullable=False),
        sa.Column("transferred_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("extension_request_id", BIG_ID, nullable=True),
        sa.Column("extension_requested_on", sa.Date(), nullable=True),
        sa.Column("extension_close_date", sa.Date(), nullable=True),
        sa.Column("extension_evidence", sa.Text(), nullable=True),
        sa.Column("extension_decision", sa.String(length=16), nullable=True),
        sa.Column("transferred_at", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("holdovers", schema=None) as batch_op:
        for column in ("opportunity_id", "account_id", "original_owner", "new_owner", "status"):
            batch_op.create_index(batch_op.f(f"ix_holdovers_{column}"), [column], unique=False)


def downgrade() -> None:
    op.drop_table("holdovers")
