"""`gtm-bot import` through the real CLI: FILE:LINE errors, exit 2, nothing half-written, idempotent."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from storage.db import Database, is_lock_timeout, lock_wait_limit
from storage.models import AccountRow, OpportunityRow, PersonRow, staged_accounts, staged_opportunities
from tests.conftest import SAMPLES, gtm_bot

HEADER = (SAMPLES / "accounts.csv").read_text().splitlines()[0]


async def import_cli(db: Database, *args: str) -> tuple[int, str]:
    """Run `gtm-bot ARGS` in its own process against the test database; (exit status, stderr)."""
    status, _, stderr = await gtm_bot({**os.environ, "DATABASE_URL": db.url}, *args)
    return status, stderr


async def snapshot(db: Database) -> list[tuple]:
    async with db.reads() as session:
        accounts = (await session.execute(select(AccountRow).order_by(AccountRow.account_id))).scalars()
        return [tuple(getattr(a, c.key) for c in AccountRow.__table__.columns) for a in accounts]


async def import_samples(db: Database) -> None:
    for kind, name in (
        ("org", "org.yaml"),
        ("accounts", "accounts.csv"),
        ("opportunities", "opportunities.csv"),
    ):
        status, stderr = await import_cli(db, "import", kind, str(SAMPLES / name))
        assert status == 0, stderr


async def test_re_importing_the_same_files_changes_nothing(db: Database) -> None:
    await import_samples(db)
    before = await snapshot(db)
    await import_samples(db)
    assert await snapshot(db) == before
    assert len(before) >= 10


def accounts_file(tmp_path: Path, *rows: str) -> Path:
    path = tmp_path / "accounts.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n")
    return path


GOOD = "A-NEW,New Co,,U0AE1,Prospect,false,new.example,150,,,,,US,NY,,,,,,,false,"


@pytest.mark.parametrize(
    ("rows", "line", "message"),
    [
        ((GOOD, GOOD), 3, "account_id A-NEW already on line 3"),
        (
            (GOOD, GOOD.replace("A-NEW,New Co", "A-TWO,Two")[:-1].replace(",150,", ",lots,") + ","),
            3,
            "employees_datafox must be a whole number",
        ),
        ((GOOD.replace("U0AE1", "nobody@example.com"),), 2, "owner 'nobody@example.com' is not a slack_id"),
        ((GOOD.replace("Prospect", "Customerish"),), 2, "type 'Customerish' must be one of"),
        ((GOOD.replace(",,U0AE1", ",A-MISSING,U0AE1"),), 2, "parent_id A-MISSING is not a known account"),
        ((GOOD.replace("false,new", "maybe,new"),), 2, "named must be true or false"),
        ((GOOD + ",extra",), 2, "expected 22 columns, found 23"),
    ],
)
async def test_a_bad_row_is_refused_with_file_and_line_and_nothing_is_written(
    db: Database, directory: Database, tmp_path: Path, rows: tuple[str, ...], line: int, message: str
) -> None:
    before = await snapshot(db)
    path = accounts_file(tmp_path, GOOD.replace("A-NEW", "A-FIRST"), *rows)
    status, stderr = await import_cli(db, "import", "accounts", str(path))
    assert status == 2
    first = stderr.strip().splitlines()[-1]
    assert first.startswith(f"{path}:{line + 1}: ") and message in first, stderr
    assert "Traceback" not in stderr
    assert await snapshot(db) == before  # not even the good first row


async def test_a_wrong_header_and_bad_org_yaml_name_their_line(db: Database, tmp_path: Path) -> None:
    bad_csv = tmp_path / "a.csv"
    bad_csv.write_text("account_id,name\nA1,x\n")
    status, stderr = await import_cli(db, "import", "accounts", str(bad_csv))
    assert status == 2 and f"{bad_csv}:1: header must be exactly" in stderr
    org = tmp_path / "org.yaml"
    org.write_text(
        "regions:\n  - {name: EMEA, countries: [GB]}\npeople:\n  - {slack_id: U0X1, name: X, role: WIZARD}\n"
    )
    status, stderr = await import_cli(db, "import", "org", str(org))
    assert status == 2 and f"{org}:4: role 'WIZARD' must be one of" in stderr
    async with db.reads() as session:
        assert await session.scalar(select(func.count()).select_from(PersonRow)) == 0


async def test_stage_spellings_are_stored_canonically(
    db: Database, directory: Database, tmp_path: Path
) -> None:
    header = (SAMPLES / "opportunities.csv").read_text().splitlines()[0]
    path = tmp_path / "opps.csv"
    path.write_text(
        f"{header}\nO-9,Acme- 5 Premium,A-ACME,U0AE1,6-Closed Won,New Business,2026-01-05,100,,,\n"
    )
    status, stderr = await import_cli(db, "import", "opportunities", str(path))
    assert status == 0, stderr
    async with db.reads() as session:
        assert (
            await session.scalar(select(OpportunityRow.stage).where(OpportunityRow.opportunity_id == "O-9"))
            == "7-Closed Won"
        )


async def test_a_re_import_keeps_an_override_that_an_applied_review_set(db: Database) -> None:
    await import_samples(db)
    async with db.sessions.begin() as session:  # what applying an approved segment review writes
        await session.execute(
            update(AccountRow).where(AccountRow.account_id == "A-HOOLI").values(employees_override=2500)
        )
    await import_samples(db)
    async with db.reads() as session:
        kept = await session.scalar(
            select(AccountRow.employees_override).where(AccountRow.account_id == "A-HOOLI")
        )
    assert kept == 2500


OPP_HEADER = (SAMPLES / "opportunities.csv").read_text().splitlines()[0]


async def test_an_add_on_whose_parent_is_an_add_on_stops_the_import_with_its_line(
    db: Database, directory: Database, tmp_path: Path
) -> None:
    # The importer's contract: a bad row stops the import with FILE:LINE, exit 2, nothing written. A rule
    # broken in a row is a bad row, so this is not skipped-and-continued either.
    rows = [
        "O-A1,Acme- 10 Add,A-ACME,U0AE1,1-Discovery,Add-On Business,2026-10-01,1000,2027-01-01,O-1004,",
        "O-A2,Acme- 5 Add,A-ACME,U0AE1,1-Discovery,Add-On Business,2026-10-02,500,2027-01-01,O-A1,",
    ]
    path = tmp_path / "opportunities.csv"
    path.write_text("\n".join([OPP_HEADER, *rows]) + "\n")
    status, stderr = await import_cli(db, "import", "opportunities", str(path))
    assert status == 2
    assert (
        f"{path}:3: parent_opportunity_id O-A1 is an Add-on: A parent opportunity cannot be another" in stderr
    )
    async with db.reads() as session:
        assert await session.get(OpportunityRow, "O-A1") is None  # not even the good first row
    path.write_text("\n".join([OPP_HEADER, rows[0]]) + "\n")  # a Renewal parent is fine
    assert (await import_cli(db, "import", "opportunities", str(path)))[0] == 0


def test_the_org_file_marks_e_group_cro_and_vps_by_default(tmp_path: Path) -> None:
    from bot.features.directory.importer import parse_org

    org = tmp_path / "org.yaml"
    org.write_text(
        "regions:\n  - {name: EMEA, countries: [GB]}\npeople:\n"
        "  - {slack_id: U0X1, name: C, role: CRO}\n"
        "  - {slack_id: U0X2, name: V, role: VP}\n"
        "  - {slack_id: U0X3, name: W, role: VP, e_group: false}\n"
        "  - {slack_id: U0X4, name: A, role: ADMIN, e_group: true}\n"
        "  - {slack_id: U0X5, name: E, role: AE}\n"
    )
    flags = {p["slack_id"]: p["e_group"] for p in parse_org(org).people}
    assert flags == {"U0X1": True, "U0X2": True, "U0X3": False, "U0X4": True, "U0X5": False}


async def test_an_import_never_holds_the_write_lock_long_and_leaves_nothing_staged(
    db: Database, directory: Database, tmp_path: Path
) -> None:
    """30,000 rows: parsed without the lock, staged in chunks, applied in one short transaction. Writers
    meanwhile (the bot answering clicks) each get the lock within their bounded wait."""
    rows = [GOOD.replace("A-NEW,New Co", f"A-BIG{i},Big Co {i}") for i in range(30_000)]
    path = accounts_file(tmp_path, *rows)
    importing = asyncio.create_task(import_cli(db, "import", "accounts", str(path)))
    written, refused = 0, 0
    while not importing.done():
        try:
            with lock_wait_limit(1.5):  # a click's budget, less the time to answer
                async with db.sessions.begin() as session:
                    await session.execute(
                        update(PersonRow).where(PersonRow.slack_id == "U0AE1").values(name="Ava")
                    )
            written += 1
        except Exception as error:
            if not is_lock_timeout(error):
                raise
            refused += 1
        await asyncio.sleep(0.05)
    status, stderr = await importing
    assert status == 0, stderr
    # Holding the lock for the whole import (as it once did) refuses every write meanwhile; staged, only the
    # short final transaction can (once, or twice on a loaded machine). The lock's length is a bench number.
    assert written >= 3 and refused <= 2, (written, refused)
    async with db.reads() as session:
        assert await session.scalar(select(func.count()).select_from(AccountRow)) >= 30_000
        for table in (staged_accounts, staged_opportunities):
            assert await session.scalar(select(func.count()).select_from(table)) == 0
    bad = accounts_file(tmp_path, *rows[:100], rows[0])  # a duplicate id on the last line
    status, _ = await import_cli(db, "import", "accounts", str(bad))
    assert status == 2
    async with db.reads() as session:
        assert await session.scalar(select(func.count()).select_from(staged_accounts)) == 0
