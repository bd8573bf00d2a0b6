"""OutboxRepository: Slack calls (and other systems' calls) waiting to be sent, and the messages they
posted. Never commits.

New rows are queued and written in one statement just before the transaction commits
(storage/batched.py); the dispatcher leases due rows in batches (storage/leases.py) and settles them in
batches.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Executable, and_, bindparam, func, not_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import batched, leases
from storage.models import MessageRefRow, OutboxRow
from storage.upsert import upsert_many

_TABLE = OutboxRow.__table__
# Cards first: an approver's card and the requester's copy (posts and updates alike, so a card's own rows
# keep their order) are claimed before DMs, App Home and other systems' calls. In a burst the person who
# clicked sees their card change within the batch, while the notifications to others follow it. A row's
# `card` column says which it is (set from its ref_key when queued), so the cards' claim reads the cards'
# lane of the index (ix_outbox_lane_due), however many DMs wait (bot/approvals/outbox.py DEFER_SECONDS).
CARD_PREFIXES = ("card:", "requested:")  # storage/requests.py card_ref and requested_ref
CARDS_FIRST = OutboxRow.card.desc()


def is_card(ref_key: str | None) -> bool:
    """Whether a row (by its ref_key) is a card: what its `card` column is set to when it is queued."""
    return ref_key is not None and ref_key.startswith(CARD_PREFIXES)


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
            "card": is_card(ref_key),
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
        self,
        now: datetime,
        until: datetime,
        limit: int,
        busy: Sequence[str] = (),
        *,
        cards: bool | None = None,
        unneeded: ColumnElement[bool] | None = None,
    ) -> list[OutboxRow]:
        """Lease due rows, cards first (CARDS_FIRST), then oldest first, counting each one's attempt in the
        same statement (a send cut short by a crash is still known to have been tried: its retry looks for
        an earlier copy first). Rows of a card in `busy` (one being sent) wait their turn. `cards`: only
        cards (True) or only the rest (False). Rows `unneeded` (`unneeded_rows`) are never leased: one that
        committed after this transaction's `settle_unneeded` read (PostgreSQL reads each statement afresh)
        waits for the next claim's settle."""
        where = [or_(OutboxRow.ref_key.is_(None), OutboxRow.ref_key.not_in(busy))] if busy else []
        if cards is not None:
            where.append(OutboxRow.card == cards)
        if unneeded is not None:
            where.append(not_(unneeded))
        return await leases.claim(
            self.session,
            OutboxRow,
            due=OutboxRow.next_attempt_at <= now,
            now=now,
            until=until,
            order_by=(CARDS_FIRST, OutboxRow.id),
            limit=limit,
            where=where,
            values={"attempts": OutboxRow.attempts + 1},
        )

    @staticmethod
    def unneeded_rows(skips: Mapping[str, ColumnElement[bool]]) -> ColumnElement[bool]:
        """Rows needing no call, from `skips` (method -> condition on that method's rows)."""
        return or_(*(and_(_C.method == method, condition) for method, condition in skips.items()))

    @staticmethod
    def unneeded(rows: ColumnElement[bool]) -> Executable:
        """The UPDATE `settle_unneeded` runs for `rows` (`unneeded_rows`): built once by the dispatcher, then
        executed with a time (`now`)."""
        free = or_(_C.claimed_until.is_(None), _C.claimed_until < _NOW)
        return (
            update(_TABLE)
            .where(_C.status == "pending", _C.next_attempt_at <= _NOW, free, rows)
            .values(status="sent", sent_at=_NOW, claimed_until=None, last_error=None)
        )

    async def settle_unneeded(self, statement: Executable, now: datetime) -> None:
        """Settle as sent, without a call, the due and unleased rows that `statement` (`unneeded`) rules
        out: one UPDATE, so a batch then loads and leases only rows worth sending."""
        await self.session.execute(statement, {"now": now})

    async def renew(self, row_id: int, token: datetime | None, until: datetime) -> bool:
        """Extend the lease only if it is still ours (`token`); False if it isn't."""
        result = await self.session.execute(_RENEW, {"row_id": row_id, "token": token, "until": until})
        return bool(result.rowcount)

    async def message_ref(self, ref_key: str) -> MessageRefRow | None:
        return await self.session.get(MessageRefRow, ref_key)

    async def message_refs(self, ref_keys: Iterable[str]) -> dict[str, tuple[str, str]]:
        """Where each of these messages was posted (channel, ts), for those posted: one query."""
        wanted = sorted(set(ref_keys))
        if not wanted:
            return {}
        rows = await self.session.execute(_MESSAGE_REFS, {"keys": wanted})
        return {key: (channel, ts) for key, channel, ts in rows}

    async def superseded(self, rows: Sequence[OutboxRow]) -> set[int]:
        """Which of `rows` have a later row of the same method for the same message (`ref_key`) sent or
        waiting: one query for a claimed batch (the newest id per message and method)."""
        keys = sorted({row.ref_key for row in rows if row.ref_key})
        if not keys:
            return set()
        newest = {
            (ref_key, method): top
            for ref_key, method, top in await self.session.execute(_NEWEST, {"keys": keys})
        }
        return {row.id for row in rows if newest.get((row.ref_key, row.method), row.id) > row.id}

    async def sent(self, rows: Sequence[tuple[OutboxRow, tuple[str, str] | None]], now: datetime) -> None:
        """Settle rows as sent, many in one statement; a post's (channel, ts) is stored under its ref_key
        for later updates."""
        refs = {
            row.ref_key: {"key": row.ref_key, "channel": posted[0], "ts": posted[1]}
            for row, posted in rows
            if posted is not None and row.ref_key
        }
        if refs:
            await upsert_many(self.session, MessageRefRow, list(refs.values()), ["key"])
        ids = sorted({row.id for row, _posted in rows})
        if ids:
            await self.session.execute(_SENT, {"ids": ids, "now": now})

    async def retry(
        self, row_id: int, *, attempts: int, error: str, next_attempt_at: datetime, dead: bool
    ) -> None:
        await self.session.execute(
            _RETRY,
            {
                "row_id": row_id,
                "new_status": "dead" if dead else "pending",
                "new_attempts": attempts,
                "error": error,
                "retry_at": next_attempt_at,
            },
        )


