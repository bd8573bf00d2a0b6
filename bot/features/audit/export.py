"""`gtm-bot export audit`: every request, step, decision, audit event and notification as CSV or JSON lines,
written as it is read (a compliance review of a million rows needs no more memory than of ten)."""

from __future__ import annotations

import csv
import json
from datetime import UTC, date, datetime
from typing import Any, TextIO

from bot.features.reviews.export import FORMULA_STARTS
from storage.audit_export import COLUMNS, AuditExportRepository, ExportRow
from storage.db import Database


def parse_since(text: str) -> datetime:
    """`2026-11-01` (midnight UTC) or an ISO date-time (UTC when it names no zone)."""
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"--since wants a date like 2026-11-01 or 2026-11-01T09:30, got {text!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime | date) else value


def _cell(value: Any) -> str:
    """A CSV cell; text a spreadsheet would run as a formula is quoted, as in the review export."""
    if value is None:
        return ""
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, default=_plain)
    text = str(_plain(value))
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _values(row: ExportRow) -> list[Any]:
    return [getattr(row, column) for column in COLUMNS]


def _jsonl(row: ExportRow) -> str:
    return json.dumps(dict(zip(COLUMNS, _values(row), strict=True)), ensure_ascii=False, default=_plain)


async def export_audit(db: Database, out: TextIO, *, since: datetime | None, fmt: str) -> int:
    """Stream the rows to `out`; returns how many were written."""
    writer = csv.writer(out, lineterminator="\n") if fmt == "csv" else None
    if writer is not None:
        writer.writerow(COLUMNS)
    count = 0
    async with db.reads() as session:
        async for row in AuditExportRepository(session).rows(since):
            if writer is not None:
                writer.writerow([_cell(v) for v in _values(row)])
            else:
                out.write(_jsonl(row) + "\n")
            count += 1
    out.flush()
    return count
