"""glossary stats keep no typed text: fold every counted miss into one "(no entry found)" row

Misses used to be counted by what people typed, which can name accounts (public-sector ones among them)
and people. Data only; the schema is unchanged.

Revision ID: 0603
Revises: 0601
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0603"
down_revision: str | None = "0601"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MISSED = "(no entry found)"  # bot.glossary.MISSED, copied: a migration must not change with the code

stats = sa.table(
    "glossary_stats",
    sa.column("query", sa.String),
    sa.column("found", sa.Boolean),
    sa.column("count", sa.Integer),
    sa.column("last_at", sa.DateTime),
)


def upgrade() -> None:
    conn = op.get_bind()
    misses = stats.c.found.is_(False)
    total, last_at = conn.execute(
        sa.select(sa.func.sum(stats.c.count), sa.func.max(stats.c.last_at)).where(misses)
    ).one()
    conn.execute(sa.delete(stats).where(misses))
    if total:
        conn.execute(sa.insert(stats).values(query=MISSED, found=False, count=int(total), last_at=last_at))


def downgrade() -> None:
    pass  # the typed text is gone on purpose; the folded count stays valid
