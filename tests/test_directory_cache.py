"""The directory read cache behind /gtm owner and /gtm segment: a write in one process is seen by the next
look-up in every other one (each keeps its own cache; they agree through the directory versions)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.deps import Deps
from bot.features.directory.cache import DirectoryCache, is_open
from bot.features.directory.importer import import_file
from bot.features.ownership.service import load_view
from bot.standin.web_api import SlackStandIn
from storage.crm import CrmRepository
from storage.db import Database, ReadPool
from storage.directory import DirectoryRepository
from storage.reviews import ReviewRepository
from tests.conftest import another_process
from tests.slack.client import SlackClient
from tests.test_ownership import request_hooli


async def look(db: Database, cache: DirectoryCache, text: str, user: str = "U0AE1"):
    return await cache.lookup(db, user, text, opportunities=True)


async def test_an_approved_transfer_in_one_process_is_seen_by_another_processs_cache(
    slack: SlackClient, standin: SlackStandIn, db: Database, directory
) -> None:
    other = DirectoryCache()  # a second `gtm-bot serve`, warmed before the transfer
    assert (await look(db, other, "Hooli")).view.account.owner == "U0AE2"
    assert "*Owner:* <@U0AE2>" in (await slack.command("owner Hooli", "U0AE1")).text
    sent = await request_hooli(slack, standin)
    await slack.click("U0AE2", "approval.approve", sent["approve"]["value"])
    after = await look(db, other, "Hooli")
    assert after.view.account.owner == "U0AE1"
    assert after.people["U0AE1"].name == "Ava Cole"
    assert "*Owner:* <@U0AE1>" in (await slack.command("owner Hooli", "U0AE1")).text


async def test_a_reviewed_count_changes_the_cached_segment_of_the_whole_hierarchy(
    db: Database, directory
) -> None:
    cache = DirectoryCache()
    assert (await look(db, cache, "Initech UK Ltd")).view.segment.segment == "Large"  # GmbH's 2,400
    async with db.sessions.begin() as session:
        reviews = ReviewRepository(session)
        assert await reviews.set_employees_override("A-INITECH-DE", 50)
    seen = await cache.lookup(db, "U0AE1", "Initech UK Ltd")
    assert seen.view.segment.segment == "Mid-Market"  # Initech's own 1,500 now decides
    assert "Mid-Market" in seen.view.segment.summary("A-INITECH-UK")


async def test_new_regions_move_every_cached_hierarchys_territory(db: Database, directory) -> None:
    """A hierarchy's territory is kept with it while the regions stay (org version); new regions redo it."""
    cache = DirectoryCache()
    before = await look(db, cache, "Initech UK Ltd")
    assert before.view.region is not None
    address = before.view.territory.address.address
    async with db.sessions.begin() as session:
        repo = DirectoryRepository(session)
        regions = [
            {"name": r.name, "position": i, "countries": [c for c in r.countries if c != address.country],
             "states": [s for s in r.states if s != address.state]}
            for i, r in enumerate(await repo.regions())
        ]  # fmt: skip
        moved = {"name": "Moved", "position": 0, "countries": [address.country], "states": [address.state]}
        await repo.replace_regions([moved, *({**r, "position": r["position"] + 1} for r in regions)])
    for text in ("Initech UK Ltd", "Initech GmbH"):  # the same hierarchy, another member too
        after = await look(db, cache, text)
        assert after.view.region is not None and after.view.region.name == "Moved"
        assert after.view.territory == (await look(db, DirectoryCache(), text)).view.territory


