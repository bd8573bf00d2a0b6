"""A signed request replayed within Slack's five-minute window changes nothing the second time.

Each command and interaction is known by its own ids: Slack gives every interaction a new trigger_id,
and a click carries its action_ts, a submission its view id and hash. The digest of those is inserted
once (storage/replays.py, a primary key, so several processes agree); a second insert finds it and the
request is answered with an empty 200 without reaching any listener.

An approval click is recorded by its listener instead, in the transaction that decides it (one commit per
click, not two): the key commits exactly when the decision (or its refusal) does, so a decision that fails
leaves no key and Slack's retry of it is decided, while a replay of a committed one finds the key and
changes nothing.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from storage.replays import SeenRequestRepository

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from storage.db import Database

# Slack refuses signatures older than five minutes; keys are kept twice as long for clock skew.
KEEP = timedelta(minutes=10)
PURGE_EVERY = 500  # new keys between two deletions of expired ones
# Clicks whose listener records their key in the transaction of the decision they make (see above).
RECORDED_BY_LISTENER = frozenset({"approval.approve"})
# Where the edge leaves such a click's key for its listener (a key of Bolt's request context).
CONTEXT_KEY = "replay_key"


def replay_key(body: dict[str, Any]) -> str | None:
    """A digest of the request's own ids, or None for what carries none (events, options)."""
    trigger = str(body.get("trigger_id") or "")
    if not trigger:
        return None
    if body.get("command"):
        parts: list[Any] = ["command", body.get("team_id"), body.get("user_id"), trigger, body["command"]]
        parts.append(body.get("text"))
    else:
        kind = body.get("type")
        user = (body.get("user") or {}).get("id")
        team = (body.get("team") or {}).get("id")
        if kind == "block_actions":
            actions = [
                (a.get("action_id"), a.get("block_id"), a.get("action_ts")) for a in body.get("actions") or []
            ]
            parts = [kind, team, user, trigger, actions]
        elif kind == "view_submission":
            view = body.get("view") or {}
            parts = [kind, team, user, trigger, view.get("id"), view.get("hash")]
        elif kind in ("shortcut", "message_action"):
            parts = [kind, team, user, trigger, body.get("callback_id"), body.get("action_ts")]
        else:
            return None
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()


def recorded_by_listener(body: dict[str, Any]) -> bool:
    """Whether this request's listener records its key itself (an approval click)."""
    if body.get("type") != "block_actions":
        return False
    return any(a.get("action_id") in RECORDED_BY_LISTENER for a in body.get("actions") or [])


def expiry(now: datetime) -> datetime:
    return now + KEEP


class Ledger:
    """The requests this process has recorded (at the edge or in a listener's transaction: one per process,
    `deps.replays`); every PURGE_EVERY new ones, the expired keys are deleted."""

    def __init__(self) -> None:
        self.recorded = 0

    async def first_time(self, db: Database, key: str, now: datetime) -> bool:
        """Record the key in a transaction of its own; False when some process recorded it before."""
        async with db.sessions.begin() as session:
            return await self.first_time_in(session, key, now)

    async def first_time_in(self, session: AsyncSession, key: str, now: datetime | None = None) -> bool:
        """Record the key in the caller's transaction (it commits with it); False for a replay."""
        now = now or datetime.now(UTC)  # Slack's window is wall-clock time, whatever the app's clock says
        repo = SeenRequestRepository(session)
        first = await repo.first_time(key, expiry(now))
        self.recorded += first
        if first and self.recorded % PURGE_EVERY == 0:
            await repo.purge(now)
        return first
