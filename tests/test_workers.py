"""`gtm-bot serve --workers 2` on PostgreSQL, through the real CLI: both processes share the port, both take
scheduled jobs and outbox messages, and none is run or sent twice (the leases); /metrics adds up both; a
killed serve leaves no worker behind."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import insert, select
from sqlalchemy.engine import make_url

from bot.features.holdovers.service import REPORT
from bot.standin import signer
from bot.standin.web_api import SlackStandIn
from storage.db import POOL_SIZE, Database, is_sqlite
from storage.models import JobRow, OutboxRow
from tests.test_cli_operator import free_port

GTM_BOT = str(Path(sys.executable).with_name("gtm-bot"))
SECRET = "workers-signing-secret"
JOBS, MESSAGES = 400, 300

pytestmark = pytest.mark.skipif(
    is_sqlite(os.environ.get("GTM_TEST_DATABASE_URL") or "sqlite+aiosqlite://"),
    reason="--workers needs PostgreSQL (refused on SQLite: tests/test_cli_operator.py); CI runs this there",
)


def serve_env(standin: SlackStandIn, db: Database) -> dict[str, str]:
    """`gtm-bot serve`'s environment: Slack mode against the stand-in and the test database."""
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL", "LOG_"))},
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_BOT_TOKEN": "xoxb-workers",
        "SLACK_API_URL": standin.base_url + "api/",
        "DATABASE_URL": db.url,
    }


async def until_answering(http: aiohttp.ClientSession, base: str) -> None:
    """Wait for serve's /healthz to say ok (its workers start in a few seconds); fail if it never does."""
    for _ in range(120):
        try:
            async with http.get(base + "/healthz") as response:
                assert (await response.json())["ok"]
                return
        except aiohttp.ClientError:
            await asyncio.sleep(0.25)
    raise AssertionError(f"gtm-bot serve did not answer at {base}")


async def requests_counted(http: aiohttp.ClientSession, base: str) -> float:
    async with http.get(base + "/metrics") as response:
        text = await response.text()
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "gtm_requests_total" and sample.labels.get("listener") == "/gtm help"
    )


