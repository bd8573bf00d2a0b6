"""SeenRequestRepository: a request's ids are recorded once, until their window closes."""

from __future__ import annotations

from datetime import timedelta

from storage.db import Database
from storage.replays import SeenRequestRepository
from tests.conftest import START


async def test_a_key_is_new_once_and_again_after_it_is_purged(db: Database) -> None:
    expires = START + timedelta(minutes=10)
    async with db.sessions.begin() as session:
        repo = SeenRequestRepository(session)
        assert await repo.first_time("k1", expires)
        assert not await repo.first_time("k1", expires)
        assert await repo.first_time("k2", expires + timedelta(minutes=5))
        await repo.purge(expires + timedelta(minutes=1))  # k1 has expired, k2 has not
        assert await repo.first_time("k1", expires)
        assert not await repo.first_time("k2", expires)
