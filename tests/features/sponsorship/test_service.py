"""Executive sponsorship use-cases, called directly: the checks before the modal, nominating, the listing."""

from __future__ import annotations

import pytest

from bot.deps import Deps
from bot.features.sponsorship import service
from bot.handbook.results import Refused
from storage.db import Database
from storage.sponsorships import SponsorshipRepository
from tests import rows

VP, OTHER_VP, AVA = "U0VP1", "U0VP2", "U0AE1"


async def fill_program(db: Database, n: int = 10) -> None:
    async with db.sessions.begin() as session:
        for i in range(n):
            await SponsorshipRepository(session).add(rows.sponsorship(f"A-SP{i}", 1000 + i, sponsor=OTHER_VP))


async def test_a_vp_may_open_the_modal_for_an_account_they_see(wired: Deps, db: Database) -> None:
    await fill_program(db, 3)
    nominee = await service.may_open(wired, VP, "Globex")
    assert nominee == service.Nominee("A-GLOBEX", "Globex Corporation", 3)


@pytest.mark.parametrize(("user", "text"), [(AVA, "Globex"), ("U0NOBODY", "Globex")])
async def test_only_a_vp_in_the_directory_may_nominate(wired: Deps, user: str, text: str) -> None:
    assert isinstance(await service.may_open(wired, user, text), Refused)


async def test_a_full_program_lists_who_holds_the_places(wired: Deps, db: Database) -> None:
    await fill_program(db)
    full = await service.may_open(wired, VP, "Globex")
    assert isinstance(full, service.Full)
    assert [r["account"] for r in full.running] == [f"A-SP{i}" for i in range(10)]
    nominated = await service.nominate(
        wired, nominator_id=VP, account_id="A-GLOBEX", sponsor_id=OTHER_VP, why=""
    )
    assert isinstance(nominated, service.Full)


async def test_a_nomination_opens_once_and_is_listed(wired: Deps) -> None:
    nominated = await service.nominate(
        wired, nominator_id=VP, account_id="A-GLOBEX", sponsor_id=OTHER_VP, why="Strategic"
    )
    assert isinstance(nominated, service.Nominated)
    assert (nominated.sponsor, nominated.account_name) == ("U0VP2", "Globex Corporation")  # Ryan Oneill
    again = await service.nominate(wired, nominator_id=VP, account_id="A-GLOBEX", sponsor_id=OTHER_VP, why="")
    assert isinstance(again, Refused) and "already has an open nomination" in again.reason
    listing = await service.listing(wired, VP)
    assert (listing.running, [n["id"] for n in listing.nominations]) == ([], [nominated.request_id])
    assert listing.cap == 10


@pytest.mark.parametrize(
    ("account", "sponsor", "why", "field"),
    [
        ("A-GLOBEX", OTHER_VP, "x" * (service.MAX_WHY + 1), "why"),
        ("A-NOWHERE", OTHER_VP, "", ""),
        ("A-GLOBEX", "U0NOBODY", "", ""),
        ("A-GLOBEX", VP, "", ""),  # not yourself
        ("A-STARK", OTHER_VP, "", ""),  # hidden from the nominator
    ],
)
async def test_a_nomination_is_refused_naming_its_field(
    wired: Deps, account: str, sponsor: str, why: str, field: str
) -> None:
    refused = await service.nominate(wired, nominator_id=VP, account_id=account, sponsor_id=sponsor, why=why)
    assert isinstance(refused, Refused) and refused.field == field
