"""Engine and sessions. The boundary owns the transaction: `async with db.sessions.begin() as s:`."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import contextvars
import functools
import logging
import select
import sqlite3
import time
import urllib.parse
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, event, pool, text
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.util.queue import AsyncAdaptedQueue, Empty, Full

try:
    from sqlalchemy.util.concurrency import await_
except ImportError:  # SQLAlchemy 2.0 names it await_only
    from sqlalchemy.util.concurrency import await_only as await_

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
BUSY_TIMEOUT_MS = 30000  # background work (the outbox, the scheduler, imports) may wait this long
# A process's PostgreSQL connections for its transactions. More only wait longer: with 25 clicks in flight
# per process on the 2-core bench machine, 30 connections sat idle in transaction, waiting for the event
# loop to send their next statement, and each was one more backend whose first statements were prepared
# and planned afresh. With 10 the others wait their turn for a connection (FairQueue: in the order they
# asked), and a burst of clicks took a fifth less of PostgreSQL's CPU and ran about an eighth faster
# (bench/RESULTS.md, fourteenth pass). ReadPool's look-ups have READ_POOL_SIZE more.
POOL_SIZE = 10
READ_POOL_SIZE = 5


class Busy(Exception):
    """A lock wait ran past the deadline of the request it serves: nothing of that transaction was kept."""


class _Deadline:
    """When the request being answered must stop waiting for locks (time.monotonic()); None: no limit.

    One object per request, shared by every task started while answering it: the request clears it once
    its answer is sent, so work that runs after the answer (lazy listeners, replies) waits as usual."""

    __slots__ = ("at",)

    def __init__(self, at: float | None) -> None:
        self.at = at


_deadline: contextvars.ContextVar[_Deadline | None] = contextvars.ContextVar("lock_deadline", default=None)


@contextlib.contextmanager
def lock_wait_limit(seconds: float) -> Iterator[None]:
    """Every database lock wait inside (both dialects, any session) ends `seconds` from now, with Busy
    or the driver's own lock or statement time-out (see `is_lock_timeout`)."""
    holder = _Deadline(time.monotonic() + seconds)
    token = _deadline.set(holder)
    try:
        yield
    finally:
        holder.at = None
        _deadline.reset(token)


def remaining_wait() -> float | None:
    """Seconds left to wait for a lock in this context, or None when there is no limit."""
    holder = _deadline.get()
    if holder is None or holder.at is None:
        return None
    return holder.at - time.monotonic()


def is_lock_timeout(error: BaseException | None) -> bool:
    """A bounded lock wait gave up: Busy, SQLite's "database is locked", PostgreSQL's lock_timeout
    (55P03) or statement_timeout (57014)."""
    seen = 0
    while error is not None and seen < 10:
        if isinstance(error, Busy):
            return True
        if getattr(error, "sqlstate", None) in ("55P03", "57014"):
            return True
        if "database is locked" in str(error) and type(error).__name__ == "OperationalError":
            return True
        error = getattr(error, "orig", None) or error.__cause__
        seen += 1
    return False


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def create_engine(url: str, *, immediate: bool = True) -> AsyncEngine:
    """An engine; on SQLite, `immediate` makes every transaction take the write lock when it begins.

    SQLite's default (deferred) transactions fail at once with "database is locked" when two of them
    read and then both try to write. BEGIN IMMEDIATE makes writers queue for the lock instead.
    Read-only work uses a second, deferred engine so readers never wait for writers (WAL).
    On a SQLite file the writers' engine runs in the event loop's thread (see InlineSQLiteDialect).
    """
    if is_sqlite_file(url) and immediate:
        return _inline_write_engine(url)
    if is_sqlite(url):
        return _aiosqlite_engine(url, immediate=immediate)
    # No pool_pre_ping: on asyncpg it is three round trips per checkout (BEGIN, a ping, ROLLBACK), a sixth
    # of a click's. `_closed_by_server` replaces what the server closed instead, and the request's deadline
    # rides on the BEGIN (`_pg_connection_class`). POOL_SIZE connections, all kept, none on overflow (a
    # burst closed what overflow opened and opened it again for the next).
    engine = create_async_engine(
        url,
        poolclass=FairQueuePool,
        pool_size=POOL_SIZE,
        max_overflow=0,
        connect_args={"connection_class": _pg_connection_class()},
    )
    event.listen(engine.sync_engine, "checkout", _closed_by_server)
    return engine


