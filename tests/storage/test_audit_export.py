"""AuditExportRepository: every record of the approval trail, in the order written, from a date on."""

from __future__ import annotations

from datetime import timedelta

from storage.audit_export import AuditExportRepository
from storage.db import Database
from storage.models import DecisionRow, OutboxRow
from storage.requests import RequestRepository
from tests import rows
from tests.conftest import START

LATER = START + timedelta(days=1)


async def test_rows_come_as_requests_steps_decisions_events_then_notifications(db: Database) -> None:
    async with db.sessions.begin() as session:
        repo = RequestRepository(session)
        old = await repo.add_request(rows.request(summary="old"))
        new = await repo.add_request(rows.request(created_at=LATER))
        step = await repo.add_step(rows.step(new.id, created_at=LATER), ["U0ASM3"])
        await repo.add_decision(
            DecisionRow(step_id=step.id, actor="U0ASM3", decision="approve", reason="ok", at=LATER)
        )
        await repo.audit(new.id, "U0AE1", "requested", {"k": 1}, LATER)
        session.add(
            OutboxRow(
                dedupe_key="d",
                method="chat.postMessage",
                payload={"channel": "U0AE1", "text": "hi"},
                next_attempt_at=LATER,
                created_at=LATER,
            )
        )
    async with db.sessions.begin() as session:
        export = AuditExportRepository(session)
        everything = [(r.record, r.request_id, r.status) async for r in export.rows()]
        assert everything == [
            ("request", old.id, "pending"),
            ("request", new.id, "pending"),
            ("step", new.id, "pending"),
            ("decision", new.id, "approve"),
            ("event", new.id, ""),
            ("notification", None, "pending"),
        ]
        since = [r async for r in export.rows(since=LATER)]
        assert [r.record for r in since] == ["request", "step", "decision", "event", "notification"]
        assert since[2].detail == {"step_id": step.id, "step": "step 0", "on_behalf_of": None, "reason": "ok"}
        assert (since[4].detail["channel"], since[4].detail["text"]) == ("U0AE1", "hi")
