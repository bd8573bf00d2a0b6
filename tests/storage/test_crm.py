"""CrmRepository: watermarks, Salesforce users, rows by id, hierarchies, deletions, write-backs, drift."""

from __future__ import annotations

from datetime import timedelta

from storage.crm import WRITE_BACK, CrmRepository
from storage.db import Database
from storage.directory import DirectoryRepository
from storage.models import CrmDriftRow, OutboxRow
from tests.conftest import START


async def test_a_state_is_made_on_first_read_and_kept(db: Database) -> None:
    async with db.sessions.begin() as session:
        repo = CrmRepository(session)
        state = await repo.state("Account")
        assert state.watermark is None
        state.watermark = START
        assert (await repo.state("Account")).watermark == START
        assert set(await repo.states()) == {"Account"}


async def test_users_map_to_person_keys_both_ways(db: Database) -> None:
    async with db.sessions.begin() as session:
        repo = CrmRepository(session)
        await repo.upsert_users(
            [
                {"user_id": "005A", "person_key": "U0AE1", "name": "Ava Cole"},
                {"user_id": "005B", "person_key": "005B", "name": "Not in Slack"},
            ]
        )
        await repo.upsert_users([{"user_id": "005A", "person_key": "U0AE1", "name": "Ava C."}])
        assert (await repo.users())["005A"].name == "Ava C."
        assert await repo.user_keys() == {"005A": "U0AE1", "005B": "005B"}
        assert await repo.user_ids_for(["U0AE1", "U0NOBODY"]) == {"U0AE1": "005A"}


async def test_rekey_person_moves_what_they_own_and_remove_people_counts(db: Database, directory) -> None:
    async with db.sessions.begin() as session:
        repo, people = CrmRepository(session), DirectoryRepository(session)
        await repo.rekey_person("U0AE1", "005A")
        assert (await people.account("A-ACME")).owner == "005A"
        assert (await people.opportunity("O-1004")).owner == "005A"
        assert await people.person("U0AE1") is None
        assert await repo.remove_people(["U0AE2", "U0NOBODY"]) == 1
        assert await repo.remove_people([]) == 0
        assert await people.person("U0AE2") is None


async def test_rows_by_id_and_hierarchies_come_from_the_directory(db: Database, directory) -> None:
    async with db.sessions.begin() as session:
        repo = CrmRepository(session)
        accounts = await repo.account_rows(["A-HOOLI", "A-NOWHERE"])
        assert list(accounts) == ["A-HOOLI"] and accounts["A-HOOLI"]["owner"] == "U0AE2"
        assert "root_id" not in accounts["A-HOOLI"]  # the sync never writes it
        assert (await repo.opportunity_rows(["O-1005"]))["O-1005"]["account_id"] == "A-HOOLI"
        assert (await repo.parents())["A-INITECH-DE"] == "A-INITECH"
        assert await repo.parents_near(["A-INITECH-UK"]) == {
            "A-INITECH": None,
            "A-INITECH-DE": "A-INITECH",
            "A-INITECH-UK": "A-INITECH",
            "A-INITECH-FR": "A-INITECH",
        }
        members = await repo.hierarchies_of(["A-INITECH-DE", "A-HOOLI"])
        assert {root: len(accounts) for root, accounts in members.items()} == {"A-INITECH": 4, "A-HOOLI": 1}
        assert await repo.named_counts(["U0SAL1", "U0SAL3", "U0AE2"]) == {"U0SAL1": 1, "U0SAL3": 1}
        assert {"A-HOOLI", "A-ACME"} <= await repo.account_ids()
        assert "O-1005" in await repo.opportunity_ids()


async def test_a_moved_parent_recomputes_the_roots_near_it(db: Database, directory) -> None:
    async with db.sessions.begin() as session:
        repo, people = CrmRepository(session), DirectoryRepository(session)
        assert await repo.recompute_roots_near(["A-HOOLI"]) == 0  # nothing moved
        await people.upsert_accounts(
            [{**(await repo.account_rows(["A-HOOLI"]))["A-HOOLI"], "parent_id": "A-ACME"}]
        )
        assert await repo.recompute_roots_near(["A-HOOLI"]) == 1
        assert sorted(a.account_id for a in await people.hierarchy_of("A-HOOLI")) == ["A-ACME", "A-HOOLI"]


async def test_deletions_count_what_they_removed(db: Database, directory) -> None:
    async with db.sessions.begin() as session:
        repo = CrmRepository(session)
        assert await repo.delete_opportunities(["O-1005", "O-NOWHERE"]) == 1
        assert await repo.delete_accounts(["A-HOOLI"]) == 1
        assert await repo.delete_accounts(["A-HOOLI"]) == 0
        assert "A-HOOLI" not in await repo.account_ids()


async def test_pending_write_backs_name_their_records(db: Database) -> None:
    async with db.sessions.begin() as session:
        for n, (method, status) in enumerate(
            [(WRITE_BACK, "pending"), (WRITE_BACK, "sent"), ("chat.postMessage", "pending")]
        ):
            session.add(
                OutboxRow(
                    dedupe_key=f"d{n}",
                    method=method,
                    status=status,
                    payload={"record_id": f"R{n}"},
                    next_attempt_at=START,
                    created_at=START,
                )
            )
        await session.flush()
        assert await CrmRepository(session).pending_write_backs() == {"R0"}


async def test_drift_is_listed_until_closed_and_reported_once(db: Database) -> None:
    async with db.sessions.begin() as session:
        repo = CrmRepository(session)
        for account, minutes in (("A-1", 2), ("A-2", 1), ("A-3", 3)):
            repo.add_drift(
                CrmDriftRow(
                    account_id=account, new_owner="U0AE1", detected_at=START + timedelta(minutes=minutes)
                )
            )
        await session.flush()
        assert [d.account_id for d in await repo.open_drift()] == ["A-2", "A-1", "A-3"]
        await repo.close_drift(["A-3"])
        first = await repo.open_drift(unreported=True)
        await repo.mark_reported([first[0].id], START)
        assert [d.account_id for d in await repo.open_drift(unreported=True)] == ["A-1"]
        assert [d.account_id for d in await repo.open_drift()] == ["A-2", "A-1"]