# The dispatcher's statements, built once (Core, on the table): each batch or send runs them with new values
# only, instead of paying SQLAlchemy's statement construction and ORM bookkeeping again.
_C = _TABLE.c
_NOW = bindparam("now", type_=_C.next_attempt_at.type)
_RENEW = (
    update(_TABLE)
    .where(
        _C.id == bindparam("row_id"),
        _C.status == "pending",
        _C.claimed_until.is_not_distinct_from(bindparam("token", type_=_C.claimed_until.type)),
    )
    .values(claimed_until=bindparam("until", type_=_C.claimed_until.type))
)
_REFS = MessageRefRow.__table__.c
_MESSAGE_REFS = select(_REFS.key, _REFS.channel, _REFS.ts).where(
    _REFS.key.in_(bindparam("keys", expanding=True))
)
_NEWEST = (
    select(_C.ref_key, _C.method, func.max(_C.id))
    .where(_C.ref_key.in_(bindparam("keys", expanding=True)), _C.status.in_(("pending", "sent")))
    .group_by(_C.ref_key, _C.method)
)
_SENT = (
    update(_TABLE)
    .where(_C.id.in_(bindparam("ids", expanding=True)))
    .values(status="sent", sent_at=_NOW, claimed_until=None, last_error=None)
)
_RETRY = (
    update(_TABLE)
    .where(_C.id == bindparam("row_id"))
    .values(
        status=bindparam("new_status"),
        attempts=bindparam("new_attempts"),
        last_error=bindparam("error"),
        claimed_until=None,
        next_attempt_at=bindparam("retry_at", type_=_C.next_attempt_at.type),
    )
)
