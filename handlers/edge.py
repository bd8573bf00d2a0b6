"""What every request passes before any listener: replays are dropped, free text is cleaned.

- A signed request seen before (bot/replays.py) is answered with an empty 200 and reaches no listener.
  Pure look-ups (`/glossary`, `/gtm owner`...) are not recorded: a replay of one changes nothing anyway,
  and they stay free of writes (on SQLite, a write queues behind any other writer).
- NUL (which PostgreSQL refuses in text) and the other control characters are removed from every string
  of the payload, and strings are capped in length (bot/inputs.py), so no handler needs its own patch.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from slack_bolt import BoltResponse
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.deps import Deps
from bot.inputs import clean_payload
from bot.replays import Ledger, replay_key
from handlers.router import CommandRouter, is_database_error

log = logging.getLogger("gtm_bot.edge")
Next = Callable[[], Awaitable[None]]
# Subcommands that only read: answered again on a replay, at no cost and with no effect.
LOOKUPS = frozenset({"define", "ask", "help", "stage", "owner", "segment", "requests", "holdover"})


def register(app: AsyncApp, deps: Deps, router: CommandRouter) -> None:
    ledger = Ledger()

    async def replayed(req: AsyncBoltRequest) -> BoltResponse | None:
        """An empty 200 for a request seen before, else None (and the request is recorded)."""
        body = req.body
        if body.get("command"):
            sub, _, _ = router.resolve(body["command"], body.get("text", ""))
            if sub is None or sub.name in LOOKUPS:
                return None
        key = replay_key(body)
        if key is None:
            return None
        now = datetime.now(UTC)  # Slack's window is wall-clock time, whatever the app's clock says
        try:
            first = await ledger.first_time(deps.db, key, now)
        except Exception as exc:
            if not is_database_error(exc):
                raise
            return None  # the listener meets the same outage and says so to the user
        if not first:
            log.warning(
                "dropped a replayed %s from %s", body.get("type") or body.get("command"), req.context.user_id
            )
            return BoltResponse(status=200, body="")
        return None

    # One middleware, not two: Bolt builds every middleware's arguments on every request.
    async def edge(req: AsyncBoltRequest, resp: BoltResponse, next: Next) -> BoltResponse | None:
        dropped = await replayed(req)
        if dropped is not None:
            return dropped
        req.body = clean_payload(req.body)
        return await next()

    app.use(edge)
