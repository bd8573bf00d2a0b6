"""The playground never writes its samples into a database it did not create, and listens on loopback only.

Through the real CLI, in its own process (`python -m bot.cli serve`), on the test database.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from sqlalchemy import func, select, update

from storage.db import Database
from storage.marks import PLAYGROUND
from storage.models import DatabaseMarkRow, PersonRow
from tests.playground.fixtures import free_port

NO_TOKENS = {k: v for k, v in os.environ.items() if k not in ("SLACK_SIGNING_SECRET", "SLACK_BOT_TOKEN")}


async def serve(
    *args: str, database_url: str | None, cwd: Path | None = None
) -> tuple[int | None, list[str]]:
    """Start `gtm-bot serve ARGS` with no Slack tokens; (exit status or None if it came up, stderr lines).

    A playground that comes up prints "open http://..." and is then stopped."""
    env = dict(NO_TOKENS)
    env.pop("DATABASE_URL", None)
    if database_url is not None:
        env["DATABASE_URL"] = database_url
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "serve", "--port", str(free_port()), *args,
        env=env, cwd=cwd, stderr=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    assert proc.stderr is not None
    lines: list[str] = []
    try:
        async with asyncio.timeout(60):
            while line := (await proc.stderr.readline()).decode():
                lines.append(line.rstrip("\n"))
                if "playground (no Slack tokens set): open" in line:
                    return None, lines
            return await proc.wait(), lines
    finally:
        if proc.returncode is None:
            proc.terminate()
            await proc.wait()


async def people(db: Database) -> dict[str, str]:
    async with db.reads() as session:
        rows = await session.execute(select(PersonRow.slack_id, PersonRow.name))
        return {slack_id: name for slack_id, name in rows}


async def marked(db: Database) -> bool:
    async with db.reads() as session:
        found = await session.scalar(select(func.count()).where(DatabaseMarkRow.name == PLAYGROUND))
    return bool(found)


async def test_the_playground_refuses_a_database_that_holds_a_real_directory(directory: Database) -> None:
    async with directory.sessions.begin() as session:  # a real directory: not the samples as shipped
        await session.execute(
            update(PersonRow).where(PersonRow.slack_id == "U0AE1").values(name="Real Person")
        )
    before = await people(directory)
    status, err = await serve(database_url=directory.url)
    assert status == 2
    assert len(err) == 1 and err[0].startswith("gtm-bot: error: the playground will not write its samples")
    assert "table " in err[0] and "unset DATABASE_URL" in err[0]
    assert await people(directory) == before
    assert not await marked(directory)


async def test_the_playground_takes_an_empty_database_marks_it_and_may_start_again(db: Database) -> None:
    status, err = await serve(database_url=db.url)
    assert status is None, err
    assert await marked(db)
    assert (await people(db))["U0AE1"] == "Ava Cole"
    status, err = await serve(database_url=db.url)  # its own database, data and all
    assert status is None, err


async def test_without_database_url_the_playground_uses_its_own_file(tmp_path: Path) -> None:
    status, err = await serve(database_url=None, cwd=tmp_path)
    assert status is None, err
    own = Database(f"sqlite+aiosqlite:///{tmp_path / 'gtm-bot-playground.db'}")
    try:
        assert await marked(own)
        assert "U0AE1" in await people(own)
    finally:
        await own.dispose()
    assert not (tmp_path / "gtm-bot.db").exists()


async def test_the_playground_refuses_a_public_host_unless_asked_and_then_warns(tmp_path: Path) -> None:
    for host in ("0.0.0.0", "192.0.2.1", "::"):
        status, err = await serve("--host", host, database_url=None, cwd=tmp_path)
        assert status == 2
        assert len(err) == 1 and "listens on loopback only" in err[0] and "--playground-public" in err[0]
    assert os.listdir(tmp_path) == []  # refused before touching any database
    status, err = await serve("--host", "0.0.0.0", "--playground-public", database_url=None, cwd=tmp_path)
    assert status is None, err
    assert err[0] == (
        "gtm-bot: warning: the playground listens on 0.0.0.0: whoever reaches it may act as anyone"
    )
    status, err = await serve("--host", "::1", database_url=None, cwd=tmp_path)  # loopback is fine
    assert status is None, err
