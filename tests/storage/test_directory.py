"""DirectoryRepository and its row mappers: people, regions, accounts, hierarchies, opportunities."""

from __future__ import annotations

import pytest
from sqlalchemy import event, insert, text

from bot.handbook.directory import Role
from storage.db import Database
from storage.directory import (
    ACCOUNTS,
    NAMED_COUNT,
    ORG,
    SMALL_IN,
    DirectoryRepository,
    root_version,
    roots,
)
from storage.models import AccountRow
from tests.conftest import START


@pytest.mark.parametrize(
    ("parents", "expected"),
    [
        ({}, {}),
        ({"A": None}, {"A": "A"}),
        ({"A": None, "B": "A", "C": "B"}, {"A": "A", "B": "A", "C": "A"}),
        ({"B": "GONE"}, {"B": "B"}),  # an unknown parent: the account is its own top
    ],
)
def test_roots_follow_parents_to_the_top(parents: dict[str, str | None], expected: dict[str, str]) -> None:
    assert roots(parents) == expected


def test_a_root_version_names_its_hierarchy() -> None:
    assert root_version("A-INITECH") != root_version("A-HOOLI")
    assert root_version("A-INITECH") == root_version("A-INITECH")


async def test_people_are_read_by_id_email_and_role(db: Database, directory) -> None:
    async with db.sessions.begin() as session:
        repo = DirectoryRepository(session)
        assert (await repo.person("U0AE1")).name == "Ava Cole"
        assert await repo.person("U0NOBODY") is None
        assert set(await repo.people(["U0AE1", "U0AE2", "U0NOBODY"])) == {"U0AE1", "U0AE2"}
        assert len(await repo.people()) == 18  # everyone in bot/samples/org.yaml
        keys = await repo.person_keys()
        assert (keys["ava@example.com"], keys["U0AE1"]) == ("U0AE1", "U0AE1")
        assert [p.slack_id for p in await repo.people_with_roles([Role.RD])] == ["U0RD1", "U0RD2", "U0RD3"]
        assert [r.name for r in await repo.regions()] == ["US-East", "US-West", "EMEA", "APAC", "LATAM"]


async def test_replacing_regions_drops_the_ones_left_out(db: Database, directory) -> None:
    async with db.sessions.begin() as session:
        repo = DirectoryRepository(session)
        before = await repo.versions_of([ORG])
        await repo.replace_regions([{"name": "EMEA", "position": 0, "countries": ["GB"], "states": []}])
        assert [(r.name, r.countries) for r in await repo.regions()] == [("EMEA", ("GB",))]
        assert await repo.versions_of([ORG]) != before


async def test_accounts_and_hierarchies_are_read_by_id_and_root(db: Database, directory) -> None:
    async with db.sessions.begin() as session:
        repo = DirectoryRepository(session)
        assert (await repo.account("A-HOOLI")).name == "Hooli"
        assert await repo.account("A-NOWHERE") is None
        assert set(await repo.accounts(["A-HOOLI", "A-ACME", "A-NOWHERE"])) == {"A-HOOLI", "A-ACME"}
        assert await repo.existing_account_ids(["A-HOOLI", "A-NOWHERE"]) == {"A-HOOLI"}
        initech = {"A-INITECH", "A-INITECH-DE", "A-INITECH-UK", "A-INITECH-FR"}
        assert {a.account_id for a in await repo.hierarchy("A-INITECH")} == initech
        assert {a.account_id for a in await repo.hierarchy_of("A-INITECH-UK")} == initech
        assert ("A-STARK", "Stark Federal Systems", True) in await repo.account_names()
        assert ("A-INITECH-DE", "Initech GmbH", False, "A-INITECH") in await repo.account_index()
        assert await repo.recompute_roots() == 0  # the import stored them already


async def test_set_owner_moves_accounts_and_their_named_count(db: Database, directory) -> None:
    async with db.sessions.begin() as session:
        repo = DirectoryRepository(session)
        assert (await repo.named_count("U0SAL1"), await repo.named_count("U0AE1")) == (1, 0)
        before = await repo.versions_of([root_version("A-INITECH"), ACCOUNTS])
        await repo.set_owner(["A-INITECH-FR"], "U0AE1")
        assert (await repo.named_count("U0SAL1"), await repo.named_count("U0AE1")) == (0, 1)
        after = await repo.versions_of([root_version("A-INITECH"), ACCOUNTS])
        assert after[root_version("A-INITECH")] != before.get(root_version("A-INITECH"))
        assert after[ACCOUNTS] == before[ACCOUNTS]  # only the hierarchy's version moves


async def test_a_hierarchy_read_with_someones_named_count_answers_both_in_one_statement(
    db: Database, directory
) -> None:
    async with db.sessions.begin() as session:
        plain = {a.account_id for a in await DirectoryRepository(session).hierarchy_of("A-INITECH-UK")}
    statements: list[str] = []

    def executed(_conn, _cursor, sql, *_args) -> None:  # type: ignore[no-untyped-def]
        statements.append(sql)

    event.listen(db.engine.sync_engine, "before_cursor_execute", executed)
    try:
        async with db.sessions.begin() as session:
            repo = DirectoryRepository(session)
            hierarchy = await repo.hierarchy_of("A-INITECH-UK", named_of="U0SAL1")
            read = len(statements)
            assert {a.account_id for a in hierarchy} == plain
            assert await repo.named_count("U0SAL1") == 1
            assert len(statements) == read  # counted by the hierarchy's statement
            assert await repo.hierarchy_of("A-NOWHERE", named_of="U0AE1") == []
            assert await repo.named_count("U0AE1") == 0  # no row to carry it: read on its own
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", executed)


