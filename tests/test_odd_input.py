"""Odd input answers with a clear message, never a 500 or a traceback, and writes nothing bad.

Ids with non-ASCII digits or out of range, NUL characters in free text, oversized or NUL names in imports,
an org file nested thousands deep, a parent loop in the accounts CSV: through signed requests into the real
app and through the real CLI, on whichever database the suite runs on.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.standin.web_api import SlackStandIn
from storage.db import Database
from storage.models import (
    AccountRow,
    DecisionRow,
    GlossaryEntryRow,
    GlossaryStatRow,
    PersonRow,
    SlaRequestRow,
)
from tests.conftest import SAMPLES, FakeClock
from tests.slack.client import SlackClient, text_value, visible_text
from tests.test_import import GOOD, HEADER, import_cli, snapshot
from tests.test_ownership import request_hooli
from tests.test_sla import values as sla_values

ODD_IDS = ["²", "4²", "١٢", "1" * 23, "99999999999", "-1", "#²"]


@pytest.mark.parametrize("odd", ODD_IDS)
@pytest.mark.parametrize(
    ("user", "command", "expected"),
    [
        ("U0AE1", "requests", "by its number"),
        ("U0AE2", "sla done", "say which request"),
        ("U0OPS1", "review apply", "say which review"),
    ],
)
async def test_an_odd_id_in_a_command_gets_a_private_one_line_answer(
    slack: SlackClient, directory: Database, user: str, command: str, expected: str, odd: str
) -> None:
    reply = await slack.command(f"{command} {odd}", user)
    assert reply.status == 200, reply.body
    assert reply.json.get("response_type") == "ephemeral"
    assert expected in reply.text.lower()


async def test_a_big_employee_count_is_no_count(slack: SlackClient, directory: Database) -> None:
    for text in ("segment ²", "segment " + "9" * 23):
        reply = await slack.command(text, "U0AE1")
        assert reply.status == 200, reply.body


async def test_nul_in_a_reason_a_note_and_glossary_text_is_stored_without_it(
    slack: SlackClient, standin: SlackStandIn, deps, directory: Database, clock: FakeClock
) -> None:
    hooli = await request_hooli(slack, standin)
    reason = text_value("reason", "Not\x00 yet\x00, sorry")
    reply = await slack.submit(
        "U0AE2", "approval.reject_reason", reason, private_metadata=hooli["approve"]["value"]
    )
    assert reply.status == 200, reply.body
    note = sla_values(clock.now - timedelta(hours=1), note="call\x00 back")
    reply = await slack.submit("U0SDR1", "sla.submit", note, private_metadata="A-HOOLI")
    assert reply.status == 200 and reply.json["response_action"] == "update", reply.body
    entry = {
        k: {"value": {"type": "plain_text_input", "value": v}}
        for k, v in {"term": "P\x00QL", "expansion": "", "definition": "A\x00 user", "aliases": ""}.items()
    }
    reply = await slack.submit("U0OPS1", "glossary.entry_modal", entry, private_metadata="{}")
    assert reply.status == 200 and reply.json["response_action"] == "update", reply.body
    reply = await slack.command("S\x00AO", "U0AE1", command="/glossary")
    assert reply.status == 200 and "Sales Accepted" in reply.text
    await deps.outbox.drain()
    async with directory.reads() as session:
        assert [d.reason for d in await session.scalars(select(DecisionRow))] == ["Not yet, sorry"]
        assert [s.note for s in await session.scalars(select(SlaRequestRow))] == ["call back"]
        entry_row = await session.get(GlossaryEntryRow, "pql")
        assert entry_row is not None and entry_row.definition == "A user"
        assert not [q for q in await session.scalars(select(GlossaryStatRow.query)) if "\x00" in q]
    told = [visible_text(c.args) for c in standin.calls]
    assert not [t for t in told if "\x00" in t]


# ---- imports -------------------------------------------------------------------------------------------
async def refused_import(db: Database, kind: str, path: Path, line: int, reason: str) -> None:
    before = await snapshot(db)
    async with db.reads() as session:
        people = list(await session.scalars(select(PersonRow.slack_id)))
    status, stderr = await import_cli(db, "import", kind, str(path))
    assert status == 2, stderr
    errors = [x for x in stderr.strip().splitlines() if not x.startswith(f"import {kind} ")]  # progress
    assert errors == [f"{path}:{line}: {reason}"], stderr
    assert await snapshot(db) == before
    async with db.reads() as session:
        assert list(await session.scalars(select(PersonRow.slack_id))) == people


@pytest.mark.parametrize(
    ("rows", "line", "reason"),
    [
        ((GOOD.replace("New Co", "New\x00Co"),), 2, "name has a control character (such as NUL)"),
        ((GOOD.replace("New Co", "N" * 256),), 2, "name is longer than 255 characters"),
        ((GOOD.replace(",150,", "," + "9" * 23 + ","),), 2, "employees_datafox must be a whole number"),
        (
            (
                GOOD.replace("A-NEW,New Co,,", "A-ONE,One,A-TWO,"),
                GOOD.replace("A-NEW,New Co,,", "A-TWO,Two,A-THREE,"),
                GOOD.replace("A-NEW,New Co,,", "A-THREE,Three,A-ONE,"),
                GOOD,
            ),
            2,
            "parent_id makes a loop: A-ONE -> A-TWO -> A-THREE -> A-ONE",
        ),
        (
            (
                GOOD,
                GOOD.replace("A-NEW,New Co,,", "A-B,B,A-A,"),
                GOOD.replace("A-NEW,New Co,,", "A-A,A,A-B,"),
            ),
            3,
            "parent_id makes a loop: A-B -> A-A -> A-B",
        ),
    ],
)
async def test_an_accounts_file_with_a_bad_name_or_a_parent_loop_is_refused_and_nothing_written(
    directory: Database, tmp_path: Path, rows: tuple[str, ...], line: int, reason: str
) -> None:
    path = tmp_path / "accounts.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n")
    if "must be a whole number" in reason:
        reason = f"employees_datafox must be a whole number of 0 or more, got '{'9' * 23}'"
    await refused_import(directory, "accounts", path, line, reason)
    async with directory.reads() as session:
        assert await session.get(AccountRow, "A-NEW") is None


async def test_an_org_file_nested_twenty_thousand_deep_is_refused_with_its_line(
    directory: Database, tmp_path: Path
) -> None:
    org = (SAMPLES / "org.yaml").read_text()
    flow = tmp_path / "flow.yaml"
    flow.write_text(org + "extra: " + "[" * 20_000 + "]" * 20_000 + "\n")
    line = org.count("\n") + 1
    await refused_import(directory, "org", flow, line, "nested more than 50 levels deep")
    block = tmp_path / "block.yaml"
    block.write_text(org + "".join(" " * i + f"k{i}:\n" for i in range(20_000)))
    await refused_import(directory, "org", block, line + 101, "nested more than 50 levels deep")
    named = tmp_path / "named.yaml"
    named.write_text(org.replace("name: Ava Cole", 'name: "Ava\\0Cole"'))
    await refused_import(directory, "org", named, 21, "name has a control character (such as NUL)")
