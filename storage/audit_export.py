"""Every request, step, decision, audit event and notification, streamed for a compliance export.

Rows come through server-side cursors (`AsyncSession.stream` with `yield_per`): memory stays flat however
many there are. The repository never commits; the caller owns the (read) session.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditRow, DecisionRow, OutboxRow, RequestRow, StepRow

BATCH = 1000
COLUMNS = ("record", "id", "request_id", "at", "actor", "kind", "status", "detail")


@dataclass(frozen=True, slots=True)
class ExportRow:
    record: str  # request | step | decision | event | notification
    id: int
    request_id: int | None
    at: datetime
    actor: str
    kind: str
    status: str
    detail: dict[str, Any]


class AuditExportRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _stream(self, query: Select[Any]) -> AsyncIterator[Any]:
        result = await self.session.stream(query.execution_options(yield_per=BATCH))
        async for partition in result.partitions():  # a batch per await, not a row per await
            for row in partition:
                yield row

    async def rows(self, since: datetime | None = None) -> AsyncIterator[ExportRow]:
        """Requests, then steps, decisions, audit events and notifications, each in the order written."""
        query = select(RequestRow).order_by(RequestRow.id)
        if since is not None:
            query = query.where(RequestRow.created_at >= since)
        async for (r,) in self._stream(query):
            detail = {"subject_id": r.subject_id, "summary": r.summary, "payload": r.payload}
            yield ExportRow("request", r.id, r.id, r.created_at, r.requester, r.kind, r.status, detail)

        query = select(StepRow).order_by(StepRow.id)
        if since is not None:
            query = query.where(StepRow.created_at >= since)
        async for (s,) in self._stream(query):
            detail = {
                "position": s.position,
                "mode": s.mode,
                "approvers": s.approvers,
                "needs_override": s.needs_override,
                "decided_at": s.decided_at,
            }
            yield ExportRow("step", s.id, s.request_id, s.created_at, "", s.name, s.state, detail)

        query = (
            select(DecisionRow, StepRow.request_id, StepRow.name)
            .join(StepRow, StepRow.id == DecisionRow.step_id)
            .order_by(DecisionRow.id)
        )
        if since is not None:
            query = query.where(DecisionRow.at >= since)
        async for d, request_id, step in self._stream(query):
            detail = {"step_id": d.step_id, "step": step, "on_behalf_of": d.on_behalf_of, "reason": d.reason}
            yield ExportRow("decision", d.id, request_id, d.at, d.actor, "decision", d.decision, detail)

        # The biggest table (every step of every request): plain columns, no ORM objects to build.
        query = select(
            AuditRow.id, AuditRow.request_id, AuditRow.at, AuditRow.actor, AuditRow.action, AuditRow.detail
        ).order_by(AuditRow.id)
        if since is not None:
            query = query.where(AuditRow.at >= since)
        async for event_id, request_id, at, actor, action, detail in self._stream(query):
            yield ExportRow("event", event_id, request_id, at, actor, action, "", detail)

        query = select(OutboxRow).order_by(OutboxRow.id)
        if since is not None:
            query = query.where(OutboxRow.created_at >= since)
        async for (o,) in self._stream(query):
            payload = o.payload or {}
            detail = {
                "channel": payload.get("channel"),
                "text": payload.get("text"),
                "attempts": o.attempts,
                "sent_at": o.sent_at,
                "last_error": o.last_error,
            }
            yield ExportRow("notification", o.id, None, o.created_at, "", o.method, o.status, detail)
