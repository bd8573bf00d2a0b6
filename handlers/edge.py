"""What every request passes before any listener: its free text cleaned by one rule (bot/inputs.py).

NUL (which PostgreSQL refuses in text) and the other control characters are removed from every string of
the payload, and strings are capped in length, so no handler needs its own patch.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from slack_bolt import BoltResponse
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.deps import Deps
from bot.inputs import clean_payload


async def clean_input(
    req: AsyncBoltRequest, resp: BoltResponse, next: Callable[[], Awaitable[None]]
) -> BoltResponse | None:
    req.body = clean_payload(req.body)
    return await next()


def register(app: AsyncApp, deps: Deps) -> None:
    app.use(clean_input)
