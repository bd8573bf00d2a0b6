"""A signed request replayed within Slack's five-minute window changes nothing the second time.

Each command and interaction is known by its own ids: Slack gives every interaction a new trigger_id,
and a click carries its action_ts, a submission its view id and hash. The digest of those is inserted
once (storage/replays.py, a primary key, so several processes agree); a second insert finds it and the
request is answered with an empty 200 without reaching any listener.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from storage.replays import SeenRequestRepository

if TYPE_CHECKING:
    from storage.db import Database

# Slack refuses signatures older than five minutes; keys are kept twice as long for clock skew.
KEEP = timedelta(minutes=10)
PURGE_EVERY = 500  # new keys between two deletions of expired ones


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


def expiry(now: datetime) -> datetime:
    return now + KEEP


class Ledger:
    """The requests this process has recorded; every PURGE_EVERY new ones, the expired keys are deleted."""

    def __init__(self) -> None:
        self.recorded = 0

    async def first_time(self, db: Database, key: str, now: datetime) -> bool:
        """Record the key; False when some process recorded it before (a replay)."""
        async with db.sessions.begin() as session:
            repo = SeenRequestRepository(session)
            first = await repo.first_time(key, expiry(now))
            self.recorded += first
            if first and self.recorded % PURGE_EVERY == 0:
                await repo.purge(now)
        return first
