"""`gtm-bot export audit`, called directly: the --since parser and the CSV and JSON-lines writers."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from bot.features.audit.export import export_audit, parse_since
from storage.db import Database
from storage.requests import RequestRepository
from tests import rows


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-01", datetime(2026, 11, 1, tzinfo=UTC)),
        ("2026-11-01T09:30", datetime(2026, 11, 1, 9, 30, tzinfo=UTC)),
        ("2026-11-01T09:30+02:00", datetime(2026, 11, 1, 9, 30, tzinfo=timezone(timedelta(hours=2)))),
    ],
)
def test_since_is_a_date_or_a_date_time_in_utc_unless_it_names_a_zone(text: str, expected: datetime) -> None:
    assert parse_since(text) == expected


def test_since_refuses_what_is_not_a_date() -> None:
    with pytest.raises(ValueError, match="--since wants a date"):
        parse_since("yesterday")


async def test_csv_quotes_formulas_and_json_lines_keep_the_values(db: Database) -> None:
    async with db.sessions.begin() as session:
        await RequestRepository(session).add_request(rows.request(requester="=HYPERLINK()", summary="s"))
    out = io.StringIO()
    assert await export_audit(db, out, since=None, fmt="csv") == 1
    header, row = list(csv.reader(io.StringIO(out.getvalue())))
    assert header[:5] == ["record", "id", "request_id", "at", "actor"]
    assert row[0] == "request" and row[4] == "'=HYPERLINK()"
    assert json.loads(row[7])["summary"] == "s"
    out = io.StringIO()
    assert await export_audit(db, out, since=None, fmt="jsonl") == 1
    line = json.loads(out.getvalue())
    assert (line["record"], line["actor"], line["status"]) == ("request", "=HYPERLINK()", "pending")
    assert await export_audit(db, io.StringIO(), since=datetime(2030, 1, 1, tzinfo=UTC), fmt="csv") == 0
