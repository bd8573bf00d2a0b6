"""Typed payload parsers: what a listener gets from a modal or a click, forged ones included."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from handlers.escalations import HandoffSubmission, StepSubmission
from handlers.ownership import ClaimModalClick, ClaimSubmission
from handlers.payloads import Click, StepClick, parse_ids
from handlers.reviews import ReviewSubmission


def submission(values: dict[str, Any], metadata: Any = "", user: str = "U1") -> dict[str, Any]:
    return {"user": {"id": user}, "view": {"state": {"values": values}, "private_metadata": metadata}}


def click(action: dict[str, Any], view: dict[str, Any] | None = None, user: str = "U1") -> dict[str, Any]:
    body: dict[str, Any] = {"user": {"id": user}, "trigger_id": "T1", "actions": [action]}
    if view is not None:
        body["view"] = view
    return body


@pytest.mark.parametrize(
    ("value", "ids"),
    [
        ("12:34", (12, 34)),
        ("12", None),
        ("12:", None),
        ("#12:34", None),
        ("12:#34", None),
        ("a:b", None),
        ("", None),
        ("99999999999999999999:1", None),
    ],
)
def test_a_step_is_named_by_two_numbers_and_nothing_else(value: str, ids: tuple[int, int] | None) -> None:
    assert parse_ids(value) == ids


def test_a_handoff_submission_reads_each_input_from_its_block() -> None:
    values = {
        "rep": {"value": {"selected_user": "U0REP"}},
        "explanation": {"value": {"value": "Territory fit"}},
        "date": {"value": {"selected_date": "2026-12-01"}},
    }
    form = HandoffSubmission.parse(submission(values, metadata="A" * 80))
    assert form == HandoffSubmission(
        user_id="U1",
        account_id="A" * 64,
        rep="U0REP",
        explanation="Territory fit",
        effective_on=date(2026, 12, 1),
    )


def test_an_empty_or_odd_submission_parses_to_nothing_rather_than_failing() -> None:
    values = {"date": {"value": {"selected_date": "not a date"}}, "rep": {"value": None}}
    form = HandoffSubmission.parse(submission(values, metadata=None))
    assert (form.rep, form.explanation, form.effective_on) == (None, "", None)


@pytest.mark.parametrize(("metadata", "step"), [("3:4", (3, 4)), ("3:4:5", None), ("{}", None), (None, None)])
def test_a_reason_modal_knows_its_step_only_from_metadata_the_bot_wrote(
    metadata: Any, step: tuple[int, int] | None
) -> None:
    form = StepSubmission.parse(submission({"reason": {"value": {"value": "Because"}}}, metadata=metadata))
    assert (form.step, form.reason) == (step, "Because")


@pytest.mark.parametrize(
    ("metadata", "account_id", "review"),
    [
        ('{"account_id": "A1", "review": "address"}', "A1", "address"),
        ('{"account_id": 7}', None, ""),
        ("[1]", None, ""),
        ("not json", None, ""),
    ],
)
def test_a_review_submission_takes_its_account_from_the_metadata(
    metadata: str, account_id: str | None, review: str
) -> None:
    form = ReviewSubmission.parse(submission({"count": {"value": {"value": "250"}}}, metadata=metadata))
    assert (form.account_id, form.form.review, form.form.count) == (account_id, review, "250")


def test_a_claim_submission_reads_the_new_owner_from_its_picker() -> None:
    values = {
        "new_owner": {"ownership.new_owner": {"selected_user": "U2"}},
        "reason": {"value": {"value": ""}},
    }
    assert ClaimSubmission.parse(submission(values, metadata="A1")) == ClaimSubmission("U1", "A1", "U2", "")


@pytest.mark.parametrize(
    ("external_id", "mine"),
    [
        ("ownership.claim.U1.abc123", True),
        ("ownership.claim.U2.abc123", False),  # opened for someone else
        ("ownership.claim.U1", False),
        ("", False),
        ("ownership.claim.U1." + "x" * 100, False),
    ],
)
def test_a_pick_in_a_claim_modal_counts_only_in_a_modal_opened_for_the_clicker(
    external_id: str, mine: bool
) -> None:
    action = {"action_id": "ownership.new_owner", "selected_user": "U3"}
    parsed = ClaimModalClick.parse(click(action, view={"external_id": external_id, "private_metadata": "A1"}))
    assert (parsed.mine, parsed.picked, parsed.account_id) == (mine, "U3", "A1")


def test_a_click_carries_its_value_and_a_step_click_its_step() -> None:
    body = click({"action_id": "approval.approve", "value": "5:6"})
    assert Click.parse(body).value == "5:6"
    assert StepClick.parse(body).step == (5, 6)
    assert StepClick.parse(click({"action_id": "approval.approve"})).step is None