async def test_an_import_renames_and_adds_accounts_and_opportunities_for_every_cache(
    db: Database, directory, tmp_path: Path
) -> None:
    cache = DirectoryCache()
    before = await look(db, cache, "Hooli")
    assert before.view is not None and before.opportunities is not None
    header = (Path(__file__).parent.parent / "bot/samples/accounts.csv").read_text().splitlines()[0]
    accounts = tmp_path / "accounts.csv"
    accounts.write_text(
        header + "\nA-HOOLI,Hooli XYZ,,U0AE2,Prospect,false,hooli.example,,250,,,,,,US,NJ,,,,,false,U0SDR1\n"
    )
    await import_file(db, "accounts", accounts)
    assert (await look(db, cache, "Hooli XYZ")).view.account.account_id == "A-HOOLI"
    opps = tmp_path / "opportunities.csv"
    opps.write_text(
        "opportunity_id,name,account_id,owner,stage,type,created_date,amount,close_date,"
        "parent_opportunity_id,sdr\nO-NEW,Hooli XYZ-New Business-Platform,A-HOOLI,U0AE2,"
        "2-Scoping,New Business,2026-01-05,1000,2026-06-30,,\n"
    )
    await import_file(db, "opportunities", opps)
    seen = await look(db, cache, "A-HOOLI")
    assert "O-NEW" in {o.opportunity_id for o in seen.opportunities}


async def test_the_cache_keeps_public_sector_accounts_hidden_and_bounded(db: Database, directory) -> None:
    cache = DirectoryCache(max_members=1)
    assert (await look(db, cache, "Stark Federal Systems", "U0AE1")).view is None
    assert (await look(db, cache, "A-STARK", "U0AE1")).view is None
    assert (await look(db, cache, "A-STARK", "U0PUB1")).view is not None
    await look(db, cache, "Initech")
    await look(db, cache, "Hooli")
    assert len(cache._trees) == 1  # only the newest hierarchy is kept past the bound


async def test_owner_changes_bump_only_the_hierarchy_they_touch(db: Database, directory) -> None:
    async with db.sessions.begin() as session:
        repo = DirectoryRepository(session)
        before = await repo.versions_of(["accounts", "opportunities"])
        await repo.set_owner(["A-HOOLI"], "U0AE1")
    async with db.reads() as session:
        repo = DirectoryRepository(session)
        assert await repo.versions_of(["accounts", "opportunities"]) == before


async def test_the_crm_syncs_direct_writes_reach_every_cache(db: Database, directory) -> None:
    cache = DirectoryCache()
    before = await look(db, cache, "Hooli")
    assert before.view.account.owner == "U0AE2"
    assert "O-1005" in {o.opportunity_id for o in before.opportunities}
    async with db.sessions.begin() as session:
        crm = CrmRepository(session)
        await crm.rekey_person("U0AE2", "U0AE1")  # Ben's records move to Ava; Ben leaves the directory
        assert await crm.delete_opportunities(["O-1005"]) == 1
    seen = await look(db, cache, "Hooli")
    assert seen.view.account.owner == "U0AE1" and "U0AE2" not in seen.people
    assert "O-1005" not in {o.opportunity_id for o in seen.opportunities}


async def test_cached_views_and_opportunities_are_what_the_writers_read(db: Database, directory) -> None:
    """The cache's reads (on SQLite the driver's own cursor, types converted by hand) give the same accounts,
    hierarchy, segment and open opportunities as the writers' path through SQLAlchemy."""
    cache = DirectoryCache()
    for account_id in ("A-INITECH-UK", "A-INITECH", "A-HOOLI", "A-GLOBEX"):
        seen = await look(db, cache, account_id)
        async with db.reads() as session:
            repo = DirectoryRepository(session)
            view = await load_view(repo, account_id)
            members = await repo.hierarchy_of(account_id)
            opportunities = [o for o in await repo.opportunities_for([account_id]) if is_open(o.stage)]
        assert seen.view is not None and view is not None
        assert seen.view.account == view.account
        assert set(seen.view.hierarchy.members) == set(members)
        assert seen.view.segment.summary(account_id) == view.segment.summary(account_id)
        assert seen.opportunities == opportunities
    assert any(o.created_date is not None for o in seen.opportunities)


async def test_concurrent_first_look_ups_share_the_inline_connection_without_waiting(
    db: Database, directory
) -> None:
    """Twenty look-ups at once on a cold cache: the first loads the index through the async driver while the
    others read versions inline; none may wait on the single inline connection (it would block the loop)."""
    cache = DirectoryCache()
    texts = ["Hooli", "A-INITECH-UK", "Initech GmbH", "Globx Corporation", "A-STARK"] * 4
    found = await asyncio.wait_for(asyncio.gather(*(look(db, cache, t) for t in texts)), timeout=20)
    assert [f.view.account.account_id if f.view else None for f in found[:5]] == [
        "A-HOOLI", "A-INITECH-UK", "A-INITECH-DE", "A-GLOBEX", None
    ]  # fmt: skip
    assert all(f.view == g.view for f, g in zip(found, found[5:], strict=False))
    if db.inline is not None:
        assert not db.inline.busy  # every look-up gave the inline connection back


