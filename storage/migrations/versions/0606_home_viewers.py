"""home_viewers: who has opened the bot's App Home, so its refreshes are published only for them

Revision ID: 0606
Revises: 0602 (the head: 0602 was added after 0605)
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0606"
down_revision: str | None = "0602"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "home_viewers",
        sa.Column("user_id", sa.String(32), primary_key=True),
        sa.Column("first_opened_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("home_viewers")
