"""hardening: directory versions (in-memory name index freshness), indexes for lists at scale

Revision ID: 0501
Revises: 0403
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0501"
down_revision: str | None = "0403"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "directory_versions",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_index("ix_decisions_actor_at", "decisions", ["actor", "at"])
    op.create_index("ix_requests_requester_updated", "requests", ["requester", "updated_at"])


def downgrade() -> None:
    op.drop_index("ix_requests_requester_updated", table_name="requests")
    op.drop_index("ix_decisions_actor_at", table_name="decisions")
    op.drop_table("directory_versions")
