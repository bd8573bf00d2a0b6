"""Faults: Slack failing or hanging, the database away, the process killed mid-chain, racing clicks."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from bot.app import build_app
from bot.approvals import service
from bot.approvals.engine import Status, StepMode, StepSpec
from bot.deps import Deps
from bot.features.ownership.service import KIND
from bot.standin.web_api import Fault, SlackStandIn
from storage.db import Database, is_sqlite
from storage.models import AccountRow, AuditRow, DecisionRow, OutboxRow, RequestRow
from tests.conftest import SIGNING_SECRET, FakeClock
from tests.slack.client import SlackClient, visible_text
from tests.test_ownership import buttons, dm_to, request_hooli

ROOT = Path(__file__).resolve().parent.parent


async def count(db: Database, model: type, *where) -> int:  # type: ignore[no-untyped-def]
    async with db.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def real_calls(standin: SlackStandIn, method: str, predicate: Callable = lambda c: True) -> list:  # type: ignore[type-arg]
    """Calls Slack answered (a faulted call was never delivered)."""
    return [c for c in standin.calls_to(method) if "_fault" not in c.args and predicate(c)]


async def healthz(slack: SlackClient) -> dict:  # type: ignore[type-arg]
    async with slack.session.get(slack.url.replace("/slack/events", "/healthz")) as response:
        return await response.json()


# ---- Slack's Web API fails -----------------------------------------------------------------------------
async def test_commands_ack_in_time_while_slack_hangs(
    slack: SlackClient, standin: SlackStandIn, directory
) -> None:
    standin.fail_next("views.open", Fault(status=200, delay=1.5))
    start = time.perf_counter()
    reply = await slack.command("sao", "U0AE1")  # opens a modal after the ack; Slack hangs on it
    owner = await slack.command("owner Initech", "U0AE1")
    assert reply.status == 200 and owner.status == 200
    assert time.perf_counter() - start < 1.0
    assert "*Owner:* <@U0SAL1>" in owner.text  # Sally Park


@pytest.mark.parametrize(
    "fault", [Fault(status=500), Fault(status=429, retry_after=7), Fault(status=200, delay=2)], ids=str
)
async def test_a_decision_stays_committed_and_its_notifications_go_once_slack_answers(
    slack: SlackClient, standin: SlackStandIn, deps: Deps, clock: FakeClock, directory, fault: Fault
) -> None:
    hooli = await request_hooli(slack, standin)
    deps.client.timeout = 1  # a hang: the call times out (Slack may answer much later, or never)
    for method in ("chat.update", "chat.postMessage"):
        standin.fail_next(method, fault, times=3)
    reply = await slack.click("U0AE2", "approval.approve", hooli["approve"]["value"])
    assert reply.status == 200
    assert await count(deps.db, DecisionRow) == 1
    async with deps.db.sessions() as session:
        assert (
            await session.scalar(select(AccountRow.owner).where(AccountRow.account_id == "A-HOOLI"))
            == "U0AE1"
        )
    await deps.outbox.drain()
    for _ in range(6):  # Slack answers again; the retries come due
        clock.advance(timedelta(seconds=40))
        await deps.outbox.drain()
    assert await count(deps.db, OutboxRow, OutboxRow.status != "sent") == 0
    updates = real_calls(standin, "chat.update")
    assert sorted(u.args["channel"] for u in updates) == ["D0AE1", "D0AE2"]  # the card and the request, once
    assert "Approve" not in [b["text"]["text"] for b in buttons(dm_to(standin, "U0AE2")[-1])]
    delivered = [(c.args["channel"], visible_text(c.args)) for c in real_calls(standin, "chat.postMessage")]
    assert len(delivered) == len(set(delivered))  # no notification twice
    assert {"U0AE1", "U0AE2"} <= {channel for channel, text in delivered if "now owned by" in text}


# ---- the database goes away ----------------------------------------------------------------------------
class TcpProxy:
    """127.0.0.1 proxy to PostgreSQL that can be cut (every connection dropped, new ones refused)."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.server: asyncio.Server | None = None
        self.writers: set[asyncio.StreamWriter] = set()
        self.port = 0

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._client, "127.0.0.1", self.port)
        self.port = self.server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
            self.server = None
        for writer in list(self.writers):
            writer.close()
        self.writers.clear()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        self.writers |= {writer, up_writer}

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(Exception):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))


