"""ImportStagingRepository: staged rows are applied in one statement, or cleared, per import."""

from __future__ import annotations

from storage.db import Database
from storage.directory import DirectoryRepository
from storage.reviews import ReviewRepository
from storage.staging import ImportStagingRepository
from tests.conftest import START


async def test_an_applied_import_upserts_only_its_own_rows_and_keeps_overrides(
    db: Database, directory
) -> None:
    async with db.sessions.begin() as session:
        await ReviewRepository(session).set_employees_override("A-HOOLI", 40)
        repo = ImportStagingRepository(session)
        await repo.stage(
            "accounts",
            "mine",
            [{"account_id": "A-HOOLI", "name": "Hooli XYZ", "named": False, "public_sector": False}],
        )
        await repo.stage("accounts", "mine", [])  # an empty chunk stages nothing
        await repo.stage(
            "accounts",
            "theirs",
            [{"account_id": "A-ACME", "name": "Acme 2", "named": False, "public_sector": False}],
        )
        await repo.stage(
            "opportunities",
            "mine",
            [
                {
                    "opportunity_id": "O-NEW",
                    "name": "New",
                    "account_id": "A-HOOLI",
                    "stage": "1-Discovery",
                    "created_date": START.date(),
                }
            ],
        )
        await repo.apply("accounts", "mine")
        await repo.apply("opportunities", "mine")
        await repo.clear("accounts", "theirs")
        await repo.apply("accounts", "theirs")  # cleared: nothing left to apply
        directory_repo = DirectoryRepository(session)
        hooli = await directory_repo.account("A-HOOLI")
        assert (hooli.name, hooli.employees_override) == ("Hooli XYZ", 40)
        assert (await directory_repo.account("A-ACME")).name == "Acme, Inc"
        assert (await directory_repo.opportunity("O-NEW")).account_id == "A-HOOLI"
