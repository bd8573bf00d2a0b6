"""The `/gtm sao`, `name` and `type` modals' use-cases, called directly with {block_id: text} forms."""

from __future__ import annotations

from datetime import date

import pytest

from bot.features.stages import forms
from bot.handbook.naming import NameKind
from bot.handbook.opptypes import Classification

TODAY = date(2026, 11, 24)


@pytest.mark.parametrize(
    ("form", "errors"),
    [
        ({forms.SAO_SEATS: "fifty"}, {forms.SAO_SEATS}),
        ({forms.SAO_SEATS: "0"}, {forms.SAO_SEATS}),
        ({forms.SAO_NEXT_STEP: "soon"}, {forms.SAO_NEXT_STEP}),
        ({forms.SAO_SEATS: "1,500", forms.SAO_NEXT_STEP: "2026-12-01"}, set()),
        ({}, set()),  # nothing malformed: the checklist says what is missing
    ],
)
def test_the_sao_form_refuses_malformed_answers_only(form: forms.Form, errors: set[str]) -> None:
    outcome = forms.check_sao_form(form, TODAY)
    assert set(outcome.errors) == errors
    assert (outcome.result is None) == bool(errors)


def test_a_complete_sao_checklist_is_met() -> None:
    form = {
        forms.SAO_AUTHORITY: "yes",
        forms.SAO_INITIATIVE: "Yes",
        forms.SAO_TOOLS: "Spreadsheets",
        forms.SAO_USE_CASE: "Planning",
        forms.SAO_SEATS: "50",
        forms.SAO_NEW_GROUP: "yes",
        forms.SAO_NEXT_STEP: "2026-12-01",
    }
    outcome = forms.check_sao_form(form, TODAY)
    assert outcome.result is not None and outcome.result.missing == [] and outcome.url.startswith("http")


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("renewal", NameKind.RENEWAL),
        (" refund ", NameKind.REFUND),
        ("nonsense", NameKind.NEW_BUSINESS),
        (None, NameKind.NEW_BUSINESS),
    ],
)
def test_an_unknown_naming_case_falls_back_to_new_business(value: str | None, kind: NameKind) -> None:
    assert forms.name_kind(value) == kind


def test_the_naming_form_names_its_blocks_and_refuses_an_unknown_case() -> None:
    assert forms.name_block("company") == "name_company"
    assert forms.name_fields(NameKind.NEW_BUSINESS)[0] == "company"
    refused = forms.build_name_form({forms.NAME_KIND: "nonsense"})
    assert refused.errors == {forms.NAME_KIND: "Pick the kind of opportunity."}
    missing = forms.build_name_form({forms.NAME_KIND: NameKind.NEW_BUSINESS.value})
    assert missing.name is None and forms.name_block("company") in missing.errors


@pytest.mark.parametrize(
    ("form", "errors"),
    [
        ({}, {forms.TYPE_NEW_ACCOUNT, forms.TYPE_NEW_SUBSCRIPTION, forms.TYPE_NEW_AMOUNT}),
        (
            {forms.TYPE_NEW_ACCOUNT: "yes", forms.TYPE_NEW_SUBSCRIPTION: "yes", forms.TYPE_NEW_AMOUNT: "yes"}
            | {forms.TYPE_POTENTIAL_TOTAL: "lots"},
            {forms.TYPE_POTENTIAL_TOTAL},
        ),
    ],
)
def test_the_type_form_names_each_field_it_refuses(form: forms.Form, errors: set[str]) -> None:
    assert set(forms.check_type_form(form).errors) == errors


def test_the_type_form_classifies_and_computes_upside_with_both_amounts() -> None:
    yes = {forms.TYPE_NEW_ACCOUNT: "yes", forms.TYPE_NEW_SUBSCRIPTION: "yes", forms.TYPE_NEW_AMOUNT: "yes"}
    outcome = forms.check_type_form(
        yes | {forms.TYPE_PARENT_AMOUNT: "$100", forms.TYPE_POTENTIAL_TOTAL: "250"}
    )
    assert isinstance(outcome.classification, Classification)
    assert outcome.classification.salesforce_type == "New Business"
    assert outcome.upside == 150 and outcome.upside_hint is None
    half = forms.check_type_form(yes | {forms.TYPE_POTENTIAL_TOTAL: "250"})
    assert half.upside is None and half.upside_hint is not None