class FairQueue(AsyncAdaptedQueue[Any]):
    """The pool's idle connections, handed out first come, first served. SQLAlchemy's asyncio queue lets a
    newcomer take a connection returned while others wait (the waiter woken for it finds none and queues
    again, last), so in a burst with every connection busy a few requests waited many turns: at 50 clicking
    senders on 10 connections a process, the p99 was twice the p50 (bench/RESULTS.md, fourteenth pass).
    Here a returned connection goes straight to the longest waiter."""

    def __init__(self, maxsize: int = 0, use_lifo: bool = False) -> None:
        super().__init__(maxsize, use_lifo)
        self._idle: collections.deque[Any] = collections.deque()
        self._waiting: collections.deque[asyncio.Future[Any]] = collections.deque()

    def empty(self) -> bool:
        return not self._idle

    def full(self) -> bool:
        return 0 < self.maxsize <= len(self._idle)

    def qsize(self) -> int:
        return len(self._idle)

    def put_nowait(self, item: Any) -> None:
        while self._waiting:
            turn = self._waiting.popleft()
            if not turn.done():  # not given up (timed out, cancelled)
                turn.set_result(item)
                return
        if self.full():
            raise Full()
        self._idle.append(item)

    def put(self, item: Any, block: bool = True, timeout: float | None = None) -> None:
        self.put_nowait(item)  # never blocks: the pool holds at most maxsize

    def get_nowait(self) -> Any:
        if not self._idle:
            raise Empty()
        return self._idle.pop() if self.use_lifo else self._idle.popleft()

    def get(self, block: bool = True, timeout: float | None = None) -> Any:
        """An idle connection, else the next one returned. Inside a request the wait ends at its deadline
        (lock_wait_limit) with Busy, as its lock waits do: the user is told to try again, and Slack does not
        wait past its 3 s. Otherwise the pool's own time-out ends it (Empty: SQLAlchemy's TimeoutError)."""
        if self._idle or not block:  # idle connections mean nobody waits (put_nowait hands them over)
            return self.get_nowait()
        left = remaining_wait()
        if left is not None and (timeout is None or left < timeout):
            try:
                return await_(self._turn(max(left, 0)))
            except TimeoutError:
                raise Busy("waited too long for a database connection") from None
        try:
            return await_(self._turn(timeout))
        except TimeoutError:
            raise Empty() from None

    async def _turn(self, seconds: float | None) -> Any:
        turn: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._waiting.append(turn)
        try:
            async with asyncio.timeout(seconds):
                return await turn
        except BaseException:
            if turn.done() and not turn.cancelled():  # handed one just as this waiter gave up: the next's
                self.put_nowait(turn.result())
            raise
        finally:
            turn.cancel()  # nothing to hand this waiter any more (a no-op once handed one)
            with contextlib.suppress(ValueError):
                self._waiting.remove(turn)


class FairQueuePool(pool.AsyncAdaptedQueuePool):
    """SQLAlchemy's asyncio pool with FairQueue: waiting requests get connections in the order they asked."""

    _queue_class = FairQueue
    _sqla_logger_namespace = "sqlalchemy.pool.impl.AsyncAdaptedQueuePool"  # its logger, not storage.db


