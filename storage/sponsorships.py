"""Executive sponsorships: the running ones and the program-wide lock for the 10-account cap."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import RequestRow, SponsorshipRow

# Any constant works; it names "the sponsorship program" for pg_advisory_xact_lock.
PROGRAM_LOCK = 740_001


class SponsorshipRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def lock_program(self) -> None:
        """Serialize confirmations so two at once can't both take the 10th place.

        SQLite writers already run one at a time (BEGIN IMMEDIATE); PostgreSQL takes a transaction lock.
        """
        bind = self.session.bind
        if bind is not None and bind.dialect.name == "postgresql":
            await self.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PROGRAM_LOCK})

    async def running(self, today: date) -> list[SponsorshipRow]:
        rows = await self.session.scalars(
            select(SponsorshipRow)
            .where(SponsorshipRow.starts_on <= today, SponsorshipRow.ends_on > today)
            .order_by(SponsorshipRow.ends_on, SponsorshipRow.id)
        )
        return list(rows)

    async def add(self, row: SponsorshipRow) -> SponsorshipRow:
        self.session.add(row)
        await self.session.flush()
        return row

    async def get(self, sponsorship_id: int) -> SponsorshipRow | None:
        return await self.session.get(SponsorshipRow, sponsorship_id)

    async def open_nominations(self, kind: str) -> list[RequestRow]:
        rows = await self.session.scalars(
            select(RequestRow)
            .where(RequestRow.kind == kind, RequestRow.status == "pending")
            .order_by(RequestRow.created_at, RequestRow.id)
        )
        return list(rows)