@contextlib.asynccontextmanager
async def outage_ready(deps: Deps, db: Database) -> AsyncIterator[tuple[Callable, Callable]]:
    """(cut, restore): SQLite: the database's directory is moved away (no file to open) and back;
    PostgreSQL: the app reaches the server through a proxy that is stopped and started again."""
    if is_sqlite(db.url):
        path = Path(make_url(db.url).database or "")
        away = path.parent.with_name(path.parent.name + "-away")

        async def cut() -> None:
            # Move the file away first, then drop pooled connections: a connection opened while dispose()
            # awaited (the outbox polls) would otherwise keep the old file open and the "outage" would
            # quietly succeed.
            path.parent.rename(away)
            await deps.db.dispose()

        async def restore() -> None:
            away.rename(path.parent)

        try:
            yield cut, restore
        finally:
            if away.exists():
                away.rename(path.parent)
        return
    url = make_url(db.url)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    await proxy.start()
    proxied = Database(url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False))
    original = deps.db
    deps.db = deps.outbox.db = proxied
    try:
        yield proxy.stop, proxy.start
    finally:
        deps.db = deps.outbox.db = original
        await proxied.dispose()
        await proxy.stop()


async def test_while_the_database_is_away_users_get_a_clear_error_and_the_app_recovers(
    slack: SlackClient, standin: SlackStandIn, deps: Deps, db: Database, directory
) -> None:
    hooli = await request_hooli(slack, standin)
    async with outage_ready(deps, db) as (cut, restore):
        await cut()
        assert await healthz(slack) == {"ok": False, "database": "down", "templates": "ok"}
        reply = await slack.command("owner Initech", "U0AE1")
        assert reply.status == 200
        assert "database isn't answering" in reply.text and reply.json["response_type"] == "ephemeral"
        click = await slack.click("U0AE2", "approval.approve", hooli["approve"]["value"])
        assert click.status == 200
        # generous: on a loaded machine the failed decision and the error reply can take a few seconds
        told = await standin.wait_for("chat.postEphemeral", lambda c: c.args["user"] == "U0AE2", within=20)
        assert "database isn't answering" in told[-1].args["text"]
        await restore()
        assert await healthz(slack) == {"ok": True, "database": "up", "templates": "ok"}
        assert "*Owner:* <@U0SAL1>" in (await slack.command("owner Initech", "U0AE1")).text
        assert await count(deps.db, DecisionRow) == 0  # nothing half-written
        click = await slack.click("U0AE2", "approval.approve", hooli["approve"]["value"])
        assert click.status == 200
        assert await count(deps.db, DecisionRow) == 1


# ---- killed between the decision and its notifications -------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def wait_until_listening(port: int, proc: subprocess.Popen) -> None:  # type: ignore[type-arg]
    for _ in range(200):
        assert proc.poll() is None, "gtm-bot serve exited"
        try:
            _reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            await asyncio.sleep(0.05)
    raise TimeoutError("gtm-bot serve did not start")


