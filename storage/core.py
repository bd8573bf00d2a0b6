"""Core statements (on tables, not mapped classes) run on a session's connection, in its transaction.

`AsyncSession.execute` passes every statement through the ORM session's per-statement steps (execution
options, bind look-up, the result's wrapping for the async layer) even when it names no mapped class and
loads no object. A click runs about ten such statements; on SQLite those steps cost more CPU than the
database's own work on the few indexed rows each one touches. These run the statement on the connection
the session's transaction already holds, in one hop into SQLAlchemy's greenlet, with the rows read before
coming back (so nothing is fetched later from the driver outside it). Same transaction, same locks, same
events on the connection (`before_cursor_execute`); the session does not autoflush for a Core statement
either way.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Executable, Row
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.util.concurrency import greenlet_spawn


async def rows(session: AsyncSession, statement: Executable, params: Any = None) -> Sequence[Row[Any]]:
    """Every row the statement returns (a SELECT, or a write with RETURNING)."""
    return await greenlet_spawn(_rows, session, statement, params)  # type: ignore[no-any-return]


async def write(session: AsyncSession, statement: Executable, params: Any = None) -> int:
    """Run a write; how many rows it changed (for `params` a list: one execution per row, batched)."""
    return await greenlet_spawn(_write, session, statement, params)  # type: ignore[no-any-return]


def _rows(session: AsyncSession, statement: Executable, params: Any) -> Sequence[Row[Any]]:
    return session.sync_session.connection().execute(statement, params).all()


def _write(session: AsyncSession, statement: Executable, params: Any) -> int:
    return session.sync_session.connection().execute(statement, params).rowcount