async def test_concurrent_first_look_ups_read_and_index_the_accounts_once(
    db: Database, directory, monkeypatch
) -> None:
    """Look-ups arriving together on a cold cache wait for one reload instead of each reading every account
    and building its own name index (at 140,000 accounts, five at once held ~200 MB more in `serve`)."""
    reads: list[str] = []
    original = DirectoryRepository.account_index

    async def counted(repo: DirectoryRepository) -> list[tuple[str, str, bool, str | None]]:
        reads.append("accounts")
        await asyncio.sleep(0.05)  # the others arrive while it reads
        return await original(repo)

    monkeypatch.setattr(DirectoryRepository, "account_index", counted)
    cache = DirectoryCache()
    texts = ["Hooli", "A-INITECH-UK", "Initech GmbH", "Globx Corporation"] * 3
    found = await asyncio.wait_for(asyncio.gather(*(look(db, cache, t) for t in texts)), timeout=20)
    assert reads == ["accounts"]
    ids = [f.view.account.account_id for f in found[:4]]
    assert ids == ["A-HOOLI", "A-INITECH-UK", "A-INITECH-DE", "A-GLOBEX"]
    async with db.sessions.begin() as session:  # an import: the next look-ups reload once more, together
        await DirectoryRepository(session).bump_version("accounts")
    await asyncio.gather(*(look(db, cache, t) for t in texts))
    assert reads == ["accounts", "accounts"]


async def test_a_write_is_seen_by_the_next_look_up_in_another_process_while_others_are_in_flight(
    slack: SlackClient, standin: SlackStandIn, db: Database, directory, deps: Deps, monkeypatch
) -> None:
    """Concurrent look-ups share their reads on PostgreSQL (storage/next_read.py), each slowed here so that
    one is always in flight: the look-up sent after a write committed must not get that read's answer."""
    original = ReadPool.fetchrow

    async def slow(pool: ReadPool, sql: str, *args: object) -> object:
        row = await original(pool, sql, *args)  # its snapshot is taken; the answer comes back late
        await asyncio.sleep(0.02)
        return row

    monkeypatch.setattr(ReadPool, "fetchrow", slow)
    async with another_process(deps, slack, standin) as other:
        assert "*Owner:* <@U0AE2>" in (await other.command("owner Hooli", "U0AE1")).text
        stop = asyncio.Event()

        async def keep_asking() -> None:
            while not stop.is_set():
                await other.command("owner Hooli", "U0AE1")

        busy = [asyncio.create_task(keep_asking()) for _ in range(10)]
        await asyncio.sleep(0.1)
        try:
            for new_owner in ("U0AE1", "U0AE2", "U0AE1"):
                async with db.sessions.begin() as session:  # a write in this process
                    await DirectoryRepository(session).set_owner(["A-HOOLI"], new_owner)
                text = (await other.command("owner Hooli", "U0AE1")).text
                assert f"is owned by <@{new_owner}>" in text, text
        finally:
            stop.set()
            await asyncio.gather(*busy)


async def test_a_process_indexes_the_directory_as_it_starts_not_in_its_first_look_up(
    slack: SlackClient, standin: SlackStandIn, deps: Deps, directory, monkeypatch
) -> None:
    """Indexing 140,000 accounts takes about 2 s on a 2-core machine: a fresh worker's first look-ups waited
    for it inside their own answer's time, and some answered "database unavailable". A process started
    after the data reads it before it serves, so its first `/gtm owner` reads nothing more than versions."""
    async with another_process(deps, slack, standin) as other:

        async def reloaded(*_args: object) -> None:
            raise AssertionError("a look-up read the people or indexed the accounts")

        monkeypatch.setattr(DirectoryCache, "_reload", reloaded)
        assert "*Owner:* <@U0AE2>" in (await other.command("owner Hooli", "U0AE1")).text
