"""What the approval flows (each feature's `*Flow`) share once a step settles: the reason given, and the
requester told how their request went."""

from __future__ import annotations

from typing import Any

from bot.approvals import service
from storage.models import RequestRow, StepRow


async def reason_given(ctx: service.Context, step: StepRow) -> str:
    """The reason written with the decision that settled `step` (a rejection's, or an approver's note)."""
    decisions = await ctx.repo.decisions(step.id)
    return decisions[-1].reason if decisions else ""


async def tell_requester(
    ctx: service.Context, request: RequestRow, key: str, template: str, **context: Any
) -> None:
    """A DM to whoever asked, about their request (`key` makes it once)."""
    await ctx.notify(
        request.requester, key, template, request_id=request.id, summary=request.summary, **context
    )
