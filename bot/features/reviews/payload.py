"""What a segment review request stores: the account, what is reviewed (employees or address), today's
value and the proposed one, its source, who reviews it and, once approved, when it takes effect."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import ClassVar

from bot.features.payload import AccountPayload


@dataclass(slots=True)
class ReviewPayload(AccountPayload):
    kind: ClassVar[str] = "segment_review"

    review: str = ""  # employees | address
    source_url: str = ""
    region: str = ""
    segment_before: str = ""
    segment_after: str = ""
    public_sector: bool = False
    current: str = ""
    proposed: str = ""
    summary: str = ""
    explanation: str = ""
    count: int | None = None  # an employee count review
    zip: str = ""  # an address review
    state: str = ""
    country: str = ""
    reviewers: list[str] = field(default_factory=list)
    effective_on: date | None = None  # set when approved: the start of fiscal Q1
