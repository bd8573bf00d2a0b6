"""OutboxRepository: Slack calls (and other systems' calls) waiting to be sent, and the messages they
posted. Never commits.

New rows are queued and written in one statement just before the transaction commits
(storage/batched.py); the dispatcher leases due rows (storage/leases.py) and settles each one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import batched, leases
from storage.models import MessageRefRow, OutboxRow
from storage.upsert import upsert_many

_TABLE = OutboxRow.__table__


class OutboxRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(
        self, *, key: str, method: str, payload: dict[str, Any], now: datetime, ref_key: str | None = None
    ) -> None:
        """Queue a call; written when the transaction commits. The same `key` twice is one row."""
        row = {
            "dedupe_key": key,
            "method": method,
            "payload": payload,
            "ref_key": ref_key,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        batched.add(self.session, _TABLE, row, ignore_on=["dedupe_key"])

    async def with_refs(self, ref_keys: Iterable[str]) -> set[str]:
        """Which of `ref_keys` name a message that was (or will be) posted, so it can be updated."""
        wanted = set(ref_keys)
        if not wanted:
            return set()
        found = {r["ref_key"] for r in batched.queued(self.session, _TABLE) if r["ref_key"] in wanted}
        if wanted - found:
            found |= set(
                await self.session.scalars(
                    select(OutboxRow.ref_key).where(OutboxRow.ref_key.in_(sorted(wanted - found))).distinct()
                )
            )
        return found

    # ---- the dispatcher -----------------------------------------------------------------------------
    async def claim(
        self, now: datetime, until: datetime, limit: int, busy: Sequence[str] = ()
    ) -> list[OutboxRow]:
        """Lease due rows, oldest first; rows of a card in `busy` (one being sent) wait their turn."""
        where = [or_(OutboxRow.ref_key.is_(None), OutboxRow.ref_key.not_in(busy))] if busy else []
        return await leases.claim(
            self.session,
            OutboxRow,
            due=OutboxRow.next_attempt_at <= now,
            now=now,
            until=until,
            order_by=OutboxRow.id,
            limit=limit,
            where=where,
        )

    async def renew(self, row_id: int, token: datetime | None, until: datetime, attempts: int) -> bool:
        """Extend the lease only if it is still ours (`token`), counting the attempt; False if it isn't."""
        result = await self.session.execute(
            update(OutboxRow)
            .where(OutboxRow.id == row_id, OutboxRow.status == "pending", OutboxRow.claimed_until == token)
            .values(claimed_until=until, attempts=attempts)
        )
        return bool(result.rowcount)

    async def message_ref(self, ref_key: str) -> MessageRefRow | None:
        return await self.session.get(MessageRefRow, ref_key)

    async def superseded(self, row: OutboxRow) -> bool:
        """Whether a later row of the same method for the same message (`ref_key`) is sent or waiting."""
        found = await self.session.scalar(
            select(OutboxRow.id)
            .where(
                OutboxRow.ref_key == row.ref_key,
                OutboxRow.method == row.method,
                OutboxRow.id > row.id,
                OutboxRow.status.in_(("pending", "sent")),
            )
            .limit(1)
        )
        return found is not None

    async def sent(self, row: OutboxRow, now: datetime, posted: tuple[str, str] | None) -> None:
        """Settle a row as sent; `posted` (channel, ts) is stored under its ref_key for later updates."""
        if posted is not None and row.ref_key:
            await upsert_many(
                self.session,
                MessageRefRow,
                [{"key": row.ref_key, "channel": posted[0], "ts": posted[1]}],
                ["key"],
            )
        await self.session.execute(
            update(OutboxRow)
            .where(OutboxRow.id == row.id)
            .values(status="sent", sent_at=now, attempts=row.attempts, claimed_until=None, last_error=None)
        )

    async def retry(
        self, row_id: int, *, attempts: int, error: str, next_attempt_at: datetime, dead: bool
    ) -> None:
        await self.session.execute(
            update(OutboxRow)
            .where(OutboxRow.id == row_id)
            .values(
                status="dead" if dead else "pending",
                attempts=attempts,
                last_error=error,
                claimed_until=None,
                next_attempt_at=next_attempt_at,
            )
        )
