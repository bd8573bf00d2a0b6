"""ImportStagingRepository: a file's checked rows, loaded in chunks, applied at once. Never commits."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage.directory import OVERRIDES
from storage.models import AccountRow, OpportunityRow, staged_accounts, staged_opportunities
from storage.upsert import upsert_from

TABLES = {"accounts": staged_accounts, "opportunities": staged_opportunities}


class ImportStagingRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def stage(self, kind: str, import_id: str, rows: list[dict[str, Any]]) -> None:
        if rows:
            await self.session.execute(insert(TABLES[kind]), [{"import_id": import_id, **r} for r in rows])

    async def apply(self, kind: str, import_id: str) -> None:
        """Upsert every staged row of this import into its table, in one statement."""
        table = TABLES[kind]
        if kind == "accounts":
            # An empty override cell keeps what an applied review set (see DirectoryRepository).
            await upsert_from(
                self.session,
                AccountRow,
                table,
                table.c.import_id == import_id,
                ["account_id"],
                keep_when_null=OVERRIDES,
            )
        else:
            await upsert_from(
                self.session, OpportunityRow, table, table.c.import_id == import_id, ["opportunity_id"]
            )

    async def clear(self, kind: str, import_id: str) -> None:
        table = TABLES[kind]
        await self.session.execute(delete(table).where(table.c.import_id == import_id))
