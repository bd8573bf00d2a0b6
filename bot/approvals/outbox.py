"""The outbox: Slack calls recorded in the same transaction as the decision, sent after it commits.

If Slack fails (500, 429, a hang) the row stays pending and is retried with backoff; nothing is lost
across a crash or restart. A sent post stores its channel and ts under `ref_key`, so later
`chat.update` rows for the same card find it, even in another process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.background import BackgroundTask
from storage.db import Database
from storage.models import MessageRefRow, OutboxRow
from storage.upsert import insert_ignore, upsert_many

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=30)
MAX_BACKOFF = timedelta(minutes=5)
PERMANENT_ERRORS = {
    "channel_not_found",
    "not_in_channel",
    "is_archived",
    "invalid_blocks",
    "user_not_found",
    "msg_too_long",
    "no_text",
    "cant_update_message",
    "message_not_found",
}  # token problems (invalid_auth, account_inactive) are retried: every message would fail, not just one
MAX_ATTEMPTS = 20


class Retry(Exception):
    """A sender's call failed in a way worth retrying; `after` seconds when the other side said so."""

    def __init__(self, error: str, after: float | None = None) -> None:
        super().__init__(error)
        self.after = after


class GiveUp(Exception):
    """A sender's call can never succeed; the row is marked dead with this error."""


Sender = Callable[[OutboxRow], Awaitable[None]]


async def enqueue(
    session: AsyncSession,
    *,
    key: str,
    method: str,
    payload: dict[str, Any],
    now: datetime,
    ref_key: str | None = None,
) -> bool:
    """Add a Slack call to the outbox inside the caller's transaction. The same `key` twice is one row."""
    return await insert_ignore(
        session,
        OutboxRow,
        {
            "dedupe_key": key,
            "method": method,
            "payload": payload,
            "ref_key": ref_key,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        },
        ["dedupe_key"],
    )


