"""Dialect-aware INSERT ... ON CONFLICT, the same call on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def _insert(session: AsyncSession, model: type[Any]) -> Any:
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model)


async def insert_ignore(
    session: AsyncSession, model: type[Any], values: dict[str, Any], keys: Sequence[str]
) -> bool:
    """Insert unless a row with the same `keys` exists; True when a row was inserted."""
    stmt = _insert(session, model).values(**values).on_conflict_do_nothing(index_elements=list(keys))
    result = await session.execute(stmt)
    return bool(result.rowcount)


async def upsert_many(
    session: AsyncSession, model: type[Any], rows: list[dict[str, Any]], keys: Sequence[str]
) -> None:
    """Insert or update by primary key, in batches small enough for SQLite's variable limit."""
    if not rows:
        return
    columns = [c for c in rows[0] if c not in keys]
    batch = max(1, 30000 // max(1, len(rows[0])))
    for start in range(0, len(rows), batch):
        stmt = _insert(session, model).values(rows[start : start + batch])
        stmt = stmt.on_conflict_do_update(
            index_elements=list(keys), set_={c: getattr(stmt.excluded, c) for c in columns}
        )
        await session.execute(stmt)
