"""Review requests ("Sales Segment and Hierarchy Review Process")."""

from __future__ import annotations

import pytest

from bot.handbook.directory import Segment
from bot.handbook.results import Allowed, Refused
from bot.handbook.reviews import (
    check_address_review,
    check_employee_review,
    check_source_url,
    thresholds_segment_for,
)

FILING = "https://www.sec.gov/Archives/edgar/data/0001/10k.htm"


@pytest.mark.parametrize(
    ("employees", "segment"),
    [
        (None, None),
        (-1, None),
        (0, Segment.SMB),
        (99, Segment.SMB),
        (100, Segment.MID_MARKET),
        (1999, Segment.MID_MARKET),
        (2000, Segment.LARGE),
    ],
)
def test_segment_thresholds(employees: int | None, segment: Segment | None) -> None:
    assert thresholds_segment_for(employees) == segment


@pytest.mark.parametrize(
    ("url", "accepted"),
    [
        (FILING, True),
        ("http://news.example.com/article", True),
        ("https://www.linkedin.com/company/acme", False),
        ("https://linkedin.com/company/acme", False),
        ("https://de.linkedin.com/company/acme", False),
        ("HTTPS://WWW.LINKEDIN.COM/company/acme", False),
        ("https://linkedin.com./company/acme", False),
        ("https://lnkd.in/abc", False),
        ("https://evil.com@linkedin.com/x", False),
        ("https://notlinkedin.com/about", True),
        ("ftp://example.com/file", False),
        ("www.example.com/about", False),
        ("https://", False),
        ("https://localhost/x", False),
        ("about us page", False),
        ("", False),
        ("http://[::1", False),
    ],
)
def test_sources_must_be_real_links_and_never_linkedin(url: str, accepted: bool) -> None:
    assert isinstance(check_source_url(url), Allowed) is accepted


@pytest.mark.parametrize(
    ("current", "proposed", "url", "allowed", "says"),
    [
        (150, 2500, FILING, True, "Mid-Market to Large"),
        (None, 50, FILING, True, "unknown to SMB"),
        (2100, 1999, FILING, True, "Large to Mid-Market"),
        (150, 1800, FILING, False, "stays Mid-Market"),
        (2000, 90000, FILING, False, "stays Large"),
        (99, 0, FILING, False, "stays SMB"),
        (150, 2500, "https://linkedin.com/company/acme", False, "LinkedIn"),
        (150, -5, FILING, False, "negative"),
    ],
)
def test_employee_count_reviews_must_change_the_segment(
    current: int | None, proposed: int, url: str, allowed: bool, says: str
) -> None:
    result = check_employee_review(current, proposed, url)
    assert isinstance(result, Allowed) is allowed
    assert says in result.reason
    assert result.section == "sales-segment-and-hierarchy-review-process"


def test_a_segment_function_can_be_passed_in() -> None:
    def everything_is_large(_: int | None) -> Segment:
        return Segment.LARGE

    assert isinstance(check_employee_review(10, 5000, FILING, segment_for=everything_is_large), Refused)


@pytest.mark.parametrize(
    ("zip_code", "state", "country", "url", "allowed"),
    [
        ("94105", "CA", "US", FILING, True),
        ("EC1A 1BB", "London", "GB", FILING, True),
        ("", "CA", "US", FILING, False),
        ("94105", " ", "US", FILING, False),
        ("94105", "CA", "", FILING, False),
        ("94105", "CA", "US", "https://www.linkedin.com/company/acme/about", False),
        ("94105", "CA", "US", "not a url", False),
    ],
)
def test_address_reviews_need_all_four_fields_and_a_valid_source(
    zip_code: str, state: str, country: str, url: str, allowed: bool
) -> None:
    assert isinstance(check_address_review(zip_code, state, country, url), Allowed) is allowed
