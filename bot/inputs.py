"""One rule for what people type and what a payload carries, used by every handler and the importer.

Ids and counts are ASCII digits within the database's integer range (`str.isdigit` accepts "²", which
`int()` refuses, and a 23-digit id overflows the column). Free text loses its control characters (NUL,
which PostgreSQL refuses in text, and the rest of C0 but tab and newline) and is capped in length.
"""

from __future__ import annotations

import re
from typing import Any

MAX_INT = 2**31 - 1  # the smallest integer column on any backend (PostgreSQL INTEGER)
MAX_TEXT = 10_000  # Slack's own inputs stop at 3,000 (modals) and 4,000 (commands) characters
_DIGITS = re.compile(r"[0-9]{1,10}")
_COUNT = re.compile(r"[0-9]{1,3}(,[0-9]{3})+|[0-9]{1,10}")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def parse_id(text: str | None) -> int | None:
    """`"42"` or `"#42"` -> 42; anything else (other digits, signs, spaces inside, out of range) -> None."""
    text = (text or "").strip().removeprefix("#")
    if not _DIGITS.fullmatch(text):
        return None
    value = int(text)
    return value if 0 < value <= MAX_INT else None


def parse_count(text: str | None) -> int | None:
    """A whole number of 0 or more, thousands separators allowed (`"2,000"`), within the integer range."""
    text = (text or "").strip()
    if not _COUNT.fullmatch(text):
        return None
    value = int(text.replace(",", ""))
    return value if value <= MAX_INT else None


def has_control_characters(text: str) -> bool:
    return CONTROL.search(text) is not None


def clean_text(text: str, limit: int = MAX_TEXT) -> str:
    """Without control characters (tab and newline stay), at most `limit` characters."""
    return CONTROL.sub("", text)[:limit]


def clean_payload(node: Any) -> Any:
    """Every string in a parsed payload (dicts and lists, any depth) through clean_text."""
    if isinstance(node, str):
        return clean_text(node) if len(node) > MAX_TEXT or CONTROL.search(node) else node
    if isinstance(node, dict):
        return {key: clean_payload(value) for key, value in node.items()}
    if isinstance(node, list):
        return [clean_payload(value) for value in node]
    return node
