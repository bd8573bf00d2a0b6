"""Holdover use-cases, called directly: report and transfer times, my holdovers, one holdover, extensions."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.deps import Deps
from bot.features.holdovers import service
from bot.handbook.results import Refused
from storage.db import Database
from storage.holdovers import HoldoverRepository
from tests import rows
from tests.conftest import START

KEEPER, TAKER = "U0AE2", "U0AE1"  # Ben keeps Hooli's opportunity for now; Ava took the account
EVIDENCE = "Signed order form expected after the legal review next week"


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (datetime(2026, 11, 24, 15, 0, tzinfo=UTC), datetime(2026, 11, 30, 14, 0, tzinfo=UTC)),  # a Tuesday
        (datetime(2026, 11, 30, 13, 59, tzinfo=UTC), datetime(2026, 11, 30, 14, 0, tzinfo=UTC)),
        (
            datetime(2026, 11, 30, 14, 0, tzinfo=UTC),
            datetime(2026, 12, 7, 14, 0, tzinfo=UTC),
        ),  # strictly after
    ],
)
def test_the_report_goes_out_on_the_next_monday_afternoon(now: datetime, expected: datetime) -> None:
    assert service.next_report_at(now) == expected


def test_the_transfer_is_due_the_midnight_after_the_last_day() -> None:
    row = rows.holdover(ends_on=date(2026, 12, 31))
    assert service.transfer_due(row) == datetime(2027, 1, 1, tzinfo=UTC)


async def add_holdover(db: Database, **kw: object) -> int:
    fields: dict = {"opportunity_name": "Hooli- 100 Premium", "original_owner": KEEPER, "new_owner": TAKER}
    fields["created_on"] = date(2026, 11, 10)
    fields.update(kw)
    async with db.sessions.begin() as session:
        return (await HoldoverRepository(session).add(rows.holdover("O-1005", **fields))).id


async def test_mine_splits_what_i_keep_from_what_comes_to_me(wired: Deps, db: Database) -> None:
    await add_holdover(db)
    kept, incoming = await service.mine(wired, KEEPER), await service.mine(wired, TAKER)
    assert ([h["name"] for h in kept.kept], kept.incoming) == (["Hooli- 100 Premium"], [])
    assert (incoming.kept, [h["original_owner"] for h in incoming.incoming]) == ([], ["U0AE2"])  # a mention
    assert await service.mine(wired, "U0SAL1") == service.Listing([], [])


@pytest.mark.parametrize(
    ("user", "text", "shown", "may_extend"),
    [
        (KEEPER, "O-1005", True, True),
        (KEEPER, "hooli- 100", True, True),  # by part of its name
        (TAKER, "O-1005", True, False),  # only the original owner asks
        ("U0OPS1", "O-1005", True, False),  # Sales Ops sees it
        ("U0SAL1", "O-1005", False, False),  # a bystander does not
        (KEEPER, "O-1001", False, False),  # no holdover there
    ],
)
async def test_detail_shows_a_holdover_to_its_owners_and_staff(
    wired: Deps, db: Database, user: str, text: str, shown: bool, may_extend: bool
) -> None:
    await add_holdover(db)
    found = await service.detail(wired, user, text)
    assert isinstance(found, Refused) is not shown
    if shown:
        assert (found.holdover["opportunity_id"], found.may_extend) == ("O-1005", may_extend)


async def test_the_extension_form_is_only_for_the_original_owner_in_time(wired: Deps, db: Database) -> None:
    holdover_id = await add_holdover(db)
    form = await service.extension_form(wired, KEEPER, holdover_id)
    assert not isinstance(form, Refused)
    assert (form.close_date, form.deadline) == ("2027-03-31", "2027-03-10")  # day 120
    assert isinstance(await service.extension_form(wired, TAKER, holdover_id), Refused)
    assert isinstance(await service.extension_form(wired, KEEPER, holdover_id + 1), Refused)
    late = await add_holdover(db, created_on=date(2026, 1, 1))
    assert isinstance(await service.extension_form(wired, KEEPER, late), Refused)


async def test_an_extension_request_goes_to_the_new_owner_once(wired: Deps, db: Database) -> None:
    holdover_id = await add_holdover(db)
    close = START.date() + timedelta(days=30)
    asked = await service.request_extension(
        wired, user=KEEPER, holdover_id=holdover_id, close_date=close, evidence=EVIDENCE
    )
    assert isinstance(asked, service.ExtensionAsked) and asked.new_owner == TAKER
    async with db.sessions() as session:
        row = await HoldoverRepository(session).get(holdover_id)
    assert (row.status, row.extension_request_id, row.extension_close_date) == (
        "extension_requested",
        asked.request_id,
        close,
    )
    again = await service.request_extension(
        wired, user=KEEPER, holdover_id=holdover_id, close_date=close, evidence=EVIDENCE
    )
    assert isinstance(again, Refused)


@pytest.mark.parametrize(
    ("close_in", "evidence", "field"),
    [
        (None, EVIDENCE, ""),
        (30, "x" * (service.MAX_EVIDENCE + 1), "evidence"),
        (30, "soon", "evidence"),  # too few words
        (200, EVIDENCE, ""),  # beyond the 90 days
    ],
)
async def test_an_extension_request_is_refused_naming_its_field(
    wired: Deps, db: Database, close_in: int | None, evidence: str, field: str
) -> None:
    holdover_id = await add_holdover(db)
    close = None if close_in is None else START.date() + timedelta(days=close_in)
    refused = await service.request_extension(
        wired, user=KEEPER, holdover_id=holdover_id, close_date=close, evidence=evidence
    )
    assert isinstance(refused, Refused) and refused.field == field
