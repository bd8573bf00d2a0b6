"""Where a use-case works: the approvals Context (the directory, the audit trail, the outbox, App Home
refreshes) over one transaction, so everything it writes commits together, or over one read."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import TYPE_CHECKING

from bot.approvals import service

if TYPE_CHECKING:
    from bot.deps import Deps


@asynccontextmanager
async def transaction(deps: Deps, actor: str, now: datetime | None = None) -> AsyncIterator[service.Context]:
    async with deps.db.sessions.begin() as session:
        yield service.Context(deps, session, now or deps.clock(), actor)


@asynccontextmanager
async def reading(deps: Deps, actor: str) -> AsyncIterator[service.Context]:
    async with deps.db.reads() as session:
        yield service.Context(deps, session, deps.clock(), actor)
