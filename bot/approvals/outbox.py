"""The outbox: Slack calls recorded in the same transaction as the decision, sent after it commits.

If Slack fails (500, 429, a hang) the row stays pending and is retried with backoff; nothing is lost
across a crash or restart. A sent post stores its channel and ts under `ref_key`, so later
`chat.update` rows for the same card find it, even in another process.

The dispatcher's database work is per batch, not per row: one transaction settles the due rows no call is
needed for (App Home for someone who never opened it: one UPDATE, never loaded), leases a batch (counting
each row's attempt), settles what a newer card state supersedes and reads where its cards were posted;
rows Slack accepted are marked sent together (group commit: one transaction for every send that finished
while the previous one ran). A crash between a send and its settle leaves the row pending under its lease;
it is retried after the lease, and a retried post finds its earlier copy by the metadata marker instead of
posting again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import ColumnElement, Executable
from sqlalchemy.ext.asyncio import AsyncSession

from bot.background import BackgroundTask
from bot.render import Renderer
from storage.db import Database
from storage.models import OutboxRow
from storage.outbox import OutboxRepository, is_card

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
MARKER_EVENT = "gtm_outbox_message"  # message metadata: which outbox row a post came from
HISTORY_PAGES = 5  # the DM's newest 1,000 messages are searched for an earlier copy
CONCURRENCY = 16  # Web API calls in flight at once from one process (DMs, App Home, other systems)
CARD_CONCURRENCY = 8  # and card posts and updates, in their own lane: never queued behind DMs
MAX_CLAIMED = 200  # rows one process holds leases on at once, in each lane
STOP_GRACE_SECONDS = 15.0
# The dispatcher claims at most this often. A claim is one transaction of five or six statements whatever it
# takes: in a burst of clicks, claiming on every commit's kick leased one click's rows at a time and cost
# the event loop as much as the click. A click's card waits at most this much longer.
CLAIM_EVERY_SECONDS = 0.025
# While this process is answering Slack (a request in flight), the rows that are not cards (DMs to others, App
# Home, the Salesforce write-back) wait for a moment with none, for at most this long: in a burst of clicks
# the people waiting on an ack or on their card get the CPU first, and the notifications follow the burst.
# A burst that lasts longer sends them beside it again, as before. Cards never wait.
DEFER_SECONDS = 10.0
DEFER_CHECK_SECONDS = 0.1  # how often the dispatcher looks for that moment


class Retry(Exception):
    """A sender's call failed in a way worth retrying; `after` seconds when the other side said so."""

    def __init__(self, error: str, after: float | None = None) -> None:
        super().__init__(error)
        self.after = after


class GiveUp(Exception):
    """A sender's call can never succeed; the row is marked dead with this error."""


Sender = Callable[[OutboxRow], Awaitable[None]]
Posted = tuple[str, str]  # where a message was posted: channel, ts


