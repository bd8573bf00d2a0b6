"""Opportunity types from three yes/no questions, add-on parents and upside IACV ("Opportunity Types")."""

from __future__ import annotations

import pytest

from bot.handbook.opptypes import OppKind, check_addon_parent, classify, parse_type, upside_iacv
from bot.handbook.results import Refused


@pytest.mark.parametrize(
    ("new_account", "new_subscription", "new_amount", "kind", "salesforce_type"),
    [
        (True, True, True, OppKind.NEW_ACCOUNT, "New Business"),
        (False, True, True, OppKind.NEW_SUBSCRIPTION, "New Business"),
        (False, False, True, OppKind.ADD_ON, "Add-On Business"),
        (False, False, False, OppKind.RENEWAL, "Renewal"),
    ],
)
def test_three_questions_give_the_four_types(
    new_account: bool, new_subscription: bool, new_amount: bool, kind: OppKind, salesforce_type: str
) -> None:
    result = classify(new_account, new_subscription, new_amount)
    assert not isinstance(result, Refused)
    assert (result.kind, result.salesforce_type) == (kind, salesforce_type)
    assert result.section == "opportunity-types"


@pytest.mark.parametrize(
    ("new_account", "new_subscription", "new_amount"),
    [(True, False, True), (True, False, False), (True, True, False), (False, True, False)],
)
def test_impossible_combinations_are_refused(
    new_account: bool, new_subscription: bool, new_amount: bool
) -> None:
    assert isinstance(classify(new_account, new_subscription, new_amount), Refused)


@pytest.mark.parametrize(
    ("parent_type", "sales_assisted", "has_parent", "allowed", "reason_has"),
    [
        ("New Business", True, True, True, "New Business"),
        ("Renewal", True, True, True, "Renewal"),
        ("Add-on", True, True, False, "cannot be another Add-on"),
        ("Add-On Business", False, True, False, "cannot be another Add-on"),
        ("Professional Services", True, True, False, "must be a New Business or Renewal"),
        (None, True, False, False, "must have a parent"),
        (None, False, False, True, "portal"),
        (None, True, True, True, "must be a New Business or Renewal"),
    ],
)
def test_add_on_parent_rules(
    parent_type: str | None, sales_assisted: bool, has_parent: bool, allowed: bool, reason_has: str
) -> None:
    outcome = check_addon_parent(parent_type, sales_assisted, has_parent)
    assert bool(outcome) is allowed
    assert reason_has in outcome.reason
    assert outcome.section == "creating-an-add-on-opportunity"


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("New Business", "new_business"),
        ("add-on", "add_on"),
        ("Add On", "add_on"),
        ("renewal", "renewal"),
        ("PS", None),
    ],
)
def test_type_spellings(text: str, key: str | None) -> None:
    assert parse_type(text) == key


@pytest.mark.parametrize(
    ("potential", "parent", "expected"),
    [(150_000, 100_000, 50_000), (100_001, 100_000, 1)],
)
def test_upside_iacv_is_the_potential_total_minus_the_parent_amount(
    potential: float, parent: float, expected: float
) -> None:
    assert upside_iacv(potential, parent) == expected


@pytest.mark.parametrize(("potential", "parent"), [(100_000, 100_000), (90_000, 100_000)])
def test_no_upside_is_refused(potential: float, parent: float) -> None:
    assert isinstance(upside_iacv(potential, parent), Refused)


@pytest.mark.parametrize(
    ("own_type", "parent_type", "problem"),
    [
        ("Add-On Business", "Add-On Business", True),
        ("add-on", "Add on", True),
        ("Add-On Business", "Renewal", False),
        ("Add-On Business", "New Business", False),
        ("Renewal", "Add-On Business", False),  # not an add-on: not this rule
        ("Add-On Business", None, False),
    ],
)
def test_an_add_on_parent_cannot_be_another_add_on(
    own_type: str, parent_type: str | None, problem: bool
) -> None:
    from bot.handbook.opptypes import addon_parent_problem

    found = addon_parent_problem(own_type, parent_type)
    assert (found is not None) is problem
    if found is not None:
        assert "cannot be another Add-on" in found.reason
