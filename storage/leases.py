"""Leases: a due row is claimed by one process for a while, so several replicas can poll one table.

The outbox (storage/outbox.py) and the scheduler's jobs (storage/jobs.py) share this one claim: a row is
due when it is pending, its own due condition holds and nobody's lease on it is running.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession


async def claim(
    session: AsyncSession,
    model: Any,
    *,
    due: ColumnElement[bool],
    now: datetime,
    until: datetime,
    order_by: Any | Sequence[Any],
    limit: int,
    take: int | None = None,
    where: Sequence[ColumnElement[bool]] = (),
    values: dict[str, Any] | None = None,
) -> list[Any]:
    """Lease up to `take` (default: all) of the first `limit` due rows until `until`; returns them.

    Each row is updated only if it is still pending and free: another replica may have claimed it
    between the look and the update, and then it is simply not ours. `values` are set with the lease
    (who claimed it, the attempt count...). Without `take`, all candidates are leased by one UPDATE that
    returns the rows it took (the outbox leases a batch per claim; a statement per row cost more than
    the sends); with `take`, one at a time until `take` are ours.
    """
    free = or_(model.claimed_until.is_(None), model.claimed_until < now)
    candidates = (
        await session.scalars(
            select(model.id)
            .where(model.status == "pending", due, free, *where)
            .order_by(*(order_by if isinstance(order_by, (list, tuple)) else (order_by,)))
            .limit(limit)
        )
    ).all()
    if not candidates:
        return []
    if take is None:
        taken = await session.scalars(
            update(model)
            .where(model.id.in_(candidates), model.status == "pending", free)
            .values(claimed_until=until, **(values or {}))
            .returning(model),
            execution_options={"populate_existing": True},
        )
        position = {row_id: i for i, row_id in enumerate(candidates)}
        return sorted(taken.all(), key=lambda row: position[row.id])
    claimed: list[Any] = []
    for row_id in candidates:
        result = await session.execute(
            update(model)
            .where(model.id == row_id, model.status == "pending", free)
            .values(claimed_until=until, **(values or {}))
        )
        if result.rowcount:
            claimed.append(await session.get_one(model, row_id, populate_existing=True))
            if len(claimed) >= take:
                break
    return claimed
