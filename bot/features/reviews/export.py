"""The review queue as CSV for the review meeting, cut to fit Slack messages (no files:write scope)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

# Spreadsheet apps run cells starting with these as formulas ("CSV injection"); a quote defuses them.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CHUNK_CHARS = 2800  # a section's text is at most 3000 characters, with room for the ``` fences
MAX_CHUNKS = 10  # ~28,000 characters: under Slack's message size limits with the other blocks


def safe_cell(value: object) -> str:
    text = "" if value is None else str(value)
    text = text.replace("```", "'''").replace("\r", " ").replace("\n", " ")  # one line, no fence
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def to_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return out.getvalue()


@dataclass(frozen=True, slots=True)
class Chunks:
    parts: list[str]
    rows_shown: int
    rows_left_out: int


def split_csv(
    text: str,
    *,
    chunk_chars: int = CHUNK_CHARS,
    max_chunks: int = MAX_CHUNKS,
    measure: Callable[[str], int] = len,
) -> Chunks:
    """Whole lines per chunk; the header repeats in every chunk so each pastes on its own.

    Rows that don't fit in `max_chunks` are left out and counted (the message says so). A single row
    longer than a chunk is cut at `chunk_chars`.
    """
    lines = text.rstrip("\n").split("\n")
    header, rows = lines[0], lines[1:]
    parts: list[str] = []
    current = [header]
    size = measure(header) + 1
    room = chunk_chars - size - 1
    shown = 0
    for row in rows:
        while measure(row) > room:
            row = row[: max(0, len(row) - max(1, measure(row) - room))]
        if size + measure(row) + 1 > chunk_chars:
            parts.append("\n".join(current))
            if len(parts) == max_chunks:
                return Chunks(parts, shown, len(rows) - shown)
            current, size = [header], measure(header) + 1
        current.append(row)
        size += measure(row) + 1
        shown += 1
    parts.append("\n".join(current))
    return Chunks(parts, shown, 0)