def _closed_by_server(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """A pooled connection the server closed (a restart, a failover, an idle backend terminated) is
    replaced at checkout, not handed to a request (DisconnectionError: the pool connects afresh).

    The server says goodbye with an error message, then closes its end. asyncpg marks the connection
    closed once the event loop has read both, but a checkout may come between the two, so an idle
    connection with anything left to read (the end of the stream) is replaced too: an idle connection is
    sent nothing else worth keeping it for. One non-blocking poll, where pool_pre_ping was three round
    trips. A connection that died without a word (a cut network) fails its first statement instead (as
    the ping would have waited on it), and SQLAlchemy then discards every pooled connection older than
    that failure."""
    connection = dbapi_connection.driver_connection
    if connection.is_closed() or _has_unread_input(connection):
        raise DisconnectionError("the server closed this pooled connection")


def _has_unread_input(connection: Any) -> bool:
    transport = getattr(connection, "_transport", None)
    sock = transport.get_extra_info("socket") if transport is not None else None
    if sock is None:
        return False
    poller = select.poll()  # not select.select: a busy process's descriptors may pass FD_SETSIZE
    poller.register(sock.fileno(), select.POLLIN)
    return bool(poller.poll(0))


@functools.cache
def _pg_connection_class() -> type:
    """asyncpg's connection, whose BEGIN also bounds the transaction's lock waits and statements by the
    request's deadline (SET LOCAL, in the same round trip: a simple query may hold several statements).
    Inside a request, no statement, a lock wait included, outlives the request's deadline."""
    import asyncpg

    class DeadlineConnection(asyncpg.Connection):  # type: ignore[misc]
        # asyncpg's own signature, `timeout` included
        async def execute(self, query: str, *args: Any, timeout: float | None = None) -> str:  # noqa: ASYNC109
            if not args and query.startswith("BEGIN"):  # asyncpg's Transaction.start, as SQLAlchemy uses it
                left = remaining_wait()
                if left is not None:
                    ms = max(1, int(left * 1000))
                    query = (
                        f"{query.rstrip(';')}; SET LOCAL lock_timeout = '{ms}ms'; "
                        f"SET LOCAL statement_timeout = '{ms}ms';"
                    )
            return await super().execute(query, *args, timeout=timeout)  # type: ignore[no-any-return]

    return DeadlineConnection


def _sqlite_pragmas(dbapi_connection: sqlite3.Connection, busy_timeout_ms: int) -> None:
    dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _aiosqlite_engine(url: str, *, immediate: bool) -> AsyncEngine:
    """aiosqlite: every statement runs on the connection's worker thread, so a long one (an audit export,
    a lock wait in SQLite's busy handler) never holds up the event loop."""
    engine = create_async_engine(url, connect_args={"timeout": 30})

    @event.listens_for(engine.sync_engine, "connect")
    def _connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        _sqlite_pragmas(dbapi_connection, BUSY_TIMEOUT_MS)

    @event.listens_for(engine.sync_engine, "begin")
    def _sqlite_begin(conn) -> None:  # type: ignore[no-untyped-def]
        # A request waits for the write lock only as long as it has left (see lock_wait_limit).
        left = remaining_wait()
        wanted = BUSY_TIMEOUT_MS if left is None else max(1, int(left * 1000))
        if conn.info.get("busy_timeout", BUSY_TIMEOUT_MS) != wanted:
            conn.exec_driver_sql(f"PRAGMA busy_timeout={wanted}")
            conn.info["busy_timeout"] = wanted
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


class InlineSQLiteDialect(SQLiteDialect_pysqlite):
    """The plain sqlite3 driver, declared async so that AsyncEngine and AsyncSession accept it: its DBAPI
    calls simply run in the calling (event loop's) thread, inside the greenlet SQLAlchemy's asyncio layer
    already runs every session operation in, with no hand-off to a worker thread.

    Through aiosqlite, each statement of a write transaction is several hand-offs to the connection's
    thread (cursor, execute, fetch, close; begin, commit) and GIL hand-overs with it, which cost more CPU
    than SQLite's own work on the few indexed rows a decision touches. This is safe for this process's
    write transactions only: they are short, this process runs one at a time (_QueuedWriters), and the one
    wait left, another process's write lock, is taken without blocking (see _take_write_lock). Reads that
    may be long stay on aiosqlite (Database.reads)."""

    driver = "gtm_inline"
    is_async = True
    supports_statement_cache = True
    has_terminate = True

    @classmethod
    def get_pool_class(cls, url: URL) -> type[pool.Pool]:
        return pool.AsyncAdaptedQueuePool

    def create_connect_args(self, url: URL) -> Any:
        args, options = super().create_connect_args(url)
        return args, {**options, "factory": _InlineConnection, "timeout": 0}

    def do_terminate(self, dbapi_connection: Any) -> None:
        dbapi_connection.close()  # sqlite3's close waits for nothing

    # AsyncConnection.execute (not AsyncSession's) insists that a statement yielded to the loop at least
    # once (AwaitRequired otherwise): each statement passes through the greenlet's parent with an
    # awaitable that is already done, which costs two greenlet switches and lets nothing else run.
    def do_execute(self, cursor: Any, statement: Any, parameters: Any, context: Any = None) -> None:
        await_(_DONE)
        cursor.execute(statement, parameters)

    def do_execute_no_params(self, cursor: Any, statement: Any, context: Any = None) -> None:
        await_(_DONE)
        cursor.execute(statement)

    def do_executemany(self, cursor: Any, statement: Any, parameters: Any, context: Any = None) -> None:
        await_(_DONE)
        cursor.executemany(statement, parameters)


class _InlineCursor(sqlite3.Cursor):
    async def _async_soft_close(self) -> None:
        """AsyncSession calls this after each statement (aiosqlite's cursor buffers its rows there and
        closes); a sqlite3 cursor's rows are read in the loop's thread when asked for: nothing to do."""


class _InlineConnection(sqlite3.Connection):
    def cursor(self, factory: Any = _InlineCursor) -> Any:
        return super().cursor(factory)


class _Done:
    """An awaitable that is already done (awaiting it never suspends)."""

    def __await__(self) -> Iterator[None]:
        return iter(())


_DONE = _Done()


registry.register(f"sqlite.{InlineSQLiteDialect.driver}", __name__, "InlineSQLiteDialect")

LOCK_RETRY_FIRST = 0.001  # seconds between tries for another process's write lock: doubling, up to
LOCK_RETRY_MAX = 0.02  # (SQLite's own busy handler sleeps up to 100 ms and wakes long after the lock is free)


def _is_busy(error: sqlite3.Error) -> bool:
    """SQLITE_BUSY ("database is locked"), extended codes included."""
    code = getattr(error, "sqlite_errorcode", None)
    return (
        isinstance(error, sqlite3.OperationalError)
        and code is not None
        and code & 0xFF == sqlite3.SQLITE_BUSY
    )


def _take_write_lock(conn: Any) -> None:
    """BEGIN IMMEDIATE without blocking the loop: the connection's busy timeout is 0, so a write lock held
    by another process fails the BEGIN at once; the coroutine then sleeps on the loop (await_ switches out
    of SQLAlchemy's greenlet) and tries again until the request's deadline (lock_wait_limit), or
    BUSY_TIMEOUT_MS outside one. The last try goes through SQLAlchemy, so what gives up raises the same
    OperationalError ("database is locked") as a busy timeout did (is_lock_timeout). Once BEGIN IMMEDIATE
    holds the lock, nothing in a WAL transaction waits for another lock."""
    raw = conn.connection.dbapi_connection
    left = remaining_wait()
    deadline = time.monotonic() + (BUSY_TIMEOUT_MS / 1000 if left is None else left)
    pause = LOCK_RETRY_FIRST
    while time.monotonic() + pause < deadline:
        try:
            raw.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.Error as error:
            if not _is_busy(error):
                break  # raised below, through SQLAlchemy
        await_(asyncio.sleep(pause))
        pause = min(pause * 2, LOCK_RETRY_MAX)
    conn.exec_driver_sql("BEGIN IMMEDIATE")


CHECKPOINT_EVERY = 100  # write transactions between two WAL checkpoints (a click writes ~10-20 pages)

log = logging.getLogger(__name__)


class _Checkpoints:
    """Copies the WAL back into the database file on a worker thread, every CHECKPOINT_EVERY commits.

    SQLite's automatic checkpoint runs inside the COMMIT that grows the WAL past 1,000 pages: in the loop's
    thread it would stop every request for the checkpoint's writes and fsync (25-45 ms on this machine's
    disk). So the inline connections turn it off, and a PASSIVE checkpoint (it takes no lock a writer or
    reader waits for) runs on its own connection in a thread instead, at most one at a time."""

    def __init__(self, filename: str, *, uri: bool) -> None:
        # The file the engine opens (create_connect_args' first argument), opened read-write: a checkpoint
        # never creates a database.
        self.uri = filename if uri else f"file:{urllib.parse.quote(filename)}?mode=rw"
        self.commits = 0
        self.running: asyncio.Future[None] | None = None

    def committed(self) -> None:
        self.commits += 1
        if self.commits >= CHECKPOINT_EVERY and (self.running is None or self.running.done()):
            self.commits = 0
            self.running = asyncio.get_running_loop().run_in_executor(None, self._checkpoint)

    def _checkpoint(self) -> None:
        try:
            with contextlib.closing(sqlite3.connect(self.uri, uri=True, timeout=0)) as conn:
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        except sqlite3.Error as error:  # the next one tries again; SQLite's last close checkpoints too
            log.debug("WAL checkpoint skipped: %s", error)


def _inline_write_engine(url: str) -> AsyncEngine:
    """The writers' engine on a SQLite file: InlineSQLiteDialect, BEGIN IMMEDIATE by _take_write_lock,
    WAL checkpoints on a thread (_Checkpoints)."""
    engine = create_async_engine(make_url(url).set(drivername=f"sqlite+{InlineSQLiteDialect.driver}"))
    args, options = engine.sync_engine.dialect.create_connect_args(engine.sync_engine.url)
    checkpoints = _Checkpoints(args[0], uri=bool(options.get("uri")))

    @event.listens_for(engine.sync_engine, "connect")
    def _connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        _sqlite_pragmas(dbapi_connection, 0)  # never sleep in SQLite's busy handler, in the loop's thread
        dbapi_connection.execute("PRAGMA wal_autocheckpoint=0")

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(conn) -> None:  # type: ignore[no-untyped-def]
        _take_write_lock(conn)

    @event.listens_for(engine.sync_engine, "commit")
    def _commit(_conn) -> None:  # type: ignore[no-untyped-def]
        checkpoints.committed()

    return engine


def is_sqlite_file(url: str) -> bool:
    """SQLite on a file another connection can open (not an in-memory database)."""
    database = make_url(url).database or ""
    return is_sqlite(url) and database not in ("", ":memory:") and "mode=memory" not in url


def inline_engine(url: str) -> Engine:
    """A synchronous engine on the same SQLite file, for reads of a few indexed rows from the event loop's
    own thread. Through aiosqlite every statement is several hand-offs to its worker thread (cursor,
    execute, fetch, close, begin, rollback), which cost more CPU than SQLite's own work on a primary-key
    read. Statements run in autocommit (each its own snapshot; WAL readers never wait for writers), with a
    short busy timeout, so a rare lock can't stall the loop: it surfaces as a database error instead."""
    engine = create_sync_engine(make_url(url).set(drivername="sqlite+pysqlite"), pool_size=1, max_overflow=0)

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None  # autocommit: no BEGIN, nothing held between reads
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout=200")
        cursor.execute("PRAGMA query_only=ON")
        cursor.close()

    return engine


class InlineConnection:
    """The inline engine's one connection, kept checked out for the life of the process and lent to one
    reader at a time (storage/directory.py InlineDirectoryReads): checking it out of the pool and back in
    for every look-up cost more CPU than the version read it served (~9 µs against ~6). A reader never
    yields to the event loop while it holds the connection, so `busy` only tells another reader to read
    through the async driver instead of waiting. It holds no transaction between statements (autocommit)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.busy = False
        self._conn: Any = None

    def take(self) -> Any:
        """The connection, opened on first use: give it back (or invalidate it) before yielding."""
        if self.busy:
            raise RuntimeError("the inline connection is lent already: check `busy` first")
        if self._conn is None:
            self._conn = self.engine.raw_connection()
        self.busy = True
        return self._conn

    def give_back(self) -> None:
        self.busy = False

    def invalidate(self) -> None:
        """After a driver error: the next reader opens a new connection."""
        conn, self._conn, self.busy = self._conn, None, False
        if conn is not None:
            conn.invalidate()

    def close(self) -> None:
        conn, self._conn, self.busy = self._conn, None, False
        if conn is not None:
            conn.close()
        self.engine.dispose()


async def _keep_session(_connection: Any) -> None:
    """ReadPool's connections only ever run read-only autocommit SELECTs: nothing to reset between uses
    (asyncpg's default reset is one more round trip per release)."""


class ReadPool:
    """PostgreSQL: a few plain asyncpg connections for look-ups that read a few indexed rows per request (the
    directory cache's version check and cold hierarchies, storage/directory.py DirectReads). Through
    SQLAlchemy's AsyncSession each look-up is a transaction of five round trips (BEGIN with the request
    deadline's SET LOCALs, three SELECTs, ROLLBACK) plus its per-statement Python; here a statement is one
    round trip in autocommit (its own snapshot), prepared once per connection by asyncpg's statement cache,
    and the session is read-only. Created on first use in the running event loop; errors raise as
    SQLAlchemy's (DBAPIError, or Busy once the request's deadline has passed), like every other database
    read."""

    def __init__(self, url: str, size: int = READ_POOL_SIZE) -> None:
        parsed = make_url(url)
        self._connect = {**parsed.translate_connect_args(username="user"), **parsed.query}
        self._size = size
        self._pool: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.statements = 0  # run so far (bench.profile counts them: they bypass SQLAlchemy's events)

    async def _current(self) -> Any:
        import asyncpg

        loop = asyncio.get_running_loop()
        if self._pool is None or self._loop is not loop:  # a finished loop's pool can't be used or closed
            self._pool = asyncpg.create_pool(
                min_size=0,  # connect on first use: creating the pool never fails while the database is away
                max_size=self._size,
                reset=_keep_session,
                server_settings={"default_transaction_read_only": "on"},
                **self._connect,
            )
            self._loop = loop
            await self._pool  # no connection to open: never suspends, so no other task sees it half-made
        return self._pool

    async def fetchrow(self, sql: str, *args: Any) -> Any:
        """One row of `sql` (None: no row), on a pooled connection in autocommit."""
        import asyncpg

        left = remaining_wait()
        self.statements += 1
        try:
            pool = await self._current()
            async with pool.acquire(timeout=_limit(left)) as conn:
                return await conn.fetchrow(sql, *args, timeout=_limit(left))
        except TimeoutError as error:
            if left is not None:
                raise Busy("a read ran past the request's deadline") from error
            raise DBAPIError.instance(sql, args, error, Exception) from error
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as error:
            raise DBAPIError.instance(sql, args, error, Exception) from error

    async def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None and self._loop is asyncio.get_running_loop():  # else its loop is gone with it
            await pool.close()


def _limit(left: float | None) -> float | None:
    return None if left is None else max(left, 0.001)


class WriteTurns:
    """This process's turns to write on SQLite: one at a time, first come first served, except that an
    urgent writer (the outbox's short claims: what makes a clicked card change) goes before the plain ones
    waiting, taking every other turn at most. A plain lock would queue a card's claim behind
    every click of a burst; urgency without that bound would starve the clicks while DMs keep going out."""

    def __init__(self) -> None:
        self._held = False
        self._urgent_turn = False  # whether the turn under way is an urgent one
        self._waiting: dict[bool, collections.deque[asyncio.Future[None]]] = {
            True: collections.deque(),
            False: collections.deque(),
        }

    async def acquire(self, *, urgent: bool = False) -> None:
        if not self._held and not self._waiting[True] and not self._waiting[False]:
            self._held, self._urgent_turn = True, urgent
            return
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting[urgent].append(turn)
        try:
            await turn
        except BaseException:  # cancelled or timed out: give up the place, or the turn if it came
            if turn.done() and not turn.cancelled():
                self.release()
            else:
                self._waiting[urgent].remove(turn)
            raise

    def release(self) -> None:
        """Hand the turn to the first urgent writer waiting (unless the turn ending was urgent and a plain
        one waits), else the first plain one, else free it."""
        for urgent in (False, True) if self._urgent_turn else (True, False):
            waiting = self._waiting[urgent]
            while waiting:
                turn = waiting.popleft()
                if not turn.done():
                    self._urgent_turn = urgent
                    turn.set_result(None)
                    return
        self._held = False


class _QueuedWriters:
    """On SQLite, this process's write transactions wait their turn (WriteTurns: first come, first served,
    urgent ones at every other turn) before BEGIN IMMEDIATE. Without it they wait in SQLite's busy handler,
    which sleeps in growing steps (up to 100 ms) and wakes long after the lock is free: under 10 concurrent
    clicks a few waited 1.5 s. Other processes' locks (an import) are waited for by _take_write_lock (inline
    engine) or busy_timeout (aiosqlite)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], turns: WriteTurns) -> None:
        self._sessions = sessions
        self._turns = turns

    def __call__(self, **kwargs: Any) -> AsyncSession:
        return self._sessions(**kwargs)

    @contextlib.asynccontextmanager
    async def begin(self, *, urgent: bool = False) -> AsyncIterator[AsyncSession]:
        left = remaining_wait()
        if left is None:
            await self._turns.acquire(urgent=urgent)
        else:
            try:
                async with asyncio.timeout(max(left, 0)):
                    await self._turns.acquire(urgent=urgent)
            except TimeoutError:
                raise Busy("waited too long for this process's turn to write") from None
        try:
            async with self._sessions.begin() as session:
                yield session
        finally:
            self._turns.release()


class Database:
    def __init__(self, url: str) -> None:
        self.url = url
        # On a SQLite file, write sessions run inline in the loop's thread (InlineSQLiteDialect).
        self.engine = create_engine(url)
        made = async_sessionmaker(self.engine, expire_on_commit=False)
        # Long write transactions (a Salesforce sync's 10,000-record pages) that must not hold up the loop
        # for their duration: on a SQLite file they run on aiosqlite's thread, queued with the others.
        self.bulk_engine = _aiosqlite_engine(url, immediate=True) if is_sqlite_file(url) else self.engine
        bulk = async_sessionmaker(self.bulk_engine, expire_on_commit=False) if is_sqlite_file(url) else made
        self.sessions: async_sessionmaker[AsyncSession] | _QueuedWriters = made
        self.bulk_sessions: async_sessionmaker[AsyncSession] | _QueuedWriters = bulk
        if is_sqlite(url):
            writers = WriteTurns()  # one write transaction at a time in this process, either engine
            self.sessions, self.bulk_sessions = _QueuedWriters(made, writers), _QueuedWriters(bulk, writers)
        # Read-only sessions: a deferred engine on SQLite (readers don't queue behind writers), on
        # aiosqlite's thread (a long read, the audit export's million rows, never holds up the loop).
        self.read_engine = create_engine(url, immediate=False) if is_sqlite(url) else self.engine
        self.reads: async_sessionmaker[AsyncSession] = async_sessionmaker(
            self.read_engine, expire_on_commit=False
        )
        # SQLite only: small look-ups may run on a plain connection in the caller's thread (see
        # inline_engine); on PostgreSQL asyncpg is native asyncio already.
        self.inline = InlineConnection(inline_engine(url)) if is_sqlite_file(url) else None
        # PostgreSQL only: the same look-ups on plain asyncpg connections (see ReadPool).
        self.read_pool: ReadPool | None = None if is_sqlite(url) else ReadPool(url)

    def urgent_writes(self) -> contextlib.AbstractAsyncContextManager[AsyncSession]:
        """A short write transaction that others wait for (the outbox's claim): on SQLite it takes this
        process's next turn to write, ahead of the queue (WriteTurns); on PostgreSQL there is no queue."""
        if isinstance(self.sessions, _QueuedWriters):
            return self.sessions.begin(urgent=True)
        return self.sessions.begin()

    async def open_pool(self) -> int:
        """Open the write pool's connections now, all at once (PostgreSQL; `gtm-bot serve` at start).
        Otherwise the first burst after a start opened one per request in flight, each a backend started
        and the driver's set-up queries, while those requests waited: the first 50 clicks of a burst took
        twice as long as the rest (bench/RESULTS.md, twelfth pass). Returns how many are open; what the
        server refuses (max_connections) is logged, and those requests wait for a free connection."""
        if is_sqlite(self.url):
            return 0
        pool = self.engine.pool
        size: int = pool.size()  # type: ignore[attr-defined]
        async with contextlib.AsyncExitStack() as held:
            opened = await asyncio.gather(
                *(held.enter_async_context(self.engine.connect()) for _ in range(size)),
                return_exceptions=True,
            )
        refused = [r for r in opened if isinstance(r, BaseException)]
        if refused:
            log.warning(
                "PostgreSQL opened %d of this process's %d connections (%s): a process needs %d, so size "
                "max_connections for --workers × %d",
                len(opened) - len(refused),
                len(opened),
                _reason(refused[0]),
                POOL_SIZE + READ_POOL_SIZE,
                POOL_SIZE + READ_POOL_SIZE,
            )
        return pool.checkedin()  # type: ignore[attr-defined,no-any-return]

    async def ping(self) -> bool:
        try:
            async with asyncio.timeout(2):
                async with self.read_engine.connect() as conn:
                    await conn.execute(text("SELECT 1"))
            return True
        except Exception:  # any driver error means "not answering"; /healthz reports it
            return False

    async def upgrade(self) -> None:
        """Run Alembic to head in a worker thread (env.py drives its own event loop)."""
        await asyncio.to_thread(upgrade, self.url)

    async def dispose(self) -> None:
        if self.inline is not None:
            self.inline.close()
        if self.read_pool is not None:
            await self.read_pool.close()
        await self.engine.dispose()
        for other in {self.bulk_engine, self.read_engine} - {self.engine}:
            await other.dispose()


def _reason(error: BaseException) -> str:
    """The driver's first line about `error` (SQLAlchemy's wrapping adds the statement and a link)."""
    orig = getattr(error, "orig", None) or error
    return (str(orig).strip().splitlines() or [type(orig).__name__])[0]


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


async def migrate_afresh(url: str) -> None:
    """Drop everything (PostgreSQL: the public schema) and migrate to head: for tests and benchmarks only,
    which start from an empty database. A SQLite file is expected to be new."""
    if not is_sqlite(url):
        db = Database(url)
        async with db.engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
        await db.dispose()
    await asyncio.to_thread(upgrade, url)
