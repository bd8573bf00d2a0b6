"""Requests for the yearly employee count and address review ("Sales Segment and Hierarchy Review")."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from bot.handbook import facts
from bot.handbook.directory import Segment
from bot.handbook.results import Allowed, Refused

SegmentFor = Callable[[int | None], Segment | None]


def _facts() -> dict[str, Any]:
    return facts.load("processes")["reviews"]


def _section() -> str:
    return str(facts.load("processes")["sections"]["review"])


def thresholds_segment_for(employees: int | None) -> Segment | None:
    """Large 2,000+, Mid-Market 100-1,999, SMB 0-99 ("Segmentation"), from this module's data."""
    if employees is None or employees < 0:
        return None
    for row in sorted(_facts()["segment_thresholds"], key=lambda row: -row["min"]):
        if employees >= row["min"]:
            return Segment(row["segment"])
    return None


def check_source_url(source_url: str) -> Allowed | Refused:
    """A real http(s) link with a host; "as a rule LinkedIn is not accepted as a valid source"."""
    rules = _facts()
    try:
        parts = urlsplit(source_url.strip())
        host = (parts.hostname or "").rstrip(".")
    except ValueError:
        return Refused(f"{source_url!r} is not a link.", _section())
    if parts.scheme.lower() not in rules["url_schemes"] or "." not in host:
        return Refused(
            f"The source must be a web link (http or https) to where you found it, not {source_url!r}.",
            _section(),
        )
    for rejected in rules["rejected_source_hosts"]:
        if host == rejected or host.endswith(f".{rejected}"):
            return Refused(
                "LinkedIn is not accepted as a valid source; use financial filings, news articles or "
                "reports from the company.",
                _section(),
            )
    return Allowed("", _section())


def check_employee_review(
    current_count: int | None,
    proposed_count: int,
    source_url: str,
    segment_for: SegmentFor = thresholds_segment_for,
) -> Allowed | Refused:
    """`[User Input] Employee Count` and `Employee Source`: only a change of segment is reviewed."""
    if proposed_count < 0:
        return Refused("The employee count cannot be negative.", _section())
    source = check_source_url(source_url)
    if isinstance(source, Refused):
        return source
    current, proposed = segment_for(current_count), segment_for(proposed_count)
    if current_count is not None and current == proposed:
        return Refused(
            f"Reviews that do not change the segment are not reviewed: {proposed_count:,} employees stays "
            f"{proposed}.",
            _section(),
        )
    was = "unknown" if current is None else str(current)
    return Allowed(
        f"Would move the account from {was} to {proposed}; Sales Ops reviews it in Q4.", _section()
    )


def check_address_review(zip_code: str, state: str, country: str, source_url: str) -> Allowed | Refused:
    """`Account Zip/State/Country - Manual - User` and `Account Address - Manual Source - User`."""
    fields = {"zip": zip_code, "state": state, "country": country}
    missing = [name for name, value in fields.items() if not value.strip()]
    if missing:
        return Refused(f"Fill in the Global Account HQ's {', '.join(missing)}.", _section())
    source = check_source_url(source_url)
    if isinstance(source, Refused):
        return source
    return Allowed("The address will be reviewed by Sales Ops in Q4.", _section())