class Outbox(BackgroundTask):
    name = "outbox"

    def __init__(
        self, db: Database, client: AsyncWebClient, clock: Callable[[], datetime], poll_seconds: float = 5.0
    ) -> None:
        super().__init__()
        self.db = db
        self.client = client
        self.clock = clock
        self.poll_seconds = poll_seconds
        self.worker_id = uuid.uuid4().hex[:12]
        self._wake = asyncio.Event()
        self._inflight = 0  # rows claimed by this process and not yet settled
        # Rows whose Slack call is built when sent (e.g. "home.refresh" -> views.publish of a fresh view)
        self.builders: dict[str, Callable[[dict[str, Any]], Awaitable[tuple[str, dict[str, Any]]]]] = {}
        # Calls to other systems than Slack (the Salesforce write-back), by method; same durability.
        self.senders: dict[str, Sender] = {}

    def kick(self) -> None:
        """Ask the dispatcher to look now (after a commit that enqueued something)."""
        self._wake.set()

    async def _run(self) -> None:
        while True:
            try:
                while await self.dispatch_once():
                    pass
            except Exception:  # the database may be away for a while; try again on the next tick
                log.exception("outbox dispatch failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.poll_seconds)
            self._wake.clear()

    async def _claim(self, now: datetime, limit: int) -> list[OutboxRow]:
        async with self.db.sessions.begin() as session:
            due = (
                await session.scalars(
                    select(OutboxRow.id)
                    .where(OutboxRow.status == "pending", OutboxRow.next_attempt_at <= now)
                    .where(or_(OutboxRow.claimed_until.is_(None), OutboxRow.claimed_until < now))
                    .order_by(OutboxRow.id)
                    .limit(limit)
                )
            ).all()
            claimed: list[OutboxRow] = []
            for row_id in due:
                result = await session.execute(
                    update(OutboxRow)
                    .where(OutboxRow.id == row_id, OutboxRow.status == "pending")
                    .where(or_(OutboxRow.claimed_until.is_(None), OutboxRow.claimed_until < now))
                    .values(claimed_until=now + LEASE)
                )
                if result.rowcount:
                    claimed.append(await session.get_one(OutboxRow, row_id))
            return claimed

    async def dispatch_once(self, limit: int = 50) -> int:
        """Send what is due; returns how many rows were attempted."""
        rows = await self._claim(self.clock(), limit)
        self._inflight += len(rows)
        for row in rows:
            try:
                if await self._renew(row):
                    await self._send(row)
            finally:
                self._inflight -= 1
        return len(rows)

    async def _renew(self, row: OutboxRow) -> bool:
        """Extend our lease right before sending, only if it is still ours: rows claimed in a batch wait
        their turn, and a lease that lapsed meanwhile may have been taken by another replica."""
        token, renewed = row.claimed_until, self.clock() + LEASE
        async with self.db.sessions.begin() as session:
            result = await session.execute(
                update(OutboxRow)
                .where(
                    OutboxRow.id == row.id, OutboxRow.status == "pending", OutboxRow.claimed_until == token
                )
                .values(claimed_until=renewed)
            )
        row.claimed_until = renewed
        return bool(result.rowcount)

    async def drain(self, rounds: int = 500) -> None:
        """Send everything due now, including what this process's dispatcher is sending (tests, shutdown)."""
        for _ in range(rounds):
            if not await self.dispatch_once():
                if not self._inflight:
                    return
                await asyncio.sleep(0.01)

    async def _send(self, row: OutboxRow) -> None:
        sender = self.senders.get(row.method)
        if sender is not None:
            try:
                await sender(row)
            except Retry as exc:
                wait = timedelta(seconds=exc.after) if exc.after is not None else self._backoff(row)
                await self._retry(row, str(exc)[:500], wait)
            except GiveUp as exc:
                await self._retry(row, str(exc)[:500], None)
            except Exception as exc:  # time-outs and the unforeseen: retried with backoff
                await self._retry(row, f"{type(exc).__name__}: {exc}"[:500], self._backoff(row))
            else:
                await self._sent(row, {})
            return
        payload = dict(row.payload)
        try:
            if row.method == "chat.update":
                async with self.db.reads() as session:  # read-only: not behind the writers' lock
                    ref = await session.get(MessageRefRow, row.ref_key) if row.ref_key else None
                    newer = await session.scalar(
                        select(OutboxRow.id)
                        .where(
                            OutboxRow.ref_key == row.ref_key,
                            OutboxRow.method == "chat.update",
                            OutboxRow.id > row.id,
                            OutboxRow.status == "sent",
                        )
                        .limit(1)
                    )
                if newer is not None:  # a later state of this card is already shown: never roll it back
                    await self._sent(row, {})
                    return
                if ref is None:  # waiting for the post is not a failed attempt
                    await self._retry(row, "card not posted yet", timedelta(seconds=2), count=False)
                    return
                payload.update(channel=ref.channel, ts=ref.ts)
            method = row.method
            builder = self.builders.get(method)
            if builder is not None:
                method, payload = await builder(payload)
            response = await self.client.api_call(method, json=payload)
            await self._sent(row, response.data if isinstance(response.data, dict) else {})
        except SlackApiError as exc:
            error = str(exc.response.get("error", "")) if exc.response is not None else ""
            status = exc.response.status_code if exc.response is not None else 0
            if status == 429:
                wait = int(exc.response.headers.get("Retry-After", "1") or 1)
                await self._retry(row, f"rate limited ({wait}s)", timedelta(seconds=wait))
            elif error in PERMANENT_ERRORS:
                await self._retry(row, error, None)
            else:
                await self._retry(row, f"{status} {error}".strip(), self._backoff(row))
        except Exception as exc:  # timeouts and connection errors: Slack may be back soon
            await self._retry(row, f"{type(exc).__name__}: {exc}"[:500], self._backoff(row))

    def _backoff(self, row: OutboxRow) -> timedelta:
        return min(MAX_BACKOFF, timedelta(seconds=2 ** min(row.attempts, 10)))

    async def _sent(self, row: OutboxRow, data: dict[str, Any]) -> None:
        now = self.clock()
        async with self.db.sessions.begin() as session:
            if row.method == "chat.postMessage" and row.ref_key and data.get("ts"):
                await upsert_many(
                    session,
                    MessageRefRow,
                    [{"key": row.ref_key, "channel": data["channel"], "ts": data["ts"]}],
                    ["key"],
                )
            await session.execute(
                update(OutboxRow)
                .where(OutboxRow.id == row.id)
                .values(
                    status="sent", sent_at=now, attempts=row.attempts + 1, claimed_until=None, last_error=None
                )
            )

    async def _retry(
        self, row: OutboxRow, error: str, delay: timedelta | None, *, count: bool = True
    ) -> None:
        attempts = row.attempts + (1 if count else 0)
        dead = delay is None or attempts >= MAX_ATTEMPTS
        if dead:
            log.error("outbox %s %s gave up: %s", row.id, row.method, error)
        async with self.db.sessions.begin() as session:
            await session.execute(
                update(OutboxRow)
                .where(OutboxRow.id == row.id)
                .values(
                    status="dead" if dead else "pending",
                    attempts=attempts,
                    last_error=error,
                    claimed_until=None,
                    next_attempt_at=self.clock() + (delay or timedelta()),
                )
            )
