"""Write transactions on a SQLite file run in the event loop's thread (storage/db.py InlineSQLiteDialect).

The write lock held by another process (here a second, raw sqlite3 connection, as an import or the CLI
would hold it) must not stop the loop: the writer tries BEGIN IMMEDIATE without waiting and sleeps on the
loop between tries, until the lock is free or the request's deadline passes. These run on their own SQLite
file whatever GTM_TEST_DATABASE_URL says: the behaviour is SQLite's.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import exc, text

import storage.db
from storage.db import Database, is_lock_timeout, lock_wait_limit


@pytest.fixture
async def sqlite_db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'inline.db'}")
    async with database.sessions.begin() as session:
        await session.execute(text("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)"))
    yield database
    await database.dispose()


@contextlib.contextmanager
def lock_held_elsewhere(db: Database) -> Iterator[sqlite3.Connection]:
    """Another connection, outside SQLAlchemy and aiosqlite, holds SQLite's one write lock."""
    other = sqlite3.connect(str(db.engine.url.database), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield other
    finally:
        if other.in_transaction:
            other.rollback()
        other.close()


class Ticker:
    """A coroutine that should keep running while a writer waits: counts its turns on the loop."""

    def __init__(self) -> None:
        self.ticks = 0
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(0.005)
            self.ticks += 1

    def stop(self) -> None:
        self._task.cancel()


async def write_note(db: Database, body: str) -> None:
    async with db.sessions.begin() as session:
        await session.execute(text("INSERT INTO notes (body) VALUES (:body)"), {"body": body})


def file_size(path: Path) -> int:
    return path.stat().st_size


async def notes(db: Database) -> list[str]:
    async with db.reads() as session:
        return list((await session.scalars(text("SELECT body FROM notes ORDER BY id"))).all())


async def test_a_write_waits_for_another_connections_lock_without_stopping_the_loop_then_succeeds(
    sqlite_db: Database,
) -> None:
    with lock_held_elsewhere(sqlite_db) as other:
        ticker = Ticker()
        with lock_wait_limit(5):
            writing = asyncio.create_task(write_note(sqlite_db, "after the lock"))
            await asyncio.sleep(0.3)
            assert not writing.done()  # still waiting for the lock...
            assert ticker.ticks >= 10  # ...while the loop kept running (0.3 s of 5 ms turns: ~60 when idle)
            other.rollback()  # the other process is done
            await asyncio.wait_for(writing, 2)
        ticker.stop()
    assert await notes(sqlite_db) == ["after the lock"]


async def test_a_write_gives_up_at_the_deadline_with_the_lock_timeout_error_and_writes_nothing(
    sqlite_db: Database,
) -> None:
    await write_note(sqlite_db, "before")
    with lock_held_elsewhere(sqlite_db):
        ticker = Ticker()
        started = time.monotonic()
        with pytest.raises(exc.OperationalError) as raised, lock_wait_limit(0.4):
            await write_note(sqlite_db, "never")
        took = time.monotonic() - started
        ticks = ticker.ticks
        ticker.stop()
    assert is_lock_timeout(raised.value)
    assert 0.35 <= took < 1.5, took
    assert ticks >= 10, ticks  # the loop kept running (0.4 s of 5 ms turns: ~80 when idle; blocked: 0)
    assert await notes(sqlite_db) == ["before"]
    await write_note(sqlite_db, "after")  # the pooled connection is usable again
    assert await notes(sqlite_db) == ["before", "after"]


async def test_a_writer_cancelled_while_waiting_for_the_lock_leaves_no_connection_behind(
    sqlite_db: Database,
) -> None:
    with lock_held_elsewhere(sqlite_db):
        writing = asyncio.create_task(write_note(sqlite_db, "cancelled"))
        await asyncio.sleep(0.1)
        writing.cancel()
        with pytest.raises(asyncio.CancelledError):
            await writing
    assert sqlite_db.engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    await write_note(sqlite_db, "next")
    assert await notes(sqlite_db) == ["next"]


async def test_a_failed_statement_rolls_the_whole_transaction_back(sqlite_db: Database) -> None:
    with pytest.raises(exc.IntegrityError):
        async with sqlite_db.sessions.begin() as session:
            await session.execute(text("INSERT INTO notes (body) VALUES ('half')"))
            await session.execute(text("INSERT INTO notes (body) VALUES (NULL)"))
    assert await notes(sqlite_db) == []


async def test_wal_checkpoints_run_off_the_loop_every_so_many_commits(
    sqlite_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The inline connections never checkpoint inside a COMMIT (an fsync in the loop's thread); a thread
    copies the WAL into the database file every CHECKPOINT_EVERY commits."""
    monkeypatch.setattr(storage.db, "CHECKPOINT_EVERY", 4)  # the table's creation was the first commit
    main_file = Path(str(sqlite_db.engine.url.database))
    async with sqlite_db.engine.connect() as conn:
        assert (await conn.exec_driver_sql("PRAGMA wal_autocheckpoint")).scalar() == 0
    size = file_size(main_file)
    for i in range(2):
        await write_note(sqlite_db, f"{i}" * 200_000)
    await asyncio.sleep(0.2)
    assert file_size(main_file) == size  # two commits: all still in the WAL
    await write_note(sqlite_db, "third")
    for _ in range(250):  # the checkpoint's thread grows the file as it copies: wait for all of it
        if file_size(main_file) > size + 300_000:
            break
        await asyncio.sleep(0.02)
    assert file_size(main_file) > size + 300_000  # checkpointed into the file
    assert len(await notes(sqlite_db)) == 3


async def write_in_turn(db: Database, order: list[str], body: str, *, urgent: bool = False) -> None:
    begin = db.urgent_writes() if urgent else db.sessions.begin()
    async with begin as session:
        order.append(body)
        await session.execute(text("INSERT INTO notes (body) VALUES (:body)"), {"body": body})
        await asyncio.sleep(0.01)  # a transaction that takes a moment, as a click's does


async def test_urgent_writes_go_ahead_of_a_queue_of_plain_ones_at_every_other_turn(
    sqlite_db: Database,
) -> None:
    """The outbox's claim (urgent) waits for the transaction under way, not for the 20 queued behind it;
    a stream of urgent writes takes every other turn, so the plain ones (clicks) never starve; each kind
    keeps its arrival order, and every write lands."""
    order: list[str] = []
    writers = [asyncio.create_task(write_in_turn(sqlite_db, order, f"click {i}")) for i in range(20)]
    await asyncio.sleep(0.005)  # click 0 holds the turn, the others queue
    urgent = [
        asyncio.create_task(write_in_turn(sqlite_db, order, f"claim {i}", urgent=True)) for i in range(3)
    ]
    await asyncio.gather(*writers, *urgent)
    assert order[:7] == ["click 0", "claim 0", "click 1", "claim 1", "click 2", "claim 2", "click 3"]
    assert order[7:] == [f"click {i}" for i in range(4, 20)]
    async with sqlite_db.reads() as session:
        assert await session.scalar(text("SELECT count(*) FROM notes")) == 23


@pytest.mark.parametrize("gives_up", ["before its turn", "as its turn comes"])
async def test_a_writer_that_gives_up_waiting_passes_its_turn_on(sqlite_db: Database, gives_up: str) -> None:
    turns = storage.db.WriteTurns()
    await turns.acquire()
    leaving = asyncio.create_task(turns.acquire(urgent=True))
    staying = asyncio.create_task(turns.acquire())
    await asyncio.sleep(0)
    if gives_up == "as its turn comes":
        turns.release()  # the urgent waiter is handed the turn, then cancelled before it runs
    leaving.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await leaving
    if gives_up == "before its turn":
        turns.release()
    await asyncio.wait_for(staying, 1)  # the turn reached the next writer either way
    turns.release()
    await asyncio.wait_for(turns.acquire(), 1)  # and is free once that one is done
