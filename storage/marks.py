"""What created a database (the playground's own), read before any migration runs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import inspect, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import DatabaseMarkRow

PLAYGROUND = "playground"
# Alembic's bookkeeping and the marks themselves are not data.
_NOT_DATA = {"alembic_version", DatabaseMarkRow.__tablename__}


class DatabaseMarks:
    """Works on a bare connection: the schema may be missing, old, or another application's."""

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def tables(self) -> list[str]:
        return await self.conn.run_sync(lambda sync: inspect(sync).get_table_names())

    async def has(self, name: str) -> bool:
        if DatabaseMarkRow.__tablename__ not in await self.tables():
            return False
        found = await self.conn.scalar(select(DatabaseMarkRow.name).where(DatabaseMarkRow.name == name))
        return found is not None

    async def first_table_with_rows(self) -> str | None:
        """The first table (by name) that holds a row, Alembic's and the marks' aside."""
        quote = self.conn.dialect.identifier_preparer.quote
        for table in sorted(set(await self.tables()) - _NOT_DATA):
            if await self.conn.scalar(text(f"SELECT 1 FROM {quote(table)} LIMIT 1")) is not None:
                return table
        return None

    async def add(self, name: str, at: datetime) -> None:
        if not await self.has(name):
            await self.conn.execute(DatabaseMarkRow.__table__.insert().values(name=name, created_at=at))
