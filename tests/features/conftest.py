"""Use-case tests call bot/features/** directly: a real database, the injectable clock, no HTTP."""

from __future__ import annotations

from datetime import datetime

import pytest

from bot.app import build_app
from bot.deps import Deps
from bot.scheduler import Scheduler
from tests.conftest import FakeClock


@pytest.fixture
def wired(deps: Deps, directory) -> Deps:  # type: ignore[no-untyped-def]
    """Deps with the sample directory and every approval flow and job registered, as the app factory does."""
    build_app(deps)
    return deps


async def tick_at(deps: Deps, clock: FakeClock, moment: datetime) -> int:
    """Run the scheduler's due jobs at `moment`; how many ran."""
    clock.now = moment
    return await Scheduler(deps).tick()
