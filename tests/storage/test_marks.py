"""DatabaseMarks: what created a database, read on a bare connection."""

from __future__ import annotations

from storage.db import Database
from storage.marks import PLAYGROUND, DatabaseMarks
from storage.models import SeenRequestRow
from tests.conftest import START


async def test_a_mark_is_added_once_and_data_is_found_by_table(db: Database) -> None:
    async with db.engine.begin() as conn:
        marks = DatabaseMarks(conn)
        assert "requests" in await marks.tables()
        assert not await marks.has(PLAYGROUND)
        assert await marks.first_table_with_rows() is None
        await marks.add(PLAYGROUND, START)
        await marks.add(PLAYGROUND, START)  # a second add changes nothing
        assert await marks.has(PLAYGROUND)
        assert await marks.first_table_with_rows() is None  # a mark is not data
        await conn.execute(SeenRequestRow.__table__.insert().values(key="k", expires_at=START))
        assert await marks.first_table_with_rows() == SeenRequestRow.__tablename__
