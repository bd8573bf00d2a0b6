"""A background task that a server starts on startup and stops on shutdown (the outbox, the scheduler)."""

from __future__ import annotations

import asyncio
import contextlib


class BackgroundTask:
    """A loop that stops between steps: `stop()` asks it to finish the step under way (a claim, a job, a
    transaction) and cancels it only after `grace_seconds`. A task cancelled inside a transaction can leave
    its connection behind (on SQLite, with the write lock) and fails the process's shutdown."""

    name = "background"
    grace_seconds = 10.0

    def __init__(self) -> None:
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    async def pause(self, seconds: float, wake: asyncio.Event | None = None) -> None:
        """Sleep between steps; a stop (or `wake`) ends it early."""
        waits = [asyncio.ensure_future(self._stopping.wait())]
        if wake is not None:
            waits.append(asyncio.ensure_future(wake.wait()))
        try:
            await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiting in waits:
                waiting.cancel()

    async def _run(self) -> None:
        raise NotImplementedError

    def start(self) -> None:
        if self._task is None:
            self._stopping = asyncio.Event()
            self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        if self._task is None:
            return
        self._stopping.set()
        done, _ = await asyncio.wait({self._task}, timeout=self.grace_seconds)
        if not done:
            self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None