async def test_killed_after_the_decision_the_chain_continues_after_restart_without_doubles(
    standin: SlackStandIn, deps: Deps, db: Database, clock: FakeClock, directory
) -> None:
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": db.url,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_API_URL": standin.base_url + "api/",
        "LOG_LEVEL": "WARNING",
    }
    argv = [sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    proc = subprocess.Popen(argv, env=env, cwd=ROOT, stderr=subprocess.DEVNULL)  # noqa: ASYNC220 (a server)
    try:
        await wait_until_listening(port, proc)
        async with aiohttp.ClientSession() as session:
            bot = SlackClient(f"http://127.0.0.1:{port}/", SIGNING_SECRET, standin, session)
            hooli = await request_hooli(bot, standin)
            # Slack stops answering: the outbox's sends hang; the decision still commits before the 200.
            standin.fail_next("chat.update", Fault(status=200, delay=30), times=5)
            standin.fail_next("chat.postMessage", Fault(status=200, delay=30), times=5)
            reply = await bot.click("U0AE2", "approval.approve", hooli["approve"]["value"])
            assert reply.status == 200
            await standin.wait_for("chat.postMessage", lambda c: "_fault" in c.args, within=10)
        proc.send_signal(signal.SIGKILL)
        proc.wait(5)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
    assert await count(db, DecisionRow) == 1
    assert await count(db, RequestRow, RequestRow.status == Status.APPLIED.value) == 1
    assert await count(db, OutboxRow, OutboxRow.status == "pending") >= 2  # the notifications wait
    standin.faults.clear()
    # The restarted app (this process's outbox over the same database), after the dead one's lease ran out.
    build_app(deps)  # as a process starts: the features wire their flows, jobs and outbox builders
    clock.now = max(clock.now, _now()) + timedelta(minutes=2)
    await deps.outbox.drain()
    assert await count(db, OutboxRow, OutboxRow.status != "sent") == 0
    assert sorted(c.args["channel"] for c in real_calls(standin, "chat.update")) == ["D0AE1", "D0AE2"]
    delivered = [(c.args["channel"], visible_text(c.args)) for c in real_calls(standin, "chat.postMessage")]
    assert len(delivered) == len(set(delivered))
    assert any(channel == "U0AE1" and "Hooli" in text for channel, text in delivered)


def _now():  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    return datetime.now(UTC)  # the killed process used the real clock for its leases


# ---- racing clicks -----------------------------------------------------------------------------------
async def test_fifty_concurrent_clicks_on_one_approval_decide_once(
    slack: SlackClient, standin: SlackStandIn, deps: Deps, directory
) -> None:
    hooli = await request_hooli(slack, standin)
    replies = await asyncio.gather(
        *(slack.click("U0AE2", "approval.approve", hooli["approve"]["value"]) for _ in range(50))
    )
    assert {r.status for r in replies} == {200}
    await deps.outbox.drain()
    assert await count(deps.db, DecisionRow) == 1
    assert await count(deps.db, AuditRow, AuditRow.action == "applied") == 1
    assert sorted(c.args["channel"] for c in real_calls(standin, "chat.update")) == ["D0AE1", "D0AE2"]
    changed = [c for c in real_calls(standin, "chat.postMessage") if "now owned by" in visible_text(c.args)]
    assert len(changed) == len({c.args["channel"] for c in changed}) >= 1


async def test_two_approvers_of_an_any_step_racing_settle_it_once(
    slack: SlackClient, standin: SlackStandIn, deps: Deps, directory
) -> None:
    async with deps.db.sessions.begin() as session:
        ctx = service.Context(deps, session, deps.clock(), "U0AE1")
        request = await service.open_request(
            ctx,
            kind=KIND,
            subject_id="A-HOOLI",
            summary="Ava Cole to own Hooli",
            payload={"account_id": "A-HOOLI", "account_name": "Hooli", "old_owner": "U0AE2",
                     "new_owner": "U0AE1", "reason": "race", "routing": "owner", "explanation": "test",
                     "failed": []},
            first_step=StepSpec("regional approver", ("U0SAL1", "U0RD1"), StepMode.ANY),
        )  # fmt: skip
        step = (await ctx.repo.steps(request.id))[0]
    deps.outbox.kick()
    value = f"{request.id}:{step.id}"
    replies = await asyncio.gather(
        *(slack.click(user, "approval.approve", value) for user in ("U0SAL1", "U0RD1") * 10)
    )
    assert {r.status for r in replies} == {200}
    await deps.outbox.drain()
    assert await count(deps.db, DecisionRow) == 1
    assert await count(deps.db, AuditRow, AuditRow.action == "applied") == 1
    async with deps.db.sessions() as session:
        assert (
            await session.scalar(select(AccountRow.owner).where(AccountRow.account_id == "A-HOOLI"))
            == "U0AE1"
        )
    updates = real_calls(standin, "chat.update")
    assert len(updates) == len({(u.args["channel"], u.args["ts"]) for u in updates}) == 2  # each card once
