"""`gtm-bot serve`: check what an operator can get wrong before listening, bind, then run 1..N workers.

Every mistake found here is an OperatorError: one line saying what is wrong and what to do (exit 2).
Several workers are forked processes (the pre-fork model of the standard library's multiprocessing): serve's
own process keeps the listening socket, bound here, and hands each connection to the worker holding the
fewest (bot/handoff.py).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import functools
import gc
import logging
import multiprocessing
import os
import signal
import socket
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.handoff import Handoff
from bot.settings import Settings
from storage.db import is_sqlite

log = logging.getLogger(__name__)


class OperatorError(Exception):
    """Something the person running gtm-bot must fix; the message says what and how."""


def where(url: str) -> str:
    """host:port/db of a database URL, without the password (for messages)."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if is_sqlite(url):
        return parsed.database or ":memory:"
    return f"{parsed.host or 'localhost'}:{parsed.port or 5432}/{parsed.database or ''}"


def database_unreachable(url: str, exc: BaseException) -> OperatorError:
    from sqlalchemy.exc import DBAPIError

    reason = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    first = (str(reason).strip().splitlines() or [type(reason).__name__])[0]
    return OperatorError(
        f"cannot reach the database at {where(url)} ({first}); is it running, and is DATABASE_URL right?"
    )


def is_database_down(exc: BaseException) -> bool:
    from sqlalchemy.exc import DBAPIError

    return isinstance(exc, DBAPIError | ConnectionError | TimeoutError | socket.gaierror)


def migrate(url: str) -> None:
    """Alembic to head before listening, once (not in each worker)."""
    from storage.db import upgrade

    try:
        upgrade(url)
    except Exception as exc:
        if is_database_down(exc):
            raise database_unreachable(url, exc) from exc
        raise


def check_templates(settings: Settings) -> None:
    from bot.render import Renderer, TemplatesBroken

    try:
        Renderer(settings.templates_dir).check()
    except TemplatesBroken as exc:
        raise OperatorError(f"{exc}; reinstall gtm-bot") from exc


def bind(host: str, port: int) -> socket.socket:
    """The listening socket, bound before anything says "listening" or "open"."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host, port), family=family, backlog=1024)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise OperatorError(
                f"port {port} on {host} is already in use (another gtm-bot?); stop it or pass --port"
            ) from None
        raise OperatorError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def check_workers(settings: Settings, workers: int) -> None:
    if workers < 1:
        raise OperatorError("--workers must be 1 or more")
    if workers > 1 and is_sqlite(settings.database_url):
        raise OperatorError(
            "--workers needs PostgreSQL (SQLite has one writer); set DATABASE_URL=postgresql+asyncpg://... "
            "or serve with one worker"
        )


PR_SET_PDEATHSIG = 1  # prctl(2): the signal a process gets when its parent dies


YOUNG_COLLECTION = 10_000  # net new container objects between collections of the youngest generation


def freeze_startup_heap() -> int:
    """Move what start-up built out of the garbage collector's way (`gc.freeze`), once the process is ready to
    serve; returns how many objects. Templates, SQLAlchemy's metadata, Bolt's listeners and the directory's
    people and name index live as long as the process, yet a full collection walked them all every time:
    about 200 ms at 140,000 accounts on the 2-core bench machine, every request of the process waiting;
    60 ms once they are frozen (bench/RESULTS.md, eighth pass). Only long-running processes call it:
    frozen objects that become cyclic garbage are never collected, which a process creating many apps
    (the tests) would feel.

    The youngest generation is then collected every YOUNG_COLLECTION new objects instead of Python's 700:
    with 25 clicks in flight a worker collected about once every two clicks, at 0.2-0.45 ms each, walking
    objects that the clicks under way were about to free anyway (bench/RESULTS.md, twelfth pass).
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_COLLECTION, *gc.get_threshold()[1:])
    frozen = gc.get_freeze_count()
    log.info("start-up heap frozen: %d objects out of the garbage collector's way", frozen)
    return frozen


def _worker(main: Callable[[], Any], name: str) -> None:
    """A forked worker of serve: named so in `ps` and `top` (Linux), and stopped (SIGTERM, a clean
    shutdown) if serve's own process dies without stopping it, killed or crashed. Without this a worker
    outlived a killed serve, kept the port and its outbox, and a restarted serve ran beside it."""
    parent = os.getppid()
    if sys.platform == "linux":
        with contextlib.suppress(OSError):
            Path("/proc/self/comm").write_text(name[:15])
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # serve died before the prctl: nobody would stop this process
        return
    main()


def run_workers(workers: int, run_one: Callable[[Handoff | None, int], Any], listener: socket.socket) -> int:
    """Run `run_one(handoff, index)` in `workers` forked processes, which serve the connections `listener`
    accepts and `handoff` hands them; stop them all on SIGTERM/SIGINT or when one dies. One worker runs
    here and serves `listener` itself (`handoff` None)."""
    if workers == 1:
        run_one(None, 0)
        return 0
    handoff = Handoff(listener, workers)
    fork = multiprocessing.get_context("fork")  # the children inherit their end of the handoff
    children = [
        fork.Process(
            target=_worker,
            args=(functools.partial(run_one, handoff, i), f"gtm-bot-worker{i + 1}"),
            name=f"gtm-bot-worker-{i + 1}",
        )
        for i in range(workers)
    ]
    for child in children:
        child.start()
    handoff.start()

    told: set[int] = set()

    def stop(_signum: int, _frame: object) -> None:
        # No new connections; then once per child: aiohttp turns SIGTERM into a clean shutdown, and a second
        # one arriving during that shutdown aborts it mid-cleanup (connections cancelled while closing, exit
        # status 1).
        handoff.stop()
        for index, child in enumerate(children):
            if child.is_alive() and index not in told:
                told.add(index)
                child.terminate()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        from multiprocessing.connection import wait

        wait([child.sentinel for child in children])  # the first to exit ends the service
        stop(signal.SIGTERM, None)
        for child in children:
            child.join()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    codes = [child.exitcode or 0 for child in children]
    failed = [code for code in codes if code not in (0, -signal.SIGTERM)]
    if failed:
        print(f"gtm-bot: a worker exited with status {failed[0]}", file=sys.stderr)
        return 1
    return 0
