"""`gtm-bot export audit` through the real CLI: every request, step, decision, audit event and notification,
as CSV or JSON lines, from a date on, and 100,000 rows streamed with flat memory."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import subprocess
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

from sqlalchemy import insert

from bot.standin.web_api import SlackStandIn
from storage.audit_export import COLUMNS
from storage.db import Database
from storage.models import AuditRow
from tests.conftest import START
from tests.slack.client import SlackClient
from tests.test_ownership import request_hooli

GTM_BOT = str(Path(sys.executable).with_name("gtm-bot"))


def run_export(url: str, *args: str) -> tuple[str, int]:
    """(standard output, peak resident KiB) of `gtm-bot export audit ARGS`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "LOG_"))}
    env["DATABASE_URL"] = url
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen([GTM_BOT, "export", "audit", *args], env=env, stdout=out, stderr=err)
        _pid, status, usage = os.wait4(process.pid, 0)  # this child's own peak memory
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        assert process.returncode == 0, err.read().decode()
        return out.read().decode(), usage.ru_maxrss


async def export(db: Database, *args: str) -> tuple[str, int]:
    return await asyncio.to_thread(run_export, db.url, *args)


async def test_every_request_step_decision_event_and_notification_is_exported(
    slack: SlackClient, standin: SlackStandIn, db: Database, directory
) -> None:
    sent = await request_hooli(slack, standin)
    await slack.click("U0AE2", "approval.approve", sent["approve"]["value"])
    request_id = int(sent["approve"]["value"].split(":")[0])

    lines, _ = await export(db, "--format", "jsonl")
    rows = [json.loads(line) for line in lines.splitlines()]
    assert all(list(row) == list(COLUMNS) for row in rows)
    assert {row["record"] for row in rows} == {"request", "step", "decision", "event", "notification"}
    [request] = [r for r in rows if r["record"] == "request"]
    assert (request["id"], request["actor"], request["kind"]) == (request_id, "U0AE1", "ownership")
    [decision] = [r for r in rows if r["record"] == "decision"]
    assert (decision["request_id"], decision["actor"], decision["status"]) == (request_id, "U0AE2", "approve")
    assert {"requested", "approved"} <= {r["kind"] for r in rows if r["record"] == "event"}
    assert any(r["detail"]["channel"] == "U0AE2" for r in rows if r["record"] == "notification")

    table, _ = await export(db)  # CSV by default: the same rows
    parsed = list(csv.DictReader(io.StringIO(table)))
    assert tuple(parsed[0]) == COLUMNS
    assert [(r["record"], int(r["id"])) for r in parsed] == [(r["record"], r["id"]) for r in rows]
    assert json.loads(next(r for r in parsed if r["record"] == "decision")["detail"])["step_id"]

    tomorrow, today = (START + timedelta(days=1)).date().isoformat(), START.date().isoformat()
    assert (await export(db, "--since", tomorrow))[0] == ",".join(COLUMNS) + "\n"  # the header only
    assert len((await export(db, "--since", today, "--format", "jsonl"))[0].splitlines()) == len(rows)


def test_a_bad_since_is_one_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [GTM_BOT, "export", "audit", "--since", "last week"],
        env={**os.environ, "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "gtm-bot: error: --since wants a date like 2026-11-01 or 2026-11-01T09:30, got 'last week'"
    ]


async def test_a_hundred_thousand_rows_stream_without_growing_memory(db: Database) -> None:
    _, baseline = await export(db, "--format", "jsonl")
    detail = {"step": "owner", "reason": "x" * 200}  # ~300 bytes a row: 100,000 rows are ~30 MB of output
    async with db.sessions.begin() as session:
        for start in range(0, 100_000, 10_000):
            await session.execute(
                insert(AuditRow),
                [
                    {"request_id": i, "actor": "U0AE1", "action": "approved", "detail": detail, "at": START}
                    for i in range(start, start + 10_000)
                ],
            )
    out, peak = await export(db, "--format", "jsonl")
    assert out.count("\n") == 100_000
    print(f"export of 100,000 rows: peak {peak} KiB, empty export {baseline} KiB")
    assert peak - baseline < 30 * 1024, (baseline, peak)  # KiB: far less than the rows themselves
