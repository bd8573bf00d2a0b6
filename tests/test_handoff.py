"""Serve's side of the connection handoff (bot/handoff.py) on real sockets, in one process: what each worker
would receive, read from its end of the channel. tests/test_workers.py runs the whole of it through
`gtm-bot serve --workers 2` (PostgreSQL)."""

from __future__ import annotations

import errno
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest

from bot.handoff import Handoff


class FailingOnce:
    """A listening socket whose next accept fails first, as a client that left before it would."""

    def __init__(self, listener: socket.socket, error: int) -> None:
        self.listener, self.error = listener, error

    def accept(self) -> tuple[socket.socket, object]:
        if self.error:
            error, self.error = self.error, 0
            raise OSError(error, "failed once")
        return self.listener.accept()

    def shutdown(self, how: int) -> None:
        self.listener.shutdown(how)


@dataclass
class Served:
    handoff: Handoff
    port: int
    ends: list[socket.socket]  # each worker's end of its channel, as the forked worker would hold it


@contextmanager
def handoff(workers: int, fail_first: int = 0) -> Iterator[Served]:
    listener = socket.create_server(("127.0.0.1", 0))
    serve = Handoff(FailingOnce(listener, fail_first), workers)  # type: ignore[arg-type]
    # What the forked workers would hold: serve closes its copies of their ends as it starts.
    ends = [theirs.dup() for _ours, theirs in serve._channels]
    serve.start()
    try:
        yield Served(serve, listener.getsockname()[1], ends)
    finally:
        serve.stop()
        listener.close()
        for end in ends:
            end.close()


def received(served: Served, worker: int) -> socket.socket:
    """The next connection handed to `worker` (its end of the channel, as the worker reads it)."""
    channel = served.ends[worker]
    channel.settimeout(5)
    message, fds, _flags, _address = socket.recv_fds(channel, 1, 1)
    assert message == b"c" and len(fds) == 1
    return socket.socket(fileno=fds[0])


def test_each_connection_goes_to_the_worker_holding_the_fewest_and_closed_ones_leave_the_count() -> None:
    with handoff(3) as served:
        serve, port = served.handoff, served.port
        clients = [socket.create_connection(("127.0.0.1", port)) for _ in range(7)]
        taken = {w: [received(served, w) for _ in range(n)] for w, n in ((0, 3), (1, 2), (2, 2))}
        assert serve.handed == [3, 2, 2]  # in turn, the lowest number first on a tie
        # The handed connection is the client's own: what one end writes, the other reads.
        clients[0].sendall(b"ping")
        assert taken[0][0].recv(4) == b"ping"

        serve.closed[1] = 2  # worker 2 reports both its connections closed
        assert serve.held() == [3, 0, 2]
        more = [socket.create_connection(("127.0.0.1", port)) for _ in range(3)]
        taken[1] += [received(served, 1) for _ in range(3)]  # the next three all go to it
        assert serve.held() == [3, 3, 2]
        for sock in [*clients, *more, *(s for ss in taken.values() for s in ss)]:
            sock.close()


@pytest.mark.parametrize("error", [errno.ECONNABORTED, errno.EMFILE])
def test_a_failed_accept_loses_that_connection_never_the_service(
    error: int, caplog: pytest.LogCaptureFixture
) -> None:
    with handoff(2, fail_first=error) as served:
        client = socket.create_connection(("127.0.0.1", served.port))
        handed = received(served, 0)  # accepted on the retry
        client.sendall(b"hello")
        assert handed.recv(5) == b"hello"
        assert "could not accept a connection" in caplog.text
        client.close()
        handed.close()


def test_stopping_ends_the_accepting_thread() -> None:
    with handoff(2) as served:
        thread = served.handoff._thread
        assert thread is not None and thread.is_alive()
    assert not thread.is_alive()
