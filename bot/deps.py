"""What every feature needs, built once per process and handed to each `register(app, deps)`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from slack_sdk.web.async_client import AsyncWebClient

from bot.approvals.outbox import Outbox
from bot.render import Renderer
from bot.settings import Settings
from storage.db import Database


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Deps:
    settings: Settings
    db: Database
    renderer: Renderer
    client: AsyncWebClient
    outbox: Outbox
    clock: Callable[[], datetime] = utc_now

    @classmethod
    def build(cls, settings: Settings, *, clock: Callable[[], datetime] = utc_now) -> Deps:
        db = Database(settings.database_url)
        client = AsyncWebClient(token=settings.bot_token, base_url=settings.slack_api_url, timeout=10)
        outbox = Outbox(db, client, clock, poll_seconds=settings.outbox_poll_seconds)
        return cls(
            settings=settings,
            db=db,
            renderer=Renderer(settings.templates_dir),
            client=client,
            outbox=outbox,
            clock=clock,
        )