async def test_a_named_count_reads_only_the_owners_named_accounts_from_their_index(
    db: Database, directory
) -> None:
    """An owner's hundreds of accounts, a few of them named: the cap's count (checked at every transfer)
    reads the named ones from ix_accounts_owner_named, not every account of the owner (migration 0608)."""
    rows = [
        {"account_id": f"A-BULK-{i}", "name": f"Bulk {i}", "owner": "U0SAL1", "named": i % 150 == 0}
        for i in range(450)
    ]
    async with db.sessions.begin() as session:
        await session.execute(insert(AccountRow), rows)
    async with db.engine.connect() as conn:
        await conn.execute(text("ANALYZE"))
        await conn.commit()
        count = NAMED_COUNT.params(owner="U0SAL1").compile(
            dialect=conn.dialect, compile_kwargs={"literal_binds": True}
        )
        explain = "EXPLAIN QUERY PLAN " if conn.dialect.name == "sqlite" else "EXPLAIN "
        if conn.dialect.name == "postgresql":  # a table this small is read whole; 100,000 accounts are not
            await conn.execute(text("SET LOCAL enable_seqscan = off"))
        plan = " ".join(str(row) for row in await conn.execute(text(explain + str(count))))
    assert "ix_accounts_owner_named" in plan, plan
    async with db.sessions.begin() as session:
        assert await DirectoryRepository(session).named_count("U0SAL1") == 1 + 3  # A-INITECH-FR and 3 here


async def test_touch_accounts_bumps_only_their_hierarchies(db: Database, directory) -> None:
    async with db.sessions.begin() as session:
        repo = DirectoryRepository(session)
        names = [root_version("A-INITECH"), root_version("A-HOOLI")]
        await repo.touch_hierarchies([None, "A-HOOLI"])
        before = await repo.versions_of(names)
        await repo.touch_accounts(["A-INITECH-UK"])
        after = await repo.versions_of(names)
        assert after[names[0]] != before.get(names[0]) and after[names[1]] == before[names[1]]


async def test_re_imported_accounts_keep_an_override_a_review_set(db: Database, directory) -> None:
    async with db.sessions.begin() as session:
        repo = DirectoryRepository(session)
        row = {"account_id": "A-HOOLI", "name": "Hooli", "employees_override": 40, "named": False}
        await repo.upsert_accounts([row])
        await repo.upsert_accounts([{**row, "name": "Hooli XYZ", "employees_override": None}])
        account = await repo.account("A-HOOLI")
        assert (account.name, account.employees_override) == ("Hooli XYZ", 40)


async def test_opportunities_are_read_by_account_and_by_part_of_their_name(db: Database, directory) -> None:
    async with db.sessions.begin() as session:
        repo = DirectoryRepository(session)
        assert (await repo.opportunity("O-1005")).name == "Hooli- 100 Premium"
        assert await repo.opportunity("O-NOWHERE") is None
        oldest_first = ["O-1008", "O-1002"]
        assert [o.opportunity_id for o in await repo.opportunities_for(["A-INITECH-DE"])] == oldest_first
        for padding in (0, SMALL_IN - 1, SMALL_IN):  # padded statements, then the expanding one
            ids = ["A-INITECH-DE", *(f"A-NONE-{i}" for i in range(padding))]
            assert [o.opportunity_id for o in await repo.opportunities_for(ids)] == oldest_first
        assert [o.opportunity_id for o in await repo.opportunities_named_like("gmbh")] == [
            "O-1002",
            "O-1008",
        ]  # shortest name first
        assert await repo.opportunities_named_like("100%") == []  # % is a character, not a wildcard
        await repo.upsert_opportunities(
            [
                {
                    "opportunity_id": "O-NEW",
                    "name": "New",
                    "account_id": "A-HOOLI",
                    "stage": "1-Discovery",
                    "created_date": START.date(),
                }
            ]
        )
        assert (await repo.opportunity("O-NEW")).stage == "1-Discovery"


async def test_id_lists_share_six_statements_and_a_repeated_id_matches_once(db: Database, directory) -> None:
    """with_ids pads a list to 1, 2, 4... 32 with its last id: the transfer's statements are six per
    pool connection whatever the hierarchy sizes, and an id repeated is still one row."""
    statements: set[str] = set()

    def executed(_conn, _cursor, sql, *_args) -> None:  # type: ignore[no-untyped-def]
        if "opportunities.account_id IN" in sql or sql.startswith("UPDATE accounts SET owner"):
            statements.add(sql)

    event.listen(db.engine.sync_engine, "before_cursor_execute", executed)
    try:
        async with db.sessions.begin() as session:
            repo = DirectoryRepository(session)
            for count in range(1, SMALL_IN + 1):
                ids = ["A-INITECH-DE", *(f"A-NONE-{i}" for i in range(count - 1))]
                assert [o.opportunity_id for o in await repo.opportunities_for(ids)] == ["O-1008", "O-1002"]
            initech = ["A-INITECH", "A-INITECH-DE", "A-INITECH-UK"]  # three: padded to four with -UK again
            await repo.set_owner(initech, "U0AE1")
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", executed)
    async with db.sessions() as session:  # read back from the database, not this transaction's memo
        owners = {a.account_id: a.owner for a in await DirectoryRepository(session).hierarchy("A-INITECH")}
    assert {i for i, owner in owners.items() if owner == "U0AE1"} == set(initech)
    assert owners["A-INITECH-FR"] != "U0AE1"
    opportunities = {sql for sql in statements if "opportunities" in sql}
    assert len(opportunities) == 6, len(opportunities)  # 1, 2, 4, 8, 16, 32
    [update] = statements - opportunities
    assert update.count("?") + update.count("$") == 1 + 4, update  # the owner, and the three ids as four
