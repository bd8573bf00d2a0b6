"""insert_ignore, upsert_many and upsert_from: one call, the same outcome on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import select

from storage.db import Database
from storage.models import AccountRow, DirectoryVersionRow, staged_accounts
from storage.upsert import insert_ignore, upsert_from, upsert_many


async def tokens(session) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return dict((await session.execute(select(DirectoryVersionRow.name, DirectoryVersionRow.token))).all())


async def test_insert_ignore_inserts_once(db: Database) -> None:
    async with db.sessions.begin() as session:
        assert await insert_ignore(session, DirectoryVersionRow, {"name": "a", "token": "1"}, ["name"])
        assert not await insert_ignore(session, DirectoryVersionRow, {"name": "a", "token": "2"}, ["name"])
        assert await tokens(session) == {"a": "1"}


async def test_upsert_many_inserts_updates_and_reports_each_batch(db: Database) -> None:
    batches: list[int] = []
    async with db.sessions.begin() as session:
        await upsert_many(session, DirectoryVersionRow, [], ["name"], on_batch=batches.append)
        await upsert_many(session, DirectoryVersionRow, [{"name": "a", "token": "1"}], ["name"])
        rows = [{"name": f"n{i}", "token": "x"} for i in range(5001)] + [{"name": "a", "token": "2"}]
        await upsert_many(session, DirectoryVersionRow, rows, ["name"], on_batch=batches.append)
        found = await tokens(session)
        assert (len(found), found["a"]) == (5002, "2")
        assert batches == [5000, 2]


async def test_keep_when_null_keeps_the_stored_value_in_both_upserts(db: Database) -> None:
    row = {"account_id": "A-1", "name": "One", "named": False, "employees_override": 40}
    async with db.sessions.begin() as session:
        await upsert_many(session, AccountRow, [row], ["account_id"])
        await upsert_many(
            session,
            AccountRow,
            [{**row, "name": "Uno", "employees_override": None}],
            ["account_id"],
            keep_when_null=["employees_override"],
        )
        assert (await session.get(AccountRow, "A-1", populate_existing=True)).employees_override == 40
        await session.execute(
            staged_accounts.insert().values(
                import_id="i",
                account_id="A-1",
                name="Eins",
                named=False,
                public_sector=False,
                employees_override=None,
            )
        )
        await upsert_from(
            session,
            AccountRow,
            staged_accounts,
            staged_accounts.c.import_id == "i",
            ["account_id"],
            keep_when_null=["employees_override"],
        )
        stored = await session.get(AccountRow, "A-1", populate_existing=True)
        assert (stored.name, stored.employees_override) == ("Eins", 40)
        await upsert_from(
            session, AccountRow, staged_accounts, staged_accounts.c.import_id == "i", ["account_id"]
        )
        assert (await session.get(AccountRow, "A-1", populate_existing=True)).employees_override is None
