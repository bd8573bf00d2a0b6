"""Review requests ("Sales Segment and Hierarchy Review Process")."""

from __future__ import annotations

import pytest

from bot.handbook.directory import Segment
from bot.handbook.results import Allowed
from bot.handbook.reviews import (
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
