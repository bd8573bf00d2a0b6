"""Connections shared fairly between `gtm-bot serve --workers N`'s workers.

With one listening socket shared by the workers, the kernel wakes every idle worker for a new connection
and the first to run takes it, together with everything else waiting in the queue. Whoever takes a
keep-alive connection serves every request on it, so a burst opening 50 connections at once left one
worker with 30 and the other with 20: the first answered its clicks in 150 ms while the second took
300 ms, and the slower half set the p99 (bench/RESULTS.md, twelfth pass). Node's cluster module hands
connections out from its primary process for the same reason.

So serve's own process accepts, and hands each connection (its file descriptor, over a Unix socket) to the
worker holding the fewest open ones, ties to the lowest number: serve counts what it hands each worker,
and each worker reports in shared memory how many of those have closed, so a burst is split evenly
whatever a worker has reported yet.
A connection costs serve one accept and one message; its requests go straight to the worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import functools
import logging
import multiprocessing
import os
import socket
import threading
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # serve's own process never imports aiohttp: only its workers serve
    from aiohttp import web

log = logging.getLogger(__name__)

ACCEPT_PAUSE_SECONDS = 0.01  # after a failed accept: a full descriptor table is not retried in a busy loop
REPORT_SECONDS = 0.1  # how often a worker tells serve how many of its connections have closed


class Handoff:
    """Serve's side: made before the workers fork (they inherit the shared counts and their channel's end),
    then `start`ed in serve's process once they have."""

    def __init__(self, listener: socket.socket, workers: int) -> None:
        self.listener = listener
        self.handed = [0] * workers  # connections handed to each worker (serve's own count)
        # Of those, how many have closed: each worker writes its own, in memory shared across the fork.
        self.closed = multiprocessing.Array(ctypes.c_long, workers, lock=False)
        # SEQPACKET: one message per connection handed over, never two read as one
        self._channels = [socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET) for _ in range(workers)]
        self._thread: threading.Thread | None = None
        self._stopping = False

    def worker(self, index: int) -> HandedConnections:
        """The worker `index`'s side (called in the forked worker)."""
        ours, theirs = self._channels[index]
        ours.close()
        for other, (serve_end, worker_end) in enumerate(self._channels):
            if other != index:
                serve_end.close()
                worker_end.close()
        return HandedConnections(theirs, self.closed, index)

    def start(self) -> None:
        """In serve's process, after the fork: keep only serve's ends, and accept on a thread of its own."""
        for _ours, theirs in self._channels:
            theirs.close()
        self._thread = threading.Thread(target=self._hand_out, name="gtm-bot-accept", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop accepting (the workers are stopping); connections already handed over are theirs to finish."""
        self._stopping = True
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accept with an error
        if self._thread is not None:
            self._thread.join(timeout=5)
        for ours, _theirs in self._channels:
            ours.close()

    def held(self) -> list[int]:
        """How many connections each worker holds open (as far as it has reported their closing)."""
        return [handed - closed for handed, closed in zip(self.handed, self.closed, strict=True)]

    def choose(self) -> int:
        """The worker holding the fewest connections, the lowest number on a tie."""
        held = self.held()
        return held.index(min(held))

    def _hand_out(self) -> None:
        while not self._stopping:
            try:
                connection, _address = self.listener.accept()
            except OSError as exc:
                if self._stopping:  # `stop` shut the socket down: serve is ending
                    return
                # A client that left before its accept (ECONNABORTED), or no descriptor free (EMFILE):
                # that connection is lost, never the service.
                log.warning("could not accept a connection: %s", exc)
                time.sleep(ACCEPT_PAUSE_SECONDS)
                continue
            with connection:
                index = self.choose()
                self.handed[index] += 1
                try:
                    socket.send_fds(self._channels[index][0], [b"c"], [connection.fileno()])
                except OSError:  # that worker has exited; serve ends with it (run_workers)
                    log.warning("worker %d is gone; a connection was dropped", index + 1)


class HandedConnections:
    """A worker's side: the connections serve hands it, and its count of those that have closed."""

    def __init__(self, channel: socket.socket, closed: Any, index: int) -> None:
        self.channel = channel
        self.closed = closed
        self.index = index
        self.received = 0  # connections taken from the channel
        self.opening: set[asyncio.Task[None]] = set()  # of which, not yet open in aiohttp

    def run(self, web_app: web.Application, **runner_options: Any) -> None:
        """Serve `web_app` on the connections handed over until SIGTERM or SIGINT, as `web.run_app` would
        (with its keep-alive: a connection idle for 75 s is closed)."""
        from aiohttp import web

        runner_options = {"keepalive_timeout": 75.0, "access_log": web.access_logger, **runner_options}
        with contextlib.suppress(web.GracefulExit, KeyboardInterrupt):
            asyncio.run(self._serve(web_app, runner_options))

    async def _serve(self, web_app: web.Application, runner_options: dict[str, Any]) -> None:
        from aiohttp import web

        runner = web.AppRunner(web_app, handle_signals=True, **runner_options)
        await runner.setup()
        try:
            await _handed_site()(runner, self).start()
            await asyncio.Event().wait()  # until a signal ends it (GracefulExit)
        finally:
            await runner.cleanup()


@functools.cache
def _handed_site() -> type:
    """An aiohttp site whose connections come over the channel from serve, not from a listening socket."""
    from aiohttp import web

    class HandedSite(web.BaseSite):
        def __init__(self, runner: web.AppRunner, handed: HandedConnections) -> None:
            super().__init__(runner)
            self.handed = handed
            self.reporting: asyncio.Task[None] | None = None

        @property
        def name(self) -> str:
            return f"connections handed to worker {self.handed.index + 1}"

        async def start(self) -> None:
            await super().start()
            loop = asyncio.get_running_loop()
            channel = self.handed.channel
            channel.setblocking(False)
            loop.add_reader(channel.fileno(), self._take)
            self._server = _Stop(loop, channel, self)  # type: ignore[assignment]
            self.reporting = loop.create_task(self._report())

        def _take(self) -> None:
            loop = asyncio.get_running_loop()
            server = self._runner.server
            handed = self.handed
            while True:
                try:
                    _message, fds, _flags, _address = socket.recv_fds(handed.channel, 1, 1)
                except BlockingIOError:
                    return
                except OSError:  # serve is gone (the worker stops with it: PR_SET_PDEATHSIG)
                    fds = []
                if not fds or server is None:  # serve closed its end, or this worker is stopping
                    for fd in fds:
                        os.close(fd)
                    loop.remove_reader(handed.channel.fileno())
                    return
                connection = socket.socket(fileno=fds[0])
                connection.setblocking(False)
                handed.received += 1
                opening = loop.create_task(self._open(server, connection))
                handed.opening.add(opening)  # held here till it is open (the loop keeps only weak ones)
                opening.add_done_callback(handed.opening.discard)

        async def _open(self, server: Any, connection: socket.socket) -> None:
            try:
                await asyncio.get_running_loop().connect_accepted_socket(server, connection)
            except OSError:  # the client left before it was opened: closed
                connection.close()

        async def _report(self) -> None:
            """How many of the connections handed to this worker have closed, for serve's next choice."""
            server = self._runner.server
            handed = self.handed
            while server is not None:
                handed.closed[handed.index] = handed.received - len(handed.opening) - len(server.connections)
                await asyncio.sleep(REPORT_SECONDS)

    return HandedSite


class _Stop:
    """What aiohttp closes when the site stops: no more connections taken from serve."""

    def __init__(self, loop: asyncio.AbstractEventLoop, channel: socket.socket, site: Any) -> None:
        self.loop, self.channel, self.site = loop, channel, site

    def close(self) -> None:
        self.loop.remove_reader(self.channel.fileno())
        if self.site.reporting is not None:
            self.site.reporting.cancel()
