"""NextRead (storage/next_read.py): concurrent look-ups share a read, but only one that starts after they
arrived, so a write committed before a look-up arrived is always seen. The reads here are stand-ins that
hold until released; the same on PostgreSQL's own reads (DirectReads, tests/test_directory_cache.py)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.exc import DBAPIError

from storage.db import Busy, is_lock_timeout, lock_wait_limit
from storage.next_read import NextRead


class HeldReads:
    """Reads that take their snapshot (`value`) when they start, then wait until `finish()`."""

    def __init__(self) -> None:
        self.value = 1
        self.started: list[list[str]] = []
        self.fail_with: Exception | None = None
        self._release: asyncio.Event = asyncio.Event()
        self._began: asyncio.Event = asyncio.Event()

    async def read(self, asks: list[str]) -> int:
        snapshot = self.value
        self.started.append(list(asks))
        self._began.set()
        await self._release.wait()
        self._release.clear()
        if self.fail_with is not None:
            raise self.fail_with
        return snapshot

    async def in_flight(self, count: int) -> None:
        """Until the `count`-th read has started (an error if it doesn't within a second)."""
        while len(self.started) < count:
            self._began.clear()
            await asyncio.wait_for(self._began.wait(), timeout=1)

    def finish(self) -> None:
        self._release.set()


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


@pytest.mark.parametrize(
    ("arrivals", "reads"),
    [
        # one read per wave: a caller never joins the read in flight, only the next one
        ([["a"]], [["a"]]),
        ([["a", "b", "c"]], [["a", "b", "c"]]),
        ([["a"], ["b", "c"]], [["a"], ["b", "c"]]),
        ([["a"], ["b"], ["c", "d", "e"]], [["a"], ["b"], ["c", "d", "e"]]),
    ],
)
async def test_callers_arriving_while_a_read_is_in_flight_wait_for_the_next_one(
    arrivals: list[list[str]], reads: list[list[str]]
) -> None:
    held = HeldReads()
    shared = NextRead(held.read)
    waiting: list[asyncio.Task[int]] = []
    for wave, callers in enumerate(arrivals):
        waiting += [asyncio.create_task(shared.join(c)) for c in callers]
        await settle()  # they have joined, while the previous wave's read is still in flight
        if wave:
            held.finish()  # that read ends: this wave's starts
        await held.in_flight(wave + 1)
    held.finish()
    await asyncio.wait_for(asyncio.gather(*waiting), timeout=5)
    assert held.started == reads


async def test_a_write_committed_before_a_caller_arrived_is_seen_even_with_a_read_in_flight() -> None:
    held = HeldReads()
    shared = NextRead(held.read)
    early = asyncio.create_task(shared.join("early"))
    await held.in_flight(1)  # its snapshot is taken: value 1
    held.value = 2  # a write commits
    late = asyncio.create_task(shared.join("late"))
    await settle()
    held.finish()
    assert await early == 1
    await held.in_flight(2)
    held.finish()
    assert await late == 2
    assert held.started == [["early"], ["late"]]


async def test_an_error_reaches_every_caller_of_that_read_and_the_next_read_is_fine() -> None:
    held = HeldReads()
    shared = NextRead(held.read)
    first = asyncio.create_task(shared.join("first"))
    await held.in_flight(1)
    callers = [asyncio.create_task(shared.join(name)) for name in ("b", "c", "d")]
    held.finish()
    assert await first == 1
    await held.in_flight(2)
    held.fail_with = DBAPIError.instance("SELECT", (), OSError("connection lost"), Exception)
    held.finish()
    raised = await asyncio.gather(*callers, return_exceptions=True)
    assert all(error is held.fail_with for error in raised)
    held.fail_with = None
    after = asyncio.create_task(shared.join("after"))
    await held.in_flight(3)
    held.finish()
    assert await after == 1


async def test_a_caller_past_its_deadline_or_cancelled_leaves_the_read_to_the_others() -> None:
    held = HeldReads()
    shared = NextRead(held.read)

    async def hurried() -> int:
        with lock_wait_limit(0.05):
            return await shared.join("hurried")

    others = [asyncio.create_task(shared.join(name)) for name in ("a", "b")]
    gone = asyncio.create_task(shared.join("cancelled"))
    with_deadline = asyncio.create_task(hurried())
    await held.in_flight(1)
    with pytest.raises(Busy) as caught:
        await asyncio.wait_for(with_deadline, timeout=2)  # the read is still held: its deadline passes first
    assert is_lock_timeout(caught.value)
    gone.cancel()
    await settle()
    assert gone.cancelled()
    held.finish()
    assert await asyncio.wait_for(asyncio.gather(*others), timeout=5) == [1, 1]
    assert held.started == [["a", "b", "cancelled", "hurried"]]


async def test_the_read_runs_until_the_latest_deadline_of_its_callers_not_the_first_callers() -> None:
    seen: list[float | None] = []

    async def read(_asks: list[str]) -> int:
        from storage.db import remaining_wait

        seen.append(remaining_wait())
        return 0

    shared = NextRead(read)

    async def within(seconds: float | None) -> int:
        if seconds is None:
            return await shared.join("no deadline")
        with lock_wait_limit(seconds):
            return await shared.join(f"{seconds}s")

    await asyncio.gather(within(1), within(5))
    await asyncio.gather(within(1), within(None))
    assert 4 < seen[0] <= 5 and seen[1] is None
