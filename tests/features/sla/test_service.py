"""SLA use-cases, called directly: logging a request, closing it, the reminder and escalation jobs, lists."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.deps import Deps
from bot.features.sla import service
from bot.handbook.results import Refused
from storage.db import Database
from storage.sla import SlaRepository
from tests.conftest import FakeClock
from tests.features.conftest import tick_at

WEDNESDAY = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)  # Thursday is Thanksgiving


async def log_hooli(deps: Deps, **kw: object) -> service.Logged:
    fields: dict = {"logger_id": "U0SDR1", "account_id": "A-HOOLI", "kind": "contact-us", "note": "call back"}
    fields["received_at"] = deps.clock()
    fields.update(kw)
    logged = await service.log_request(deps, **fields)
    assert isinstance(logged, service.Logged), logged
    return logged


@pytest.mark.parametrize(
    ("kind", "received", "note", "fields"),
    [
        ("nonsense", timedelta(0), "", {"kind"}),
        ("contact-us", None, "", {"received"}),
        ("contact-us", timedelta(hours=3), "", {"received"}),  # in the future
        ("contact-us", timedelta(0), "x" * (service.MAX_NOTE + 1), {"note"}),
        ("nonsense", None, "", {"kind", "received"}),
    ],
)
async def test_the_form_names_each_field_it_refuses(
    wired: Deps, clock: FakeClock, kind: str, received: timedelta | None, note: str, fields: set[str]
) -> None:
    errors = await service.log_request(
        wired,
        logger_id="U0SDR1",
        account_id="A-HOOLI",
        kind=kind,
        received_at=None if received is None else clock.now + received,
        note=note,
    )
    assert isinstance(errors, dict) and set(errors) == fields


async def test_a_request_is_logged_for_the_owner_and_due_after_the_holiday(
    wired: Deps, db: Database, clock: FakeClock
) -> None:
    clock.now = WEDNESDAY
    logged = await log_hooli(wired)
    assert (logged.account_name, logged.owner) == ("Hooli", "U0AE2")  # Ben Ito, shown as a mention
    assert logged.due_at == datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
    async with db.sessions() as session:
        [row] = await SlaRepository(session).open_for("U0AE2")
    assert (row.id, row.manager, row.logged_by) == (logged.sla_id, "U0ASM3", "U0SDR1")


@pytest.mark.parametrize(
    ("logger", "account"),
    [("U0NOBODY", "A-HOOLI"), ("U0SDR1", "A-NOWHERE"), ("U0SDR1", "A-STARK"), ("U0SDR1", "A-UMBRELLA")],
)
async def test_logging_is_refused_for_an_unknown_hidden_or_ownerless_account(
    wired: Deps, clock: FakeClock, logger: str, account: str
) -> None:
    refused = await service.log_request(
        wired, logger_id=logger, account_id=account, kind="contact-us", received_at=clock.now, note=""
    )
    assert isinstance(refused, Refused)


async def test_only_the_owner_closes_a_request_and_only_once(wired: Deps, db: Database) -> None:
    logged = await log_hooli(wired)
    assert await service.close(wired, sla_id=logged.sla_id, actor="U0SDR1") == Refused(
        "only the account owner closes it"
    )
    closed = await service.close(wired, sla_id=logged.sla_id, actor="U0AE2")
    assert not isinstance(closed, Refused) and closed.status == "done"
    assert isinstance(await service.close(wired, sla_id=logged.sla_id, actor="U0AE2"), Refused)
    assert isinstance(await service.close(wired, sla_id=logged.sla_id + 1, actor="U0AE2"), Refused)


async def test_the_manager_is_told_when_it_runs_out_unless_it_was_closed(
    wired: Deps, db: Database, clock: FakeClock
) -> None:
    clock.now = WEDNESDAY
    open_one = await log_hooli(wired)
    closed = await log_hooli(wired)
    await service.close(wired, sla_id=closed.sla_id, actor="U0AE2")
    assert await tick_at(wired, clock, datetime(2026, 11, 26, 16, 0, tzinfo=UTC)) == 0  # Thanksgiving
    assert await tick_at(wired, clock, open_one.due_at + timedelta(minutes=1)) == 2  # reminder, escalation
    async with db.sessions() as session:
        rows = {r.id: r for r in await SlaRepository(session).open_for(None)}
    assert list(rows) == [open_one.sla_id] and rows[open_one.sla_id].escalated_at is not None


@pytest.mark.parametrize(
    ("viewer", "listed", "mine"),
    [
        ("U0AE2", 1, True),
        ("U0ASM3", 1, False),
        ("U0SDR1", 1, False),
        ("U0OPS1", 1, False),
        ("U0AE1", 0, None),
    ],
)
async def test_open_requests_are_listed_for_the_owner_manager_logger_and_staff(
    wired: Deps, viewer: str, listed: int, mine: bool | None
) -> None:
    await log_hooli(wired)
    found = await service.open_requests(wired, viewer)
    assert len(found) == listed
    assert [r["mine"] for r in found] == ([] if mine is None else [mine])
    assert all(r["account"] == "Hooli" and r["owner"] == "U0AE2" for r in found)  # shown as a mention