async def enqueue(
    session: AsyncSession,
    *,
    key: str,
    method: str,
    payload: dict[str, Any],
    now: datetime,
    ref_key: str | None = None,
) -> None:
    """Add a Slack call to the outbox inside the caller's transaction (written when it commits, with the
    transaction's other new rows in one statement). The same `key` twice is one row."""
    OutboxRepository(session).add(key=key, method=method, payload=payload, now=now, ref_key=ref_key)


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
        self._cards_inflight = 0  # of which cards (their own lane)
        # Rows whose Slack call is built when sent (e.g. "home.refresh" -> views.publish of a fresh view)
        self.builders: dict[str, Callable[[dict[str, Any]], Awaitable[tuple[str, dict[str, Any]]]]] = {}
        self._slots = asyncio.Semaphore(CONCURRENCY)
        self._card_slots = asyncio.Semaphore(CARD_CONCURRENCY)
        self._busy_keys: set[str] = set()  # cards (ref_key) with a row being sent by this process
        self._sending: set[asyncio.Task[None]] = set()
        self._claiming = asyncio.Lock()
        self._claimed_at = float("-inf")  # when the dispatcher's loop last claimed (the loop's clock)
        self._answering = 0  # Slack requests this process is answering now (`answering`)
        self._deferred_since: float | None = None  # since when the loop has held back rows not cards
        # Calls to other systems than Slack (the Salesforce write-back), by method; same durability.
        self.senders: dict[str, Sender] = {}
        # Per method, a condition on its rows that need no call (e.g. App Home of people who never opened
        # it): settled as sent in SQL before each claim, so they are neither loaded nor leased.
        self.skips: dict[str, ColumnElement[bool]] = {}
        self._skip_statement: tuple[tuple[Any, ...], tuple[ColumnElement[bool], Executable]] | None = None
        self._settling: list[tuple[OutboxRow, Posted | None, asyncio.Future[None]]] = []
        self._settler: asyncio.Task[None] | None = None
        # Messages stored as what to render (a payload's "render": a template and its JSON context,
        # bot/approvals/service.py Context.stored_message) become blocks when sent; set by Deps.build.
        self.renderer: Renderer | None = None

    def kick(self) -> None:
        """Ask the dispatcher to look now (after a commit that enqueued something)."""
        self._wake.set()

    @contextlib.contextmanager
    def answering(self) -> Iterator[None]:
        """Around the answer to a Slack request (bot/server.py): meanwhile the dispatcher's loop sends only
        cards, for at most DEFER_SECONDS."""
        self._answering += 1
        try:
            yield
        finally:
            self._answering -= 1

    def _others_wait(self, now: float) -> bool:
        """Whether the loop holds back the rows that are not cards now: while a request is being answered,
        from the first claim that found one, for at most DEFER_SECONDS."""
        if not self._answering:
            self._deferred_since = None
            return False
        if self._deferred_since is None:
            self._deferred_since = now
        return now - self._deferred_since < DEFER_SECONDS

    async def _run(self) -> None:
        while not self.stopping:
            try:
                while not self.stopping and await self._start_gathered():
                    pass
            except Exception:  # the database may be away for a while; try again on the next tick
                log.exception("outbox dispatch failed")
            # Rows held back are looked at again soon: no commit may kick the loop once the burst is over.
            held = self._deferred_since is not None
            await self.pause(DEFER_CHECK_SECONDS if held else self.poll_seconds, wake=self._wake)
            self._wake.clear()

    async def _start_gathered(self) -> int:
        """`start_due`, no sooner than CLAIM_EVERY_SECONDS after the loop's last claim: what commits
        meanwhile is leased in the same claim. Only cards while a request is answered (`_others_wait`)."""
        loop = asyncio.get_running_loop()
        wait = self._claimed_at + CLAIM_EVERY_SECONDS - loop.time()
        if wait > 0:
            await self.pause(wait)
        self._claimed_at = loop.time()
        if self.stopping:
            return 0
        return await self.start_due(others=not self._others_wait(self._claimed_at))

    async def stop(self) -> None:
        """Stop claiming; let the sends under way settle (each is bounded by the client's time-out), and
        cancel only what is still running after a grace period: a send cancelled mid-transaction could
        leave its connection in limbo, and its row is retried after the lease anyway."""
        await super().stop()
        if self._sending:
            _, pending = await asyncio.wait(set(self._sending), timeout=STOP_GRACE_SECONDS)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending, timeout=5)

    async def _claim(
        self, now: datetime, limit: int, cards: int | None = None
    ) -> tuple[list[OutboxRow], dict[str, Posted]]:
        """Lease up to `limit` due rows (cards first), or `cards` cards and `limit` other rows, each lane
        apart; those not worth sending are settled in the same transaction. Returns the rows to send and
        where the cards they update were posted."""
        busy = sorted(self._busy_keys)  # a card's next update waits for the one being sent (order per card)
        until = now + LEASE
        # The claim takes the next turn to write (a card waits for one click, not a burst); settles queue
        # as plain writes, so each group commit gathers what finished meanwhile.
        async with self.db.urgent_writes() as session:
            repo = OutboxRepository(session)
            unneeded = None
            if self.skips and limit > 0:  # rows needing no call are all in the other lane
                unneeded, settle = self._unneeded()
                await repo.settle_unneeded(settle, now)
            if cards is None:
                rows = await repo.claim(now, until, limit, busy, unneeded=unneeded)
            else:
                rows = await repo.claim(now, until, cards, busy, cards=True) if cards > 0 else []
                rows += (
                    await repo.claim(now, until, limit, busy, cards=False, unneeded=unneeded)
                    if limit > 0
                    else []
                )
            # A burst of clicks sends each card's (or Home's) newest state once, never an older one after it.
            skipped = await repo.superseded(
                [r for r in rows if r.ref_key and (r.method == "chat.update" or r.method in self.builders)]
            )
            if skipped:
                await repo.sent([(row, None) for row in rows if row.id in skipped], now)
            rows = [row for row in rows if row.id not in skipped]
            refs = await repo.message_refs(r.ref_key for r in rows if r.method == "chat.update" and r.ref_key)
        return rows, refs

    def _unneeded(self) -> tuple[ColumnElement[bool], Executable]:
        """What `skips` rules out (the claims leave it) and the UPDATE that settles it, built again only when
        `skips` changed."""
        key = tuple(self.skips.items())
        if self._skip_statement is None or self._skip_statement[0] != key:
            rows = OutboxRepository.unneeded_rows(self.skips)
            self._skip_statement = (key, (rows, OutboxRepository.unneeded(rows)))
        return self._skip_statement[1]

    async def dispatch_once(self, limit: int = 50) -> int:
        """Send what is due now and wait for those sends; returns how many rows were attempted."""
        started: list[asyncio.Task[None]] = []
        count = await self.start_due(limit, started)
        if started:
            await asyncio.wait(started)
        return count

    async def start_due(
        self, limit: int = 50, started: list[asyncio.Task[None]] | None = None, *, others: bool = True
    ) -> int:
        """Claim what is due and start sending it (the dispatcher's loop); returns how many rows.

        Rows go out in parallel (at most CONCURRENCY calls at once), in order only within one card or
        message (the same ref_key), so one hung channel holds up nothing but its own messages. Cards (an
        approver's card, the requester's copy) have their own lane: claimed on their own room, all that are
        due, and sent on their own CARD_CONCURRENCY calls, so in a burst a click's card changes within the
        next claim however many DMs are waiting or in flight. `others`: False claims only cards.
        """
        async with self._claiming:  # one claim at a time, so a card's rows never go out in two groups
            return await self._start(limit if others else 0, started if started is not None else [])

    async def _start(self, limit: int, started: list[asyncio.Task[None]]) -> int:
        cards = MAX_CLAIMED - self._cards_inflight
        others = min(limit, MAX_CLAIMED - (self._inflight - self._cards_inflight))
        if cards <= 0 and others <= 0:
            return 0
        rows, refs = await self._claim(self.clock(), max(others, 0), max(cards, 0))
        groups: dict[str, list[OutboxRow]] = {}
        for row in rows:
            groups.setdefault(row.ref_key or f"row:{row.id}", []).append(row)
        self._inflight += len(rows)
        self._cards_inflight += sum(1 for row in rows if is_card(row.ref_key))
        for key, group in groups.items():
            self._busy_keys.add(key)
            task = asyncio.create_task(self._send_in_order(key, group, refs))
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)
            started.append(task)
        return len(rows)

    async def _send_in_order(self, key: str, rows: list[OutboxRow], refs: dict[str, Posted]) -> None:
        card = is_card(rows[0].ref_key)
        slots = self._card_slots if card else self._slots
        try:
            for position, row in enumerate(rows):
                try:
                    settled: asyncio.Future[None] | None = None
                    async with slots:  # a slot is a call in flight, not the wait for its settle
                        if await self._still_ours(row):
                            settled = await self._send(row, refs)
                    if settled is not None:  # this card's next row waits until this one is recorded
                        await asyncio.shield(settled)
                except Exception:  # the database went away mid-send: the lease lapses, it is retried
                    log.exception("outbox %s %s could not be settled", row.id, row.method)
                finally:
                    self._inflight -= 1
                    self._cards_inflight -= 1 if card else 0
                    if position == len(rows) - 1:
                        self._busy_keys.discard(key)
        finally:
            self._busy_keys.discard(key)
            self._wake.set()  # this card's later rows may be due now

    async def _still_ours(self, row: OutboxRow) -> bool:
        """Whether to send now: yes while at least half our lease is left (the usual case: a batch is
        sent within milliseconds of its claim). Rows claimed in a batch wait their turn, though, and once
        half the lease is spent it is extended first, only if still ours: a lease that lapsed meanwhile
        may have been taken by another replica."""
        token, now = row.claimed_until, self.clock()
        if token is not None and now < token - LEASE / 2:
            return True
        renewed = now + LEASE
        async with self.db.sessions.begin() as session:
            ours = await OutboxRepository(session).renew(row.id, token, renewed)
        row.claimed_until = renewed
        return ours

    async def drain(self, rounds: int = 500) -> None:
        """Send everything due now, including what this process's dispatcher is sending (tests, shutdown)."""
        for _ in range(rounds):
            if not await self.dispatch_once():
                if not self._inflight:  # the dispatcher's own sends, still under way
                    return
                await asyncio.sleep(0.01)

    async def _send(self, row: OutboxRow, refs: dict[str, Posted]) -> asyncio.Future[None] | None:
        """Make the row's call; returns, once Slack answered, the settle of a row it accepted (`_sent`)."""
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
                return self._sent(row, {})
            return None
        payload = dict(row.payload)
        try:
            if row.method == "chat.update":
                ref = await self._posted_at(row, refs)
                if ref is None:  # waiting for the post is not a failed attempt
                    await self._retry(row, "card not posted yet", timedelta(seconds=2), count=False)
                    return None
                payload.update(channel=ref[0], ts=ref[1])
            if "render" in payload:
                if self.renderer is None:
                    raise LookupError("no renderer for stored messages in this process")
                stored = payload.pop("render")
                payload.update(self.renderer.message(stored["template"], **stored["context"]))
            method = row.method
            builder = self.builders.get(method)
            if builder is not None:
                method, payload = await builder(payload)
            if method == "chat.postMessage":
                # The marker lets a retry find a copy whose answer never reached us (a time-out).
                payload["metadata"] = {"event_type": MARKER_EVENT, "event_payload": {"key": row.dedupe_key}}
                if row.attempts > 1:
                    posted = await self._find_posted(str(payload["channel"]), row)
                    if posted is not None:
                        return self._sent(row, posted, refs)
            response = await self.client.api_call(method, json=payload)
            return self._sent(row, response.data if isinstance(response.data, dict) else {}, refs)
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
        return None

    async def _posted_at(self, row: OutboxRow, refs: dict[str, Posted]) -> Posted | None:
        """Where the message this update rewrites was posted: read with the claim, or by a post earlier in
        this batch; else looked up (a post settled after the claim read)."""
        if not row.ref_key:
            return None
        if row.ref_key not in refs:
            async with self.db.reads() as session:  # read-only: not behind the writers' lock
                found = await OutboxRepository(session).message_ref(row.ref_key)
            if found is None:
                return None
            refs[row.ref_key] = (found.channel, found.ts)
        return refs[row.ref_key]

    async def _find_posted(self, channel: str, row: OutboxRow) -> dict[str, Any] | None:
        """An earlier try of this post that Slack did keep: looked up by its marker in the DM's history.
        Extra copies (tries that all landed) are deleted, so one copy stays and its buttons are the ones
        later updates rewrite. Raises when Slack can't tell: the row is then retried, never re-posted blind.
        """
        if channel[:1] in ("U", "W"):
            opened = await self.client.conversations_open(users=channel)
            channel = opened["channel"]["id"]
        copies: list[dict[str, Any]] = []
        cursor: str | None = None
        for _ in range(HISTORY_PAGES):
            page = await self.client.conversations_history(
                channel=channel, limit=200, include_all_metadata=True, cursor=cursor
            )
            for message in page.get("messages", []):
                meta = message.get("metadata") or {}
                if meta.get("event_type") == MARKER_EVENT and meta.get("event_payload", {}).get("key") == (
                    row.dedupe_key
                ):
                    copies.append(message)
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not page.get("has_more") or not cursor:
                break
        if not copies:
            return None
        copies.sort(key=lambda m: float(m["ts"]))
        for extra in copies[1:]:
            await self.client.chat_delete(channel=channel, ts=extra["ts"])
        log.info("outbox %s was already posted (%s copies); not posting again", row.id, len(copies))
        return {"channel": channel, "ts": copies[0]["ts"]}

    def _backoff(self, row: OutboxRow) -> timedelta:
        return min(MAX_BACKOFF, timedelta(seconds=2 ** min(row.attempts - 1, 10)))

    def _sent(
        self, row: OutboxRow, data: dict[str, Any], refs: dict[str, Posted] | None = None
    ) -> asyncio.Future[None]:
        """Mark the row sent: returns a future done once that is committed (a card's next update waits for
        it; the call's slot doesn't). Rows finishing together share one transaction (`_settle`)."""
        posted = (
            (str(data["channel"]), str(data["ts"]))
            if row.method == "chat.postMessage" and data.get("ts")
            else None
        )
        if posted is not None and row.ref_key and refs is not None:
            refs[row.ref_key] = posted  # this card's next update in the batch needs no read
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._settling.append((row, posted, done))
        if self._settler is None or self._settler.done():
            self._settler = asyncio.create_task(self._settle())
        return done

    async def _settle(self) -> None:
        """Group commit: everything `_sent` queued is marked sent in one transaction; what is queued while
        it runs goes in the next. A failure is each waiting send's (its row is then retried)."""
        await asyncio.sleep(0)  # sends finishing in the same turn of the loop join this batch
        while self._settling:
            batch, self._settling = self._settling, []
            try:
                async with self.db.sessions.begin() as session:
                    await OutboxRepository(session).sent(
                        [(row, posted) for row, posted, _ in batch], self.clock()
                    )
            except Exception as exc:
                for _row, _posted, done in batch:
                    if not done.done():
                        done.set_exception(exc)
            else:
                for _row, _posted, done in batch:
                    if not done.done():
                        done.set_result(None)

    async def _retry(
        self, row: OutboxRow, error: str, delay: timedelta | None, *, count: bool = True
    ) -> None:
        attempts = row.attempts if count else row.attempts - 1  # the claim counted this try
        dead = delay is None or attempts >= MAX_ATTEMPTS
        if dead:
            log.error("outbox %s %s gave up: %s", row.id, row.method, error)
        async with self.db.sessions.begin() as session:
            await OutboxRepository(session).retry(
                row.id,
                attempts=attempts,
                error=error,
                next_attempt_at=self.clock() + (delay or timedelta()),
                dead=dead,
            )
