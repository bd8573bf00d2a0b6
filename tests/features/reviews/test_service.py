"""Segment review use-cases, called directly: counts, the review quarter, asking, the queue, applying."""

from __future__ import annotations

from datetime import date

import pytest

from bot.deps import Deps
from bot.features.reviews import service
from bot.handbook.calendar import FiscalCalendar
from bot.handbook.results import Refused

FILING = "https://www.sec.gov/Archives/edgar/data/0001/10k.htm"
OPS, AVA = "U0OPS1", "U0AE1"


@pytest.mark.parametrize(
    ("text", "count"),
    [("2,400", 2400), ("2_400", 2400), (" 12 ", 12), ("0", 0), ("999999999", 999_999_999)]
    + [("1000000000", None), ("-5", None), ("abc", None), ("", None)],
)
def test_parse_count_reads_whole_numbers_with_separators(text: str, count: int | None) -> None:
    assert service.parse_count(text) == count


@pytest.mark.parametrize(
    ("today", "start"),
    [
        (date(2026, 6, 1), date(2026, 11, 1)),  # before fiscal Q4 (the year starts in February)
        (date(2026, 11, 24), date(2026, 11, 1)),  # inside it: the running one
        (date(2027, 1, 31), date(2026, 11, 1)),
        (date(2027, 2, 1), date(2027, 11, 1)),  # a new fiscal year
    ],
)
def test_the_next_review_quarter_starts_in_fiscal_q4(today: date, start: date) -> None:
    assert service.next_review_start(FiscalCalendar(2), today) == start


async def test_target_describes_the_account_as_the_viewer_may_see_it(wired: Deps) -> None:
    found = await service.target(wired, AVA, "Initech GmbH")
    assert isinstance(found, service.Target)
    assert (found.view.account.account_id, found.own_count) == ("A-INITECH-DE", "DataFox 2,400")
    assert found.address == "NY US (DataFox)"  # the territory is the ultimate parent's
    assert isinstance(await service.target(wired, "U0NOBODY", "Initech"), Refused)
    hidden = await service.target(wired, AVA, "Stark Federal Systems")
    assert not isinstance(hidden, service.Target) and hidden.account is None


@pytest.mark.parametrize(
    ("form", "fields"),
    [
        (service.ReviewForm(service.EMPLOYEES, count="many", source_url=FILING), {"count"}),
        (service.ReviewForm(service.EMPLOYEES, count="150", source_url=""), {"source"}),
        (
            service.ReviewForm(service.EMPLOYEES, count="150", source_url="https://www.linkedin.com/x"),
            {"source"},
        ),
        (
            service.ReviewForm(service.EMPLOYEES, count="2500", source_url=FILING),
            {"count"},
        ),  # no segment change
    ],
)
async def test_a_review_form_names_each_field_it_refuses(
    wired: Deps, form: service.ReviewForm, fields: set[str]
) -> None:
    errors = await service.submit_review(wired, requester_id=AVA, account_id="A-INITECH-DE", form=form)
    assert isinstance(errors, service.FieldErrors) and set(errors.errors) == fields


async def submit(deps: Deps) -> service.Submitted:
    form = service.ReviewForm(service.EMPLOYEES, count="50", source_url=FILING)
    submitted = await service.submit_review(deps, requester_id=AVA, account_id="A-INITECH-DE", form=form)
    assert isinstance(submitted, service.Submitted), submitted
    return submitted


async def test_a_review_in_q4_opens_at_once_and_waits_in_the_queue(wired: Deps) -> None:
    submitted = await submit(wired)
    assert submitted.queued_until is None
    again = await service.submit_review(
        wired,
        requester_id=AVA,
        account_id="A-INITECH-DE",
        form=service.ReviewForm(service.EMPLOYEES, count="40", source_url=FILING),
    )
    assert isinstance(again, service.FieldErrors) and set(again.errors) == {"source"}  # already open
    queue = await service.queue(wired, OPS)
    assert not isinstance(queue, Refused)
    assert [(r["id"], r["status"], r["may_decide"]) for r in queue.rows] == [
        (submitted.request_id, "pending", True)
    ]
    assert queue.by_region == [("US-East", 1, 0)]  # Initech's region
    header, row = service.queue_csv(queue).splitlines()
    assert header.startswith("id,status,region") and row.startswith(f"{submitted.request_id},pending,US-East")
    assert isinstance(await service.queue(wired, AVA), Refused)  # Sales Ops only


async def test_only_sales_ops_apply_a_review(wired: Deps) -> None:
    submitted = await submit(wired)
    assert await service.apply_now(wired, request_id=submitted.request_id, actor=AVA) == Refused(
        "only Sales Ops apply reviews"
    )
    missing = await service.apply_now(wired, request_id=submitted.request_id + 1, actor=OPS)
    assert isinstance(missing, Refused) and "no review" in missing.reason
