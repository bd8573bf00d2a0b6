"""Requests for the yearly employee count and address review ("Sales Segment and Hierarchy Review")."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from urllib.parse import urlsplit

from bot.handbook import facts
from bot.handbook.directory import Account, Segment
from bot.handbook.ownership import AccountView
from bot.handbook.results import Allowed, Refused
from bot.handbook.segments import Hierarchy, effective_segment

SegmentFor = Callable[[int | None], Segment | None]


_facts = partial(facts.process, "reviews")
_section = partial(facts.process_section, "review")


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


# ---- reviewing against the hierarchy ---------------------------------------------------------------


def segment_with_count(hierarchy: Hierarchy, account_id: str, count: int | None) -> Segment | None:
    """The hierarchy's segment if `account_id` had `count` as its admin override ("Segmentation", RoE 8)."""
    members = tuple(
        replace(m, employees_override=count) if m.account_id == account_id else m for m in hierarchy.members
    )
    return effective_segment(replace(hierarchy, members=members)).segment


def check_count_review(
    hierarchy: Hierarchy, account_id: str, proposed_count: int, source_url: str
) -> Allowed | Refused:
    """An employee count review is only worth Sales Ops' time if the account's (hierarchy's) segment moves.

    The account adopts its hierarchy's largest segment, so the comparison is the hierarchy's segment
    today against the hierarchy's segment with the proposed count ("Sales Segment and Hierarchy Review").
    """
    if proposed_count < 0:
        return Refused("The employee count cannot be negative.", _section())
    source = check_source_url(source_url)
    if isinstance(source, Refused):
        return source
    before = effective_segment(hierarchy).segment
    after = segment_with_count(hierarchy, account_id, proposed_count)
    if before == after:
        return Refused(
            f"Reviews that do not change the segment are not reviewed: with {proposed_count:,} employees "
            f"the account stays {after or 'unsegmented'}.",
            _section(),
        )
    return Allowed(
        f"Would move the account from {before or 'unsegmented'} to {after}; Sales Ops reviews it in Q4.",
        _section(),
    )


@dataclass(frozen=True, slots=True)
class AccountChange:
    """One account whose segment or region moved when a review was applied."""

    account: Account
    segment_before: Segment | None
    segment_after: Segment | None
    region_before: str | None
    region_after: str | None

    @property
    def what(self) -> str:
        parts = []
        if self.segment_before != self.segment_after:
            parts.append(f"segment {self.segment_before or 'none'} → {self.segment_after or 'none'}")
        if self.region_before != self.region_after:
            parts.append(f"territory {self.region_before or 'none'} → {self.region_after or 'none'}")
        return ", ".join(parts)


def hierarchy_changes(before: AccountView, after: AccountView) -> list[AccountChange]:
    """Every member of the hierarchy whose adopted segment or territory differs after the review.

    Members adopt the hierarchy's segment and the ultimate parent's territory, so when either moves,
    every member moves with it ("Segmentation", "Territories").
    """
    seg_before, seg_after = before.segment.segment, after.segment.segment
    reg_before = before.region.name if before.region else None
    reg_after = after.region.name if after.region else None
    if seg_before == seg_after and reg_before == reg_after:
        return []
    return [AccountChange(m, seg_before, seg_after, reg_before, reg_after) for m in after.hierarchy.members]


def owners_to_tell(changes: Sequence[AccountChange]) -> dict[str, list[AccountChange]]:
    """Changed accounts grouped by owner (accounts without an owner tell nobody)."""
    grouped: dict[str, list[AccountChange]] = {}
    for change in changes:
        if change.account.owner:
            grouped.setdefault(change.account.owner, []).append(change)
    return grouped


MAX_STATE = 16
MAX_ZIP = 16


def address_errors(zip_code: str, state: str, country: str) -> dict[str, str]:
    """Per-field problems with a proposed HQ address (`Account Zip/State/Country - Manual - User`).

    The country is a two-letter ISO code, the way regions list countries; codes are compared upper-case.
    """
    errors: dict[str, str] = {}
    zip_code, state, country = zip_code.strip(), state.strip(), country.strip()
    for field, value, what in (
        ("zip", zip_code, "zip"),
        ("state", state, "state"),
        ("country", country, "country"),
    ):
        if not value:
            errors[field] = f"Fill in the Global Account HQ's {what}."
    if country and (len(country) != 2 or not country.isalpha()):
        errors["country"] = "Give the country as a two-letter code (US, DE, GB...)."
    if len(state) > MAX_STATE:
        errors["state"] = f"Give the state as its code (NY, CA...), at most {MAX_STATE} characters."
    if len(zip_code) > MAX_ZIP:
        errors["zip"] = f"A zip or postal code has at most {MAX_ZIP} characters."
    return errors
