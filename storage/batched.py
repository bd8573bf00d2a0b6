"""Rows a transaction appends (audit events, outbox messages) are written together just before it commits.

One multi-row INSERT per table instead of a statement per row: a click writes a few audit events and
several outbox messages, and on SQLite every statement costs the event loop hand-offs to aiosqlite's
thread. The rows commit with the rest of the transaction, or not at all (a rollback drops them).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

_PENDING = "batched_rows"
_statements: dict[tuple[str, str, tuple[str, ...]], Any] = {}


def add(session: AsyncSession, table: Table, row: dict[str, Any], *, ignore_on: Sequence[str] = ()) -> None:
    """Queue `row` for `table`; with `ignore_on`, a row whose key already exists is skipped (ON CONFLICT
    DO NOTHING). Every row queued for one table has the same keys."""
    pending: dict[tuple[Table, tuple[str, ...]], list[dict[str, Any]]] = session.info.setdefault(_PENDING, {})
    pending.setdefault((table, tuple(ignore_on)), []).append(row)


def queued(session: AsyncSession, table: Table) -> list[dict[str, Any]]:
    """The rows queued for `table` in this transaction and not written yet."""
    pending = session.info.get(_PENDING) or {}
    return [row for (t, _), rows in pending.items() if t is table for row in rows]


def _statement(dialect: str, table: Table, ignore_on: tuple[str, ...]) -> Any:
    key = (dialect, table.name, ignore_on)
    if key not in _statements:  # built once: a statement object reused skips SQLAlchemy's per-call work
        stmt = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
        _statements[key] = stmt.on_conflict_do_nothing(index_elements=list(ignore_on)) if ignore_on else stmt
    return _statements[key]


@event.listens_for(Session, "before_commit")
def _write(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    # On the transaction's connection: Core INSERTs need none of the session's per-statement ORM steps.
    conn = session.connection()
    dialect = conn.dialect.name
    for (table, ignore_on), rows in pending.items():
        conn.execute(_statement(dialect, table, ignore_on), rows)


@event.listens_for(Session, "after_rollback")
def _drop(session: Session) -> None:
    session.info.pop(_PENDING, None)
