"""Engine and sessions. The boundary owns the transaction: `async with db.sessions.begin() as s:`."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def create_engine(url: str, *, immediate: bool = True) -> AsyncEngine:
    """An engine; on SQLite, `immediate` makes every transaction take the write lock when it begins.

    SQLite's default (deferred) transactions fail at once with "database is locked" when two of them
    read and then both try to write. BEGIN IMMEDIATE makes writers queue on busy_timeout instead.
    Read-only work uses a second, deferred engine so readers never wait for writers (WAL).
    """
    if is_sqlite(url):
        engine = create_async_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
            dbapi_connection.isolation_level = None  # we emit BEGIN ourselves, below
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @event.listens_for(engine.sync_engine, "begin")
        def _sqlite_begin(conn) -> None:  # type: ignore[no-untyped-def]
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    return create_async_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


class _QueuedWriters:
    """On SQLite, this process's write transactions wait their turn on an asyncio lock (first come, first
    served) before BEGIN IMMEDIATE. Without it they wait in SQLite's busy handler, which sleeps in
    growing steps (up to 100 ms) and wakes long after the lock is free: under 10 concurrent clicks a few
    waited 1.5 s. Other processes (an import) still queue on busy_timeout as before."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._lock = asyncio.Lock()

    def __call__(self, **kwargs: Any) -> AsyncSession:
        return self._sessions(**kwargs)

    @contextlib.asynccontextmanager
    async def begin(self) -> AsyncIterator[AsyncSession]:
        async with self._lock, self._sessions.begin() as session:
            yield session


class Database:
    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = create_engine(url)
        made = async_sessionmaker(self.engine, expire_on_commit=False)
        self.sessions: async_sessionmaker[AsyncSession] | _QueuedWriters = (
            _QueuedWriters(made) if is_sqlite(url) else made
        )
        # Read-only sessions: a deferred engine on SQLite (readers don't queue behind writers).
        self.read_engine = create_engine(url, immediate=False) if is_sqlite(url) else self.engine
        self.reads: async_sessionmaker[AsyncSession] = async_sessionmaker(
            self.read_engine, expire_on_commit=False
        )

    async def ping(self) -> bool:
        try:
            async with asyncio.timeout(2):
                async with self.read_engine.connect() as conn:
                    await conn.execute(text("SELECT 1"))
            return True
        except Exception:  # any driver error means "not answering"; /healthz reports it
            return False

    async def upgrade(self) -> None:
        """Run Alembic to head in a worker thread (env.py drives its own event loop)."""
        await asyncio.to_thread(upgrade, self.url)

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self.read_engine is not self.engine:
            await self.read_engine.dispose()


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)
