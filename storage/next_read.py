"""Concurrent look-ups' reads done as one statement: each caller joins the next read that has not started.

At 50 concurrent `/gtm owner` look-ups on PostgreSQL, each look-up's own version check (one round trip
that wakes a backend sharing the machine's cores) cost more than the rest of the look-up. Here they share
reads instead, without weakening "a write is seen by the next look-up in every process": a caller never
joins a read already sent (its snapshot may predate a write that committed before the caller arrived),
only the next one, which is sent after every caller in it arrived. So at most one read is in flight and
one is gathering callers; when the first ends, the second starts with everyone who joined it.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import time
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from storage.db import Busy, lock_wait_limit, remaining_wait

Ask = TypeVar("Ask")
Answer = TypeVar("Answer")


class _Gathering(Generic[Ask, Answer]):
    """One read's callers: what each asked, the answer they all wait for, and until when one of them waits
    (None: one of them has no deadline)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.asks: list[Ask] = []
        self.answer: asyncio.Future[Answer] = loop.create_future()
        self.until: float | None = 0.0

    def join(self, ask: Ask, left: float | None) -> None:
        self.asks.append(ask)
        if left is None or self.until is None:
            self.until = None
        else:
            self.until = max(self.until, time.monotonic() + left)


class NextRead(Generic[Ask, Answer]):
    """`read(asks)` answers every caller gathered since the previous read started, in one go. A caller
    waits until its own request's deadline (storage/db.py lock_wait_limit) and then gets Busy, as a read
    of its own would; the read goes on for the others, and is cancelled by no caller. Its errors reach
    every caller in it. The read runs under the latest deadline among its callers (none if one has none)."""

    def __init__(self, read: Callable[[list[Ask]], Awaitable[Answer]]) -> None:
        self._read = read
        self._loop: asyncio.AbstractEventLoop | None = None
        self._running: asyncio.Task[None] | None = None
        self._gathering: _Gathering[Ask, Answer] | None = None

    async def join(self, ask: Ask) -> Answer:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # a finished loop's reads are gone with it (tests run several loops)
            self._loop, self._running, self._gathering = loop, None, None
        gathering = self._gathering
        if gathering is None:
            gathering = self._gathering = _Gathering(loop)
            if self._running is None:
                self._start(gathering)
        left = remaining_wait()
        gathering.join(ask, left)
        try:
            async with asyncio.timeout(None if left is None else max(left, 0)) as limit:
                return await asyncio.shield(gathering.answer)  # a caller cancelled leaves the read running
        except TimeoutError:
            if limit.expired():
                raise Busy("a read ran past the request's deadline") from None
            raise

    def _start(self, gathering: _Gathering[Ask, Answer]) -> None:
        # In a context of its own: the read must not run under the deadline of the caller that started it.
        self._running = asyncio.create_task(self._run(gathering), context=contextvars.Context())

    async def _run(self, gathering: _Gathering[Ask, Answer]) -> None:
        if self._gathering is gathering:
            self._gathering = None  # from here on, callers wait for the next read
        try:
            with _until(gathering.until):
                gathering.answer.set_result(await self._read(gathering.asks))
        except asyncio.CancelledError:  # the loop is closing: nothing more to read
            gathering.answer.cancel()
            if self._gathering is not None:
                self._gathering.answer.cancel()
                self._gathering = None
            raise
        except Exception as error:  # every caller gets what a read of its own would have raised
            gathering.answer.set_exception(error)
            gathering.answer.exception()  # retrieved: callers that gave up before it came don't log it
        finally:
            if self._running is asyncio.current_task():  # else the loop changed meanwhile
                self._running = None
        if self._gathering is not None and self._running is None:
            self._start(self._gathering)


def _until(at: float | None) -> contextlib.AbstractContextManager[None]:
    return contextlib.nullcontext() if at is None else lock_wait_limit(at - time.monotonic())
