"""HoldoverRepository: holdovers by opportunity and person, the row lock, moving an opportunity."""

from __future__ import annotations

from datetime import timedelta

from storage.db import Database
from storage.directory import OPPORTUNITIES, DirectoryRepository
from storage.holdovers import HoldoverRepository
from tests import rows
from tests.conftest import START

TODAY = START.date()


async def test_the_latest_holdover_of_an_opportunity_is_the_newest_row(db: Database) -> None:
    async with db.sessions.begin() as session:
        repo = HoldoverRepository(session)
        await repo.add(rows.holdover(status="transferred"))
        newest = await repo.add(rows.holdover())
        assert (await repo.latest_for_opportunity("O-1005")).id == newest.id
        assert await repo.latest_for_opportunity("O-1001") is None
        assert (await repo.lock(newest.id)).status == "running"
        assert await repo.lock(newest.id + 100) is None
        assert (await repo.get(newest.id)).new_owner == "U0AE1"


async def test_involving_lists_both_owners_running_first_soonest_first(db: Database) -> None:
    async with db.sessions.begin() as session:
        repo = HoldoverRepository(session)
        done = await repo.add(rows.holdover("O-1", status="transferred", ends_on=TODAY))
        later = await repo.add(rows.holdover("O-2", ends_on=TODAY + timedelta(days=20)))
        sooner = await repo.add(
            rows.holdover("O-3", status="extension_requested", ends_on=TODAY + timedelta(days=5))
        )
        theirs = await repo.add(rows.holdover("O-4", new_owner="U0AE2", original_owner="U0AE1"))
        await repo.add(rows.holdover("O-5", new_owner="U0SAL1", original_owner="U0SAL2"))
        assert [h.id for h in await repo.involving("U0AE1")] == [sooner.id, later.id, theirs.id, done.id]


async def test_running_for_new_owner_leaves_out_ended_and_transferred_ones(db: Database) -> None:
    async with db.sessions.begin() as session:
        repo = HoldoverRepository(session)
        running = await repo.add(rows.holdover("O-1"))
        await repo.add(rows.holdover("O-2", ends_on=TODAY - timedelta(days=1)))
        await repo.add(rows.holdover("O-3", status="transferred"))
        await repo.add(rows.holdover("O-4", new_owner="U0AE2"))
        assert [h.id for h in await repo.running_for_new_owner("U0AE1", TODAY)] == [running.id]


async def test_set_opportunity_owner_moves_it_and_bumps_the_directory_version(
    db: Database, directory
) -> None:
    async with db.sessions.begin() as session:
        directory_repo = DirectoryRepository(session)
        before = await directory_repo.versions_of([OPPORTUNITIES])
        await HoldoverRepository(session).set_opportunity_owner("O-1005", "U0AE1")
        assert (await directory_repo.opportunity("O-1005")).owner == "U0AE1"
        assert await directory_repo.versions_of([OPPORTUNITIES]) != before
