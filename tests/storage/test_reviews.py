"""ReviewRepository: the review queue and the account fields an applied review sets."""

from __future__ import annotations

from datetime import timedelta

from storage.db import Database
from storage.directory import DirectoryRepository, root_version
from storage.requests import RequestRepository
from storage.reviews import ReviewRepository
from tests import rows
from tests.conftest import START


async def test_the_queue_holds_pending_and_approved_reviews_of_the_kind_oldest_first(db: Database) -> None:
    async with db.sessions.begin() as session:
        requests = RequestRepository(session)
        approved = await requests.add_request(
            rows.request("segment_review", status="approved", created_at=START + timedelta(hours=1))
        )
        pending = await requests.add_request(rows.request("segment_review"))
        await requests.add_request(rows.request("segment_review", status="rejected"))
        await requests.add_request(rows.request("hierarchy_review"))
        queue = await ReviewRepository(session).in_queue("segment_review")
        assert [r.id for r in queue] == [pending.id, approved.id]


async def test_an_applied_review_sets_the_override_and_touches_the_hierarchy(db: Database, directory) -> None:
    async with db.sessions.begin() as session:
        repo, directory_repo = ReviewRepository(session), DirectoryRepository(session)
        before = await directory_repo.versions_of([root_version("A-INITECH")])
        assert await repo.set_employees_override("A-INITECH-DE", 50)
        assert await repo.set_override_address("A-INITECH-UK", "US", "")
        assert not await repo.set_employees_override("A-NOWHERE", 50)
        assert not await repo.set_override_address("A-NOWHERE", "US", "NY")
        accounts = await directory_repo.accounts(["A-INITECH-DE", "A-INITECH-UK"])
        assert accounts["A-INITECH-DE"].employees_override == 50
        address = accounts["A-INITECH-UK"].override_address
        assert (address.country, address.state) == ("US", None)
        assert await directory_repo.versions_of([root_version("A-INITECH")]) != before
