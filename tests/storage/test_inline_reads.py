"""The directory cache's small reads on a SQLite file run on one connection the process keeps open and lends
to one reader at a time (storage/db.py InlineConnection, storage/directory.py InlineDirectoryReads). These
run on their own SQLite file whatever GTM_TEST_DATABASE_URL says: the behaviour is SQLite's.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from storage.db import Database
from storage.directory import InlineDirectoryReads


@pytest.fixture
async def sqlite_db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'reads.db'}")
    async with database.sessions.begin() as session:
        await session.execute(text("CREATE TABLE directory_versions (name TEXT PRIMARY KEY, token TEXT)"))
        await session.execute(text("INSERT INTO directory_versions VALUES ('org', 't1'), ('accounts', 't2')"))
    yield database
    await database.dispose()


async def test_readers_share_one_connection_lent_to_one_at_a_time(sqlite_db: Database) -> None:
    inline = sqlite_db.inline
    assert inline is not None
    first, second = InlineDirectoryReads(inline), InlineDirectoryReads(inline)
    assert await first.versions_of(["org", "accounts", "never"]) == {"org": "t1", "accounts": "t2"}
    held = inline._conn
    assert inline.busy and not second.usable()  # the other reads through the async driver meanwhile
    first.release()
    assert not inline.busy and second.usable()
    assert await second.versions_of(["org"]) == {"org": "t1"}
    assert inline._conn is held  # the same connection, not a new checkout per reader
    second.release()
    second.release()  # twice is harmless
    assert not inline.busy
    inline.take()  # lent: a second loan before it comes back is a bug, not a wait
    with pytest.raises(RuntimeError, match="lent already"):
        inline.take()
    inline.give_back()


async def test_a_read_that_fails_gives_up_the_connection_and_the_next_reader_opens_another(
    sqlite_db: Database,
) -> None:
    """A driver error surfaces as SQLAlchemy raises it; the broken connection is dropped, not lent again."""
    inline = sqlite_db.inline
    assert inline is not None
    reader = InlineDirectoryReads(inline)
    await reader.versions_of(["org"])
    reader.release()
    broken = inline._conn
    broken.dbapi_connection.close()  # the connection breaks behind the readers' backs
    with pytest.raises(DBAPIError):
        await InlineDirectoryReads(inline).versions_of(["org"])
    assert not inline.busy and inline._conn is None
    again = InlineDirectoryReads(inline)
    assert await again.versions_of(["accounts"]) == {"accounts": "t2"}
    assert inline._conn is not broken
    again.release()
