"""salesforce: sync watermarks, Salesforce users -> people, drift

Revision ID: 0604
Revises: 0603
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0604"
down_revision: str | None = "0603"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "crm_sync_state",
        sa.Column("sobject", sa.String(length=32), nullable=False),
        sa.Column("watermark", sa.DateTime(), nullable=True),
        sa.Column("deleted_until", sa.DateTime(), nullable=True),
        sa.Column("full_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("sobject"),
    )
    op.create_table(
        "crm_users",
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("person_key", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("slack_id", sa.String(length=32), nullable=True),
        sa.Column("looked_up_email", sa.String(length=320), nullable=True),
        sa.PrimaryKeyConstraint("user_id"),
    )
    op.create_index("ix_crm_users_person_key", "crm_users", ["person_key"])
    op.create_table(
        "crm_drift",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("account_name", sa.String(length=255), nullable=False),
        sa.Column("old_owner", sa.String(length=32), nullable=True),
        sa.Column("new_owner", sa.String(length=32), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("detected_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("reported_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_crm_drift_account_id", "crm_drift", ["account_id"])
    op.create_index("ix_crm_drift_status", "crm_drift", ["status"])


def downgrade() -> None:
    op.drop_table("crm_drift")
    op.drop_table("crm_users")
    op.drop_table("crm_sync_state")
