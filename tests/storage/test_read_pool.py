"""ReadPool (PostgreSQL look-ups on plain asyncpg connections) fails the way every other database read does:
a server that is away is a DBAPIError (the user is told the database isn't answering), a read still waiting
when its request's deadline passes is Busy (the user is told to try again). Each case runs against a
stand-in server, so it holds whichever database the suite runs on."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator

import pytest
from sqlalchemy.exc import DBAPIError

from handlers.router import is_database_error
from storage.db import Busy, ReadPool, is_lock_timeout, lock_wait_limit


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.asynccontextmanager
async def nothing_listening() -> AsyncIterator[int]:
    yield free_port()


@contextlib.asynccontextmanager
async def never_answering() -> AsyncIterator[int]:
    """Accepts connections and says nothing, as a server too busy to answer would."""
    held: list[asyncio.StreamWriter] = []

    async def accept(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        for writer in held:
            writer.close()
        server.close()
        await server.wait_closed()


@pytest.mark.parametrize(
    ("server", "deadline", "raised", "busy"),
    [
        (nothing_listening, None, DBAPIError, False),
        (nothing_listening, 2.0, DBAPIError, False),
        (never_answering, 0.2, Busy, True),
    ],
)
async def test_a_read_pool_fails_as_the_other_database_reads_do(server, deadline, raised, busy) -> None:  # type: ignore[no-untyped-def]
    async with server() as port:
        pool = ReadPool(f"postgresql+asyncpg://postgres@127.0.0.1:{port}/gtm")
        with contextlib.ExitStack() as stack:
            if deadline is not None:
                stack.enter_context(lock_wait_limit(deadline))
            with pytest.raises(raised) as caught:
                await asyncio.wait_for(pool.fetchrow("SELECT 1"), timeout=10)
        await pool.close()
    assert is_database_error(caught.value)
    assert is_lock_timeout(caught.value) is busy
