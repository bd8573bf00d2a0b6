"""SlaRepository: open requests a person owns, manages or logged."""

from __future__ import annotations

from datetime import timedelta

import pytest

from storage.db import Database
from storage.sla import SlaRepository
from tests import rows
from tests.conftest import START


@pytest.mark.parametrize(
    ("user", "expected"),
    [
        ("U0AE1", ["soon", "late"]),  # the owner
        ("U0ASM3", ["soon", "late"]),  # the manager
        ("U0OPS1", ["soon", "late", "other"]),  # who logged them
        ("U0AE2", ["other"]),
        ("U0SAL1", []),
        (None, ["soon", "late", "other"]),  # everyone's
    ],
)
async def test_open_for_lists_open_requests_by_due_time(
    db: Database, user: str | None, expected: list[str]
) -> None:
    async with db.sessions.begin() as session:
        repo = SlaRepository(session)
        await repo.add(rows.sla(note="late", due_at=START + timedelta(hours=30)))
        await repo.add(rows.sla(note="soon"))
        await repo.add(rows.sla("U0AE2", note="other", manager=None, due_at=START + timedelta(hours=40)))
        await repo.add(rows.sla(note="closed", status="done"))
        assert [r.note for r in await repo.open_for(user)] == expected


async def test_lock_reads_the_row_or_nothing(db: Database) -> None:
    async with db.sessions.begin() as session:
        repo = SlaRepository(session)
        row = await repo.add(rows.sla())
        assert (await repo.lock(row.id)).account_name == "Hooli"
        assert await repo.lock(row.id + 1) is None