async def test_two_workers_never_run_the_same_job_or_send_the_same_message(
    db: Database, standin: SlackStandIn, tmp_path: Path
) -> None:
    now = datetime.now(UTC)
    due = now - timedelta(minutes=1)
    async with db.sessions.begin() as session:
        await session.execute(
            insert(JobRow),
            [
                {"key": f"r{i}", "kind": REPORT, "payload": {"owner": f"U{i}"}, "due_at": due}
                for i in range(JOBS)
            ],
        )
        await session.execute(
            insert(OutboxRow),
            [
                {
                    "dedupe_key": f"m{i}",
                    "method": "chat.postMessage",
                    "payload": {"channel": "U0AE1", "text": f"message {i}"},
                    "next_attempt_at": now - timedelta(seconds=1),
                    "created_at": now,
                }
                for i in range(MESSAGES)
            ],
        )
    standin.latency = 0.02  # 300 messages take ~6 s to send: longer than a worker's 5 s outbox poll
    port = free_port()
    env = serve_env(standin, db)
    with (tmp_path / "serve.log").open("w") as log_file:  # a file: a full pipe would stall the workers
        server = await asyncio.create_subprocess_exec(
            GTM_BOT, "serve", "--workers", "2", "--host", "127.0.0.1", "--port", str(port),
            env=env, stdout=log_file, stderr=log_file,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as http:
            await until_answering(http, base)
            for _ in range(20):
                body, content_type = signer.command_body("/gtm", "help", "U0AE1")
                headers = {"Content-Type": content_type, **signer.signed_headers(SECRET, body)}
                # A new connection each time, so either worker may answer.
                async with (
                    aiohttp.ClientSession() as fresh,
                    fresh.post(base + "/slack/events", data=body.encode(), headers=headers) as reply,
                ):
                    assert reply.status == 200
            for _ in range(3):  # whichever worker answers the scrape counts both
                assert await requests_counted(http, base) == 20
            for _ in range(240):
                async with db.reads() as session:
                    pending_jobs = await session.scalar(
                        select(JobRow.id).where(JobRow.status == "pending").limit(1)
                    )
                    pending_messages = await session.scalar(
                        select(OutboxRow.id).where(OutboxRow.status == "pending").limit(1)
                    )
                if pending_jobs is None and pending_messages is None:
                    break
                await asyncio.sleep(0.25)
    finally:
        server.terminate()
        await server.wait()
    log = (tmp_path / "serve.log").read_text()
    assert server.returncode == 0, log
    assert f"gtm-bot listening on http://127.0.0.1:{port} with 2 workers" in log

    async with db.reads() as session:
        jobs = (await session.execute(select(JobRow.status, JobRow.attempts, JobRow.claimed_by))).all()
        messages = (await session.execute(select(OutboxRow.status, OutboxRow.attempts))).all()
    assert len(jobs) >= JOBS  # the report job may schedule nothing more: no holdovers
    ran = [job for job in jobs if job.status == "done"]
    assert len(ran) == JOBS and all(job.attempts == 1 for job in ran)  # each claimed and run once
    by_worker = Counter(job.claimed_by for job in ran)
    print("jobs run by each worker:", sorted(by_worker.values()))
    assert len(by_worker) == 2, by_worker  # both workers ran some
    assert all(m.status == "sent" and m.attempts == 1 for m in messages)
    sent = Counter(c.args["text"] for c in standin.calls_to("chat.postMessage"))
    assert len(sent) == MESSAGES and set(sent.values()) == {1}, sent.most_common(3)
    assert "Traceback" not in log


def _children(pid: int) -> dict[int, str]:
    """serve's forked processes and their names (Linux)."""
    found = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return {int(child): Path(f"/proc/{child}/comm").read_text().strip() for child in found}


def _running(pid: int) -> bool:
    """Not exited (the exited worker of a killed serve may linger a moment as a zombie till init reaps it)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


async def test_when_serve_is_killed_its_workers_stop_too(db: Database, standin: SlackStandIn) -> None:
    """A killed (or crashed) serve can't tell its workers to stop: they stop on their own, instead of
    keeping the port and sending from a service that is gone while a restarted serve runs beside them."""
    port = free_port()
    env = serve_env(standin, db)
    server = await asyncio.create_subprocess_exec(
        GTM_BOT, "serve", "--workers", "2", "--host", "127.0.0.1", "--port", str(port),
        env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    workers: dict[int, str] = {}
    try:
        async with aiohttp.ClientSession() as http:
            await until_answering(http, f"http://127.0.0.1:{port}")
        workers = _children(server.pid)
        assert sorted(workers.values()) == ["gtm-bot-worker1", "gtm-bot-worker2"]  # as `ps` and `top` show
        server.kill()  # SIGKILL: serve's own process can tell nobody
        await server.wait()
        for _ in range(200):
            if not any(_running(pid) for pid in workers):
                break
            await asyncio.sleep(0.1)
        assert not [pid for pid in workers if _running(pid)], "a worker outlived its serve"
    finally:
        if server.returncode is None:
            server.kill()
            await server.wait()
        for pid in workers:  # never leave a stray server behind a failed assertion
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def _tcp_ports(pid: int) -> list[tuple[int, int]]:
    """(local port, remote port) of each established TCP connection the process holds (Linux /proc)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            target = os.readlink(fd)
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    ports = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "01" and fields[9] in inodes:  # 01: ESTABLISHED
                ports.append((int(fields[1].rsplit(":", 1)[1], 16), int(fields[2].rsplit(":", 1)[1], 16)))
    return ports


async def _kept_open(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter, int]:
    """A keep-alive connection to serve, answered once (so a worker holds it); and its client port."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: gtm-bot\r\n\r\n")
    head = await reader.readuntil(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), head
    fields = dict(line.split(b":", 1) for line in head.strip().split(b"\r\n")[1:])
    length = int(next(value for name, value in fields.items() if name.lower() == b"content-length"))
    await reader.readexactly(length)
    return reader, writer, writer.get_extra_info("sockname")[1]


async def test_connections_are_shared_evenly_and_each_worker_opens_its_pool_at_start(
    db: Database, standin: SlackStandIn
) -> None:
    """serve hands each new connection to the worker holding the fewest. With one socket shared, whichever
    idle worker woke first took a connection, so a burst's keep-alive connections piled onto one worker
    and its clicks waited twice as long as the other's (bench/RESULTS.md, twelfth pass). Each worker has
    its database connections open before the first request."""
    port = free_port()
    server = await asyncio.create_subprocess_exec(
        GTM_BOT, "serve", "--workers", "2", "--host", "127.0.0.1", "--port", str(port),
        env=serve_env(standin, db), stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    held: list[tuple[asyncio.StreamReader, asyncio.StreamWriter, int]] = []
    try:
        async with aiohttp.ClientSession() as http:
            await until_answering(http, f"http://127.0.0.1:{port}")
        workers = sorted(_children(server.pid))
        database_port = make_url(db.url).port or 5432

        def opened() -> list[int]:  # the pool's, opened at start (and the look-ups' own, opened as needed)
            return [sum(remote == database_port for _local, remote in _tcp_ports(pid)) for pid in workers]

        # One worker answering says nothing of the other, still starting on a slow machine (a CI run saw 0
        # there): wait for both to be up.
        for _ in range(300):
            if min(opened()) >= POOL_SIZE:
                break
            await asyncio.sleep(0.1)
        assert min(opened()) >= POOL_SIZE, opened()

        def served_by() -> dict[int, int]:
            """Client port -> the worker holding the other end."""
            return {remote: pid for pid in workers for local, remote in _tcp_ports(pid) if local == port}

        for _ in range(20):  # one after another, each answered before the next opens
            held.append(await _kept_open(port))
        owners = served_by()
        assert Counter(owners[client] for _r, _w, client in held) == {workers[0]: 10, workers[1]: 10}

        # The first worker's clients leave; the next connections go to it until both hold as many again.
        leaving = [conn for conn in held if owners[conn[2]] == workers[0]][:6]
        for _reader, writer, _client in leaving:
            writer.close()
            await writer.wait_closed()
        held = [conn for conn in held if conn not in leaving]
        await asyncio.sleep(0.5)  # each worker counts its closed connections every 0.1 s
        for _ in range(6):
            held.append(await _kept_open(port))
        owners = served_by()
        assert Counter(owners[client] for _r, _w, client in held) == {workers[0]: 10, workers[1]: 10}
    finally:
        for _reader, writer, _client in held:
            writer.close()
        server.terminate()
        await server.wait()
    assert server.returncode == 0
