"""The one error handler: log with context, tell the user something useful and private."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import BoltResponse
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.deps import Deps
from bot.features.busy import is_lock_timeout
from handlers.router import is_database_error

log = logging.getLogger("gtm_bot.errors")


async def on_error(
    error: Exception, body: dict[str, Any], client: AsyncWebClient, deps: Deps | None = None
) -> BoltResponse | None:
    user = body.get("user_id") or (body.get("user") or {}).get("id")
    channel = body.get("channel_id") or (body.get("channel") or {}).get("id")
    busy = is_lock_timeout(error)
    if busy:  # a lock held past the request's deadline (a long import): expected, not a bug
        log.warning("database busy for %s in %s (%s); nothing recorded", user, channel, body.get("type"))
    else:
        log.error(
            "listener failed for %s in %s (%s)",
            user,
            channel,
            body.get("type") or body.get("command"),
            exc_info=error,
        )
    if not user or not channel or deps is None:  # no deps: it failed before the edge middleware ran
        return None
    message = deps.renderer.message("common/error.json.j2", unavailable=is_database_error(error), busy=busy)
    try:
        await client.chat_postEphemeral(channel=channel, user=user, **message)
    except Exception:  # Slack itself may be the problem; the log above has the details
        log.warning("could not tell %s about the error", user)
        return None
    if body.get("type") == "block_actions":
        # A click is acknowledged: the user has been told privately, so Slack needn't flag a failure too.
        return BoltResponse(status=200, body="")
    return None


def register(app: AsyncApp, deps: Deps) -> None:
    app.error(on_error)
