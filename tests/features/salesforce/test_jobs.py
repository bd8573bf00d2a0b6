"""Salesforce use-cases, called directly: when the drift digest goes out, and who reads the drift."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest
from sqlalchemy import select

from bot.deps import Deps
from bot.features.salesforce import jobs
from bot.handbook.results import Refused
from storage.crm import CrmRepository
from storage.db import Database
from storage.models import CrmDriftRow, JobRow
from tests.conftest import START


@pytest.mark.parametrize(
    ("now", "day"),
    [
        (datetime(2026, 11, 24, 15, 0, tzinfo=UTC), datetime(2026, 11, 25, tzinfo=UTC)),  # Tuesday: Wednesday
        (datetime(2026, 11, 25, 15, 0, tzinfo=UTC), datetime(2026, 11, 27, tzinfo=UTC)),  # over Thanksgiving
        (datetime(2026, 11, 27, 15, 0, tzinfo=UTC), datetime(2026, 11, 30, tzinfo=UTC)),  # over the weekend
    ],
)
def test_the_drift_digest_goes_out_the_next_business_morning(
    deps: Deps, now: datetime, day: datetime
) -> None:
    assert jobs.next_business_morning(deps, now) == datetime.combine(day.date(), time(jobs.MORNING_HOUR), UTC)


async def test_scheduling_the_digest_twice_for_a_day_keeps_one_job(deps: Deps, db: Database) -> None:
    await jobs.schedule_drift_digest(deps, START)
    await jobs.schedule_drift_digest(deps, START)
    async with db.sessions() as session:
        due = list(await session.scalars(select(JobRow.due_at).where(JobRow.kind == jobs.DRIFT_JOB)))
    assert due == [datetime(2026, 11, 25, jobs.MORNING_HOUR, tzinfo=UTC)]


async def add_drift(db: Database, account_id: str, name: str) -> None:
    async with db.sessions.begin() as session:
        CrmRepository(session).add_drift(
            CrmDriftRow(
                account_id=account_id,
                account_name=name,
                old_owner="U0AE2",
                new_owner="U0AE1",
                reasons=["named cap"],
                detected_at=START,
            )
        )


@pytest.mark.parametrize(
    ("user", "allowed"), [("U0OPS1", True), ("U0RD1", True), ("U0AE1", False), ("U0NOBODY", False)]
)
async def test_drift_is_for_sales_ops_rds_and_leadership(
    deps: Deps, directory, user: str, allowed: bool
) -> None:
    await add_drift(deps.db, "A-HOOLI", "Hooli")
    lines = await jobs.drift_for(deps, user)
    assert isinstance(lines, Refused) is not allowed
    if allowed:
        assert lines == [
            {
                "account": "Hooli",
                "account_id": "A-HOOLI",
                "old_owner": "U0AE2",  # mentions
                "new_owner": "U0AE1",
                "reasons": ["named cap"],
                "since": "2026-11-24",
            }
        ]


async def test_a_public_sector_account_stays_unnamed_in_the_drift(deps: Deps, directory) -> None:
    await add_drift(deps.db, "A-STARK", "Stark Federal Systems")
    [line] = await jobs.drift_for(deps, "U0RD1")
    assert (line["account_id"], line["reasons"]) == ("", [])
    assert "Stark" not in line["account"]
