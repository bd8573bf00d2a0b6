"""SponsorshipRepository: running sponsorships, open nominations and the program lock."""

from __future__ import annotations

from datetime import timedelta

from storage.db import Database
from storage.requests import RequestRepository
from storage.sponsorships import SponsorshipRepository
from tests import rows
from tests.conftest import START

TODAY = START.date()


async def test_running_sponsorships_have_started_and_not_ended_soonest_end_first(db: Database) -> None:
    async with db.sessions.begin() as session:
        repo = SponsorshipRepository(session)
        await repo.lock_program()  # a no-op on SQLite, a transaction lock on PostgreSQL: both let us on
        long = await repo.add(rows.sponsorship("A-1", 1))
        short = await repo.add(rows.sponsorship("A-2", 2, ends_on=TODAY + timedelta(days=10)))
        await repo.add(rows.sponsorship("A-3", 3, starts_on=TODAY + timedelta(days=1)))
        await repo.add(rows.sponsorship("A-4", 4, ends_on=TODAY))
        assert [s.id for s in await repo.running(TODAY)] == [short.id, long.id]
        assert (await repo.get(long.id)).account_id == "A-1"
        assert await repo.get(long.id + 100) is None


async def test_open_nominations_are_pending_requests_of_the_kind_oldest_first(db: Database) -> None:
    async with db.sessions.begin() as session:
        requests = RequestRepository(session)
        late = await requests.add_request(rows.request("sponsorship", created_at=START + timedelta(hours=1)))
        early = await requests.add_request(rows.request("sponsorship"))
        await requests.add_request(rows.request("sponsorship", status="approved"))
        await requests.add_request(rows.request("ownership"))
        assert [r.id for r in await SponsorshipRepository(session).open_nominations("sponsorship")] == [
            early.id,
            late.id,
        ]
