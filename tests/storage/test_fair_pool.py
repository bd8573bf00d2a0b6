"""storage/db.py FairQueue: PostgreSQL's pooled connections go to waiting requests in the order they asked.

The pool calls the queue from SQLAlchemy's greenlets (`greenlet_spawn`), as a session's checkout does."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.util import greenlet_spawn
from sqlalchemy.util.queue import AsyncAdaptedQueue, Empty

from storage.db import Busy, FairQueue, is_lock_timeout, lock_wait_limit


async def waiting(queue: AsyncAdaptedQueue, names: str, served: list[tuple[str, str]]) -> list[asyncio.Task]:
    """One task per name, each asking for a connection (in the names' order) and noting what it got."""

    async def want(name: str) -> None:
        served.append((name, await greenlet_spawn(queue.get, True, 5)))

    tasks = []
    for name in names:
        tasks.append(asyncio.create_task(want(name)))
        await asyncio.sleep(0)  # it asks before the next one does
    return tasks


@pytest.mark.parametrize(("kind", "newcomer_jumps"), [(FairQueue, False), (AsyncAdaptedQueue, True)])
async def test_a_returned_connection_goes_to_the_longest_waiter_not_to_a_newcomer(
    kind: type[AsyncAdaptedQueue], newcomer_jumps: bool
) -> None:
    """SQLAlchemy's own queue (the second case) lets a request that just arrived take the connection the
    waiters were woken for; the fair one hands it over to the first of them."""
    queue = kind(maxsize=2)
    served: list[tuple[str, str]] = []
    tasks = await waiting(queue, "AB", served)
    queue.put_nowait("c1")  # a transaction ends, its connection returns
    try:
        late = await greenlet_spawn(queue.get, False)  # a request arriving right then
    except Empty:
        late = None
    assert (late == "c1") is newcomer_jumps
    if late is not None:
        queue.put_nowait(late)
    queue.put_nowait("c2")
    await asyncio.wait_for(asyncio.gather(*tasks), 5)
    if not newcomer_jumps:
        assert served == [("A", "c1"), ("B", "c2")]
        assert queue.qsize() == 0


async def test_a_waiter_that_times_out_leaves_its_place_and_takes_nothing() -> None:
    queue = FairQueue(maxsize=1)
    with pytest.raises(Empty):
        await greenlet_spawn(queue.get, True, 0.05)
    queue.put_nowait("c1")  # nobody waits any more: it stays idle
    assert queue.qsize() == 1
    assert await greenlet_spawn(queue.get, True, 1) == "c1"


async def test_a_connection_handed_to_a_waiter_that_gives_up_goes_to_the_next_one() -> None:
    """Handed over just as the waiter's request was cancelled (Slack's deadline, a client gone): the
    connection is not lost with it, the next waiter gets it."""
    queue = FairQueue(maxsize=1)
    served: list[tuple[str, str]] = []
    first, second = await waiting(queue, "AB", served)
    queue.put_nowait("c1")  # A's turn, and before A runs it is cancelled
    first.cancel()
    await asyncio.wait_for(second, 5)
    assert first.cancelled()
    assert served == [("B", "c1")]
    assert queue.qsize() == 0


def test_idle_connections_come_back_first_in_first_out() -> None:
    queue = FairQueue(maxsize=3)
    for name in ("c1", "c2", "c3"):
        queue.put_nowait(name)
    assert queue.full()
    assert [queue.get_nowait() for _ in range(3)] == ["c1", "c2", "c3"]
    with pytest.raises(Empty):
        queue.get_nowait()


async def test_a_request_waits_for_a_connection_no_longer_than_its_deadline() -> None:
    """Inside a request (lock_wait_limit) the wait ends with Busy at its deadline, however long the pool's
    own time-out; outside one, the pool's time-out ends it."""
    queue = FairQueue(maxsize=1)
    started = asyncio.get_running_loop().time()
    with lock_wait_limit(0.1), pytest.raises(Busy) as caught:
        await greenlet_spawn(queue.get, True, 30)
    assert is_lock_timeout(caught.value)  # answered as a busy database: "please try again"
    assert asyncio.get_running_loop().time() - started < 5
    with pytest.raises(Empty):
        await greenlet_spawn(queue.get, True, 0.05)
