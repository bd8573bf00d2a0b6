"""Reviews against the hierarchy, the changes they cause, address fields and the CSV export (table tests)."""

from __future__ import annotations

from datetime import date

import pytest

from bot.features.reviews.export import safe_cell, split_csv, to_csv
from bot.features.reviews.service import next_review_start
from bot.handbook import ownership as rules
from bot.handbook.calendar import FiscalCalendar
from bot.handbook.directory import Account, Address, Region, Segment
from bot.handbook.results import Allowed, Refused
from bot.handbook.reviews import (
    address_errors,
    check_count_review,
    hierarchy_changes,
    owners_to_tell,
    segment_with_count,
)
from bot.handbook.segments import hierarchy_of

FILING = "https://www.sec.gov/10k.htm"
REGIONS = [Region("US-East", ("US",), ("NY",)), Region("US-West", ("US",), ("CA",)), Region("EMEA", ("DE",))]
PARENT = Account("P", "Parent", owner="U1", employees_datafox=1500, datafox_address=Address("US", "NY"))
CHILD = Account("C", "Child", parent_id="P", owner="U2", employees_datafox=2400)
SOLO = Account("S", "Solo", owner="U3", employees_datafox=40)
ACCOUNTS = {a.account_id: a for a in (PARENT, CHILD, SOLO)}


@pytest.mark.parametrize(
    ("account_id", "count", "segment"),
    [
        ("C", 500, Segment.MID_MARKET),  # the child no longer raises the parent
        ("C", 5000, Segment.LARGE),
        ("P", 50, Segment.LARGE),  # the child still does
        ("S", 100, Segment.MID_MARKET),
        ("S", 99, Segment.SMB),
    ],
)
def test_segment_with_a_proposed_count(account_id: str, count: int, segment: Segment) -> None:
    assert segment_with_count(hierarchy_of(account_id, ACCOUNTS), account_id, count) == segment


@pytest.mark.parametrize(
    ("account_id", "count", "url", "allowed", "says"),
    [
        ("S", 150, FILING, True, "from SMB to Mid-Market"),
        ("S", 80, FILING, False, "stays SMB"),
        ("P", 1800, FILING, False, "stays Large"),  # own count moves nothing: the hierarchy is Large
        ("C", 500, FILING, True, "from Large to Mid-Market"),
        ("S", 150, "https://linkedin.com/company/x", False, "LinkedIn"),
        ("S", 150, "report.pdf", False, "web link"),
        ("S", -5, FILING, False, "negative"),
    ],
)
def test_check_count_review(account_id: str, count: int, url: str, allowed: bool, says: str) -> None:
    result = check_count_review(hierarchy_of(account_id, ACCOUNTS), account_id, count, url)
    assert isinstance(result, Allowed if allowed else Refused)
    assert says in result.reason


def _view(accounts: dict[str, Account], account_id: str = "P") -> rules.AccountView:
    return rules.build_view(account_id, accounts, REGIONS)


@pytest.mark.parametrize(
    ("changed", "expected"),
    [
        (
            {"C": {"employees_override": 500}},
            {"P": "segment Large → Mid-Market", "C": "segment Large → Mid-Market"},
        ),
        ({"P": {"override_address": Address("US", "CA")}}, {"P": "territory US-East → US-West"}),
        ({"C": {"override_address": Address("DE", None)}}, {}),  # a child's HQ doesn't place the hierarchy
        ({"P": {"employees_override": 10}}, {}),  # the child keeps it Large
    ],
)
def test_hierarchy_changes(changed: dict[str, dict], expected: dict[str, str]) -> None:
    from dataclasses import replace

    after = {k: replace(a, **changed.get(k, {})) for k, a in ACCOUNTS.items()}
    changes = hierarchy_changes(_view(ACCOUNTS), _view(after))
    got = {c.account.account_id: c.what for c in changes}
    if expected:
        assert all(got[k] == v for k, v in expected.items()) and set(got) == {"P", "C"}
    else:
        assert got == {}


def test_owners_to_tell_groups_by_owner_and_skips_ownerless() -> None:
    from dataclasses import replace

    accounts = ACCOUNTS | {"C2": Account("C2", "Child 2", parent_id="P", owner=None)}
    after = {k: replace(a, employees_override=500) if k == "C" else a for k, a in accounts.items()}
    grouped = owners_to_tell(hierarchy_changes(_view(accounts), _view(after)))
    assert {k: [c.account.account_id for c in v] for k, v in grouped.items()} == {"U1": ["P"], "U2": ["C"]}


@pytest.mark.parametrize(
    ("zip_code", "state", "country", "fields"),
    [
        ("10001", "NY", "US", set()),
        ("", "NY", "US", {"zip"}),
        ("10001", "", "", {"state", "country"}),
        ("10001", "NY", "USA", {"country"}),
        ("10001", "NY", "U1", {"country"}),
        ("1" * 17, "X" * 17, "de", {"zip", "state"}),
    ],
)
def test_address_errors(zip_code: str, state: str, country: str, fields: set[str]) -> None:
    assert set(address_errors(zip_code, state, country)) == fields


@pytest.mark.parametrize(
    ("start_month", "today", "opens"),
    [
        (2, date(2027, 6, 10), date(2027, 11, 1)),
        (2, date(2027, 2, 1), date(2027, 11, 1)),
        (1, date(2027, 3, 5), date(2027, 10, 1)),
        (8, date(2027, 9, 1), date(2028, 5, 1)),
    ],
)
def test_next_review_start(start_month: int, today: date, opens: date) -> None:
    assert next_review_start(FiscalCalendar(start_month), today) == opens


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=HYPERLINK(1)", "'=HYPERLINK(1)"),
        ("+1", "'+1"),
        ("@here", "'@here"),
        ("a```b", "a'''b"),
        ("two\nlines", "two lines"),
        (None, ""),
        ("plain", "plain"),
    ],
)
def test_safe_cell(value: object, cell: str) -> None:
    assert safe_cell(value) == cell


@pytest.mark.parametrize(
    ("rows", "chunk", "max_chunks", "parts", "shown", "left"),
    [
        (0, 100, 3, 1, 0, 0),
        (3, 100, 3, 1, 3, 0),
        (30, 100, 3, 3, 21, 9),  # "a,b\n" (4) + seven "row000,xxxxx\n" (13 each) = 95 a chunk
        (30, 1000, 3, 1, 30, 0),
    ],
)
def test_split_csv_keeps_whole_rows_and_counts_what_is_left_out(
    rows: int, chunk: int, max_chunks: int, parts: int, shown: int, left: int
) -> None:
    text = to_csv(["a", "b"], [[f"row{i:03}", "x" * 5] for i in range(rows)])
    chunks = split_csv(text, chunk_chars=chunk, max_chunks=max_chunks)
    assert (len(chunks.parts), chunks.rows_shown, chunks.rows_left_out) == (parts, shown, left)
    assert all(p.startswith("a,b") and len(p) <= chunk for p in chunks.parts)
