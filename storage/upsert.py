"""Dialect-aware INSERT ... ON CONFLICT, the same call on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage import core


def _dialect(session: AsyncSession) -> str:
    return session.bind.dialect.name if session.bind is not None else "sqlite"


def _insert(session: AsyncSession, model: type[Any]) -> Any:
    return (postgresql.insert if _dialect(session) == "postgresql" else sqlite.insert)(model)


_ignores: dict[tuple[Any, ...], Any] = {}  # insert_ignore's, by dialect, table and keys
# upsert_many's statements, built once each: `excluded` and the SET clause cost more than a small write.
_upserts: dict[tuple[Any, ...], Any] = {}


def _on_conflict_update(
    stmt: Any, table: Any, columns: Sequence[str], keys: Sequence[str], keep_when_null: Sequence[str]
) -> Any:
    """ON CONFLICT (keys) DO UPDATE SET each column to the new row's value; `keep_when_null` columns keep
    the stored value when the new row leaves them empty."""
    excluded = stmt.excluded
    return stmt.on_conflict_do_update(
        index_elements=list(keys),
        set_={
            c: func.coalesce(getattr(excluded, c), table.c[c])
            if c in keep_when_null
            else getattr(excluded, c)
            for c in columns
        },
    )


async def insert_ignore(
    session: AsyncSession, model: type[Any], values: dict[str, Any], keys: Sequence[str]
) -> bool:
    """Insert unless a row with the same `keys` exists; True when a row was inserted. The statement is
    built once per table (Core, the values bound at execution): a click's replay key is one of these."""
    table = model.__table__
    cache_key = (_dialect(session), table.name, tuple(keys))
    stmt = _ignores.get(cache_key)
    if stmt is None:
        stmt = _ignores[cache_key] = _insert(session, table).on_conflict_do_nothing(index_elements=list(keys))
    return bool(await core.write(session, stmt, values))


async def upsert_many(
    session: AsyncSession,
    model: type[Any],
    rows: list[dict[str, Any]],
    keys: Sequence[str],
    *,
    on_batch: Callable[[int], None] | None = None,
    keep_when_null: Sequence[str] = (),
) -> None:
    """Insert or update by primary key: one statement, executed for many rows (the driver batches them).

    Every row must have the same keys. `on_batch(n)` hears how many rows each batch wrote (progress bars).
    A multi-row VALUES statement is avoided on purpose: SQLAlchemy compiles it anew for every batch,
    which cost more than the database's own work at 100,000 rows.
    """
    if not rows:
        return
    table = model.__table__
    columns = [c for c in rows[0] if c not in keys]
    cache_key = (_dialect(session), table.name, tuple(keys), tuple(columns), tuple(keep_when_null))
    stmt = _upserts.get(cache_key)
    if stmt is None:
        stmt = _upserts[cache_key] = _on_conflict_update(
            _insert(session, table), table, columns, keys, keep_when_null
        )
    batch = 5000
    for start in range(0, len(rows), batch):
        chunk = rows[start : start + batch]
        await core.write(session, stmt, chunk)
        if on_batch is not None:
            on_batch(len(chunk))


async def upsert_from(
    session: AsyncSession,
    model: type[Any],
    source: Any,
    where: Any,
    keys: Sequence[str],
    *,
    keep_when_null: Sequence[str] = (),
) -> None:
    """INSERT INTO model SELECT (model's columns) FROM source WHERE ... ON CONFLICT (keys) DO UPDATE:
    one set-based statement, however many rows (no bound parameter per row)."""
    table = model.__table__
    columns = [c.name for c in source.columns if c.name in table.c]
    stmt = _insert(session, table).from_select(columns, select(*(source.c[c] for c in columns)).where(where))
    stmt = _on_conflict_update(stmt, table, [c for c in columns if c not in keys], keys, keep_when_null)
    await session.execute(stmt)
