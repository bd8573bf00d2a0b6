"""What every request passes before any listener: replays are dropped, free text is cleaned.

- A signed request seen before (bot/replays.py) is answered with an empty 200 and reaches no listener.
  An approval click's key is left in the context (`replay_key`) for its listener to record in the
  decision's own transaction; a replay of one is acked empty by that listener and changes nothing.
  Pure look-ups (`/glossary`, `/gtm owner`...) are not recorded: a replay of one changes nothing anyway,
  and they stay free of writes (on SQLite, a write queues behind any other writer).
- NUL (which PostgreSQL refuses in text) and the other control characters are removed from every string
  of the payload, and strings are capped in length (bot/inputs.py), so no handler needs its own patch.
- The process's Deps go into the request's context as `deps`: Bolt hands a context key to any listener
  that names it as a parameter, so every listener takes `deps: Deps` (see handlers/__init__.py).
- Listeners get a `respond` (for a request with a `response_url`) that replies over the process's pooled
  Slack connection (bot/web_client.py), as their `client` does (bot/app.py GtmApp): Bolt's own open and
  close a connection per call.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from slack_bolt import BoltResponse
from slack_bolt.async_app import AsyncApp
from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.deps import Deps
from bot.inputs import clean_payload
from bot.replays import CONTEXT_KEY, recorded_by_listener, replay_key
from bot.web_client import PooledRespond, SharedSessionWebClient
from handlers.router import CommandRouter, is_database_error

log = logging.getLogger("gtm_bot.edge")
Next = Callable[[], Awaitable[None]]
# Subcommands that only read: answered again on a replay, at no cost and with no effect.
LOOKUPS = frozenset({"define", "ask", "help", "stage", "owner", "segment", "requests", "holdover"})


class Edge(AsyncMiddleware):
    """The one middleware. A Bolt middleware class, not a function: Bolt builds a function middleware's
    arguments (every argument any listener could ask for) on every request, about 20 µs, a twentieth of a
    `/glossary` answer; a class's `async_process` is called with the request as it is."""

    def __init__(self, deps: Deps, router: CommandRouter) -> None:
        self.deps = deps
        self.router = router

    async def async_process(  # type: ignore[override]
        self, *, req: AsyncBoltRequest, resp: BoltResponse, next: Next
    ) -> BoltResponse | None:
        context = req.context
        context["deps"] = self.deps
        client = context.client  # the process's pooled one, when it has one (GtmApp._init_context)
        if isinstance(client, SharedSessionWebClient) and context.response_url:
            context["respond"] = PooledRespond(client, context.response_url)
        dropped = await self.replayed(req)
        if dropped is not None:
            return dropped
        req.body = clean_payload(req.body)
        return await next()

    async def replayed(self, req: AsyncBoltRequest) -> BoltResponse | None:
        """An empty 200 for a request seen before, else None (and the request is recorded)."""
        body = req.body
        if body.get("command"):
            sub, _, _ = self.router.resolve(body["command"], body.get("text", ""))
            if sub is None or sub.name in LOOKUPS:
                return None
        key = replay_key(body)
        if key is None:
            return None
        if recorded_by_listener(body):
            req.context[CONTEXT_KEY] = key
            return None
        now = datetime.now(UTC)  # Slack's window is wall-clock time, whatever the app's clock says
        try:
            first = await self.deps.replays.first_time(self.deps.db, key, now)
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


def register(app: AsyncApp, deps: Deps, router: CommandRouter) -> None:
    app.use(Edge(deps, router))
