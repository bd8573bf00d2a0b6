"""GlossaryRepository: stored entries, their change log, lookup counts and suggestions. Never commits."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.handbook.glossary import GlossaryEntry
from bot.handbook.glossary_admin import StoredEntry, entry_snapshot
from storage.models import GlossaryChangeRow, GlossaryEntryRow, GlossaryStatRow

SUGGESTION = "glossary_suggestion"


def to_stored(row: GlossaryEntryRow) -> StoredEntry:
    return StoredEntry(
        entry=GlossaryEntry(
            id=row.slug,
            term=row.term,
            definition=row.definition,
            section=row.section,
            expansion=row.expansion,
            aliases=tuple(str(alias) for alias in row.aliases or ()),
        ),
        retired=row.retired,
    )


class GlossaryRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # ---- entries ----------------------------------------------------------------------------------
    async def stored_entries(self) -> list[StoredEntry]:
        return [to_stored(row) for row in await self.session.scalars(select(GlossaryEntryRow))]

    async def stored(self, entry_id: str) -> StoredEntry | None:
        row = await self.session.get(GlossaryEntryRow, entry_id)
        return to_stored(row) if row else None

    async def save(
        self,
        entry: GlossaryEntry,
        *,
        action: str,
        actor: str,
        now: datetime,
        old: GlossaryEntry | None,
        retired: bool = False,
    ) -> None:
        """Store the entry as it now is and log who changed it, when, and what it was before."""
        row = await self.session.get(GlossaryEntryRow, entry.id)
        if row is None:
            row = GlossaryEntryRow(slug=entry.id)
            self.session.add(row)
        row.term = entry.term
        row.expansion = entry.expansion
        row.definition = entry.definition
        row.aliases = list(entry.aliases)
        row.section = entry.section
        row.retired = retired
        row.updated_by = actor
        row.updated_at = now
        self.session.add(
            GlossaryChangeRow(
                slug=entry.id,
                action=action,
                actor=actor,
                at=now,
                old_value=entry_snapshot(old),
                new_value=None if retired else entry_snapshot(entry),
            )
        )
        await self.session.flush()

    async def changes(self, entry_id: str) -> list[GlossaryChangeRow]:
        return list(
            await self.session.scalars(
                select(GlossaryChangeRow)
                .where(GlossaryChangeRow.slug == entry_id)
                .order_by(GlossaryChangeRow.id)
            )
        )

    # ---- lookup counts ----------------------------------------------------------------------------
    async def count_lookups(self, counts: Mapping[tuple[str, bool], int], now: datetime) -> None:
        """Add `counts` ((normalized query, found) -> lookups) to the running totals."""
        if not counts:
            return
        dialect = self.session.bind.dialect.name if self.session.bind is not None else "sqlite"
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        rows = [
            {"query": query, "found": found, "count": n, "last_at": now}
            for (query, found), n in sorted(counts.items())
        ]
        stmt = insert(GlossaryStatRow).values(rows)
        stmt = stmt.on_conflict_do_update(
            index_elements=["query", "found"],
            set_={"count": GlossaryStatRow.count + stmt.excluded.count, "last_at": stmt.excluded.last_at},
        )
        await self.session.execute(stmt)

    async def missed_total(self) -> int:
        """Lookups that found no entry (including rows counted by their text before 0603)."""
        total = await self.session.scalar(
            select(func.coalesce(func.sum(GlossaryStatRow.count), 0)).where(GlossaryStatRow.found.is_(False))
        )
        return int(total or 0)

    async def top_lookups(self, *, found: bool, limit: int = 10) -> list[tuple[str, int]]:
        result = await self.session.execute(
            select(GlossaryStatRow.query, GlossaryStatRow.count)
            .where(GlossaryStatRow.found == found)
            .order_by(GlossaryStatRow.count.desc(), GlossaryStatRow.query)
            .limit(limit)
        )
        return [(query, int(count)) for query, count in result]
