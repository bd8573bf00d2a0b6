"""What every feature needs, built once per process and handed to each `register(app, deps)`."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.approvals.outbox import Outbox
from bot.features.directory.cache import DirectoryCache
from bot.metrics import Metrics
from bot.render import Renderer
from bot.settings import Settings
from bot.web_client import SharedSessionWebClient
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
    flows: dict[str, Any] = field(default_factory=dict)  # request kind -> approvals Flow
    jobs: dict[str, Any] = field(default_factory=dict)  # job kind -> scheduler JobHandler
    directory: DirectoryCache = field(default_factory=DirectoryCache)  # read cache for look-ups
    # job kind -> async (deps, job) run outside the scheduler's transaction (long work in many commits)
    long_jobs: dict[str, Any] = field(default_factory=dict)
    startup: list[Any] = field(default_factory=list)  # async (deps) -> None, run once the schema is up
    shutdown: list[Any] = field(default_factory=list)  # async () -> None, run when the server stops
    metrics: Metrics = field(default_factory=Metrics)
    # per-process state of the Slack surface (handlers/), by name: rendered answers, the glossary's index
    state: dict[str, Any] = field(default_factory=dict)
    _tasks: set[asyncio.Task[Any]] = field(default_factory=set)

    def __deepcopy__(self, memo: dict[int, Any]) -> Deps:
        """Shared, never copied: Bolt deep-copies a request's context (holding deps) for lazy listeners."""
        return self

    def spawn(self, work: Coroutine[Any, Any, Any]) -> None:
        """Run non-durable Slack I/O (an ephemeral reply) after the ack without holding the response."""
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    async def settle(self, seconds: float = 10.0) -> None:
        """Let the work spawned after acks finish before the engine is disposed (shutdown)."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=seconds)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logging.getLogger(__name__).warning("background reply failed", exc_info=task.exception())

    @classmethod
    def build(
        cls, settings: Settings, *, clock: Callable[[], datetime] = utc_now, db: Database | None = None
    ) -> Deps:
        """Everything for one process; `db` shares a database already open (tests, a restarted process)."""
        db = db if db is not None else Database(settings.database_url)
        client = SharedSessionWebClient(token=settings.bot_token, base_url=settings.slack_api_url, timeout=10)
        outbox = Outbox(db, client, clock, poll_seconds=settings.outbox_poll_seconds)
        renderer = Renderer(settings.templates_dir)
        outbox.renderer = renderer  # messages stored as template + context are rendered when sent
        deps = cls(
            settings=settings,
            db=db,
            renderer=renderer,
            client=client,
            outbox=outbox,
            clock=clock,
        )
        deps.shutdown.append(client.close)  # the pooled HTTP connections, when serve stops
        return deps
