"""Use-cases behind the `/gtm sao`, `/gtm name` and `/gtm type` modals.

Each takes the submitted form as {block_id: text or None} and returns either inline errors keyed by
block id (for `response_action: errors`) or the answer to show. Block ids are the templates' ones.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from bot.handbook import facts
from bot.handbook.naming import REQUIRED, NameKind, NameRequest, build_name
from bot.handbook.opptypes import Classification, check_addon_parent, classify, upside_iacv
from bot.handbook.results import Outcome, Refused
from bot.handbook.sao import SaoAnswers, SaoResult, check_sao
from bot.handbook.stages import section

Form = dict[str, str | None]

# ---- SAO ---------------------------------------------------------------------------------------------
SAO_AUTHORITY = "sao_authority"
SAO_INITIATIVE = "sao_initiative"
SAO_TOOLS = "sao_tools"
SAO_USE_CASE = "sao_use_case"
SAO_SEATS = "sao_seats"
SAO_NEW_GROUP = "sao_new_group"
SAO_NEXT_STEP = "sao_next_step"

_WHOLE = re.compile(r"^\d+$")
_AMOUNT = re.compile(r"^\$?\s*(\d+(?:\.\d+)?)\s*$")


@dataclass(frozen=True, slots=True)
class SaoOutcome:
    errors: dict[str, str] = field(default_factory=dict)
    result: SaoResult | None = None
    url: str = ""


def _yes_no(value: str | None) -> bool | None:
    return {"yes": True, "no": False}.get((value or "").strip().lower())


def _blank(value: str | None) -> bool:
    return value is None or not value.strip()


def _positive_whole(value: str | None) -> int | None:
    text = (value or "").strip().replace(",", "")
    return int(text) if _WHOLE.match(text) and int(text) > 0 else None


def _amount(value: str | None) -> float | None:
    found = _AMOUNT.match((value or "").strip().replace(",", ""))
    return float(found.group(1)) if found and float(found.group(1)) > 0 else None


def check_sao_form(form: Form, today: date) -> SaoOutcome:
    """The SAO checklist from the modal: inline errors for malformed answers, else what is met or missing."""
    errors: dict[str, str] = {}
    seats = _positive_whole(form.get(SAO_SEATS))
    if not _blank(form.get(SAO_SEATS)) and seats is None:
        errors[SAO_SEATS] = "Enter the potential seats as a positive whole number, e.g. 50."
    next_step: date | None = None
    if not _blank(form.get(SAO_NEXT_STEP)):
        try:
            next_step = date.fromisoformat(str(form[SAO_NEXT_STEP]).strip())
        except ValueError:
            errors[SAO_NEXT_STEP] = "Pick the next step's date."
    if errors:
        return SaoOutcome(errors=errors)
    answers = SaoAnswers(
        authority=_yes_no(form.get(SAO_AUTHORITY)),
        initiative=_yes_no(form.get(SAO_INITIATIVE)),
        current_tools=form.get(SAO_TOOLS),
        entry_use_case=form.get(SAO_USE_CASE),
        potential_seats=seats,
        next_step_date=next_step,
        new_account_or_buying_group=_yes_no(form.get(SAO_NEW_GROUP)) is not False,
    )
    result = check_sao(answers, today)
    return SaoOutcome(result=result, url=facts.section_url(result.section))


# ---- naming --------------------------------------------------------------------------------------------
NAME_KIND = "name_kind"
NAME_PARTNER = "name_partner"


def name_block(field_name: str) -> str:
    """The modal's block id for one NameRequest field."""
    return f"name_{field_name}"


NAME_KINDS: dict[NameKind, str] = {
    NameKind.NEW_BUSINESS: "New business",
    NameKind.ADD_ON_SEATS: "Add-on seats",
    NameKind.UPGRADE: "Upgrade",
    NameKind.RENEWAL: "Renewal",
    NameKind.RENEWAL_ADD_ON: "Renewal + add-on",
    NameKind.RENEWAL_UPGRADE: "Renewal + upgrade",
    NameKind.PROFESSIONAL_SERVICES: "Professional services",
    NameKind.REFUND: "Refund",
}
EDITIONS = ("Starter", "Premium", "Ultimate")


def name_kind(value: str | None) -> NameKind:
    """The case picked in the modal; an unknown value falls back to new business."""
    try:
        return NameKind((value or "").strip())
    except ValueError:
        return NameKind.NEW_BUSINESS


def name_fields(kind: NameKind) -> tuple[str, ...]:
    """Inputs the modal shows for a case, in order, then the optional reseller nickname."""
    return REQUIRED[kind]


@dataclass(frozen=True, slots=True)
class NameOutcome:
    kind: NameKind
    errors: dict[str, str] = field(default_factory=dict)
    name: str | None = None
    url: str = ""


def build_name_form(form: Form) -> NameOutcome:
    """The opportunity name from the modal, or inline errors keyed by block id."""
    try:
        kind = NameKind((form.get(NAME_KIND) or "").strip())
    except ValueError:
        return NameOutcome(NameKind.NEW_BUSINESS, errors={NAME_KIND: "Pick the kind of opportunity."})
    values = {name: form.get(name_block(name)) for name in REQUIRED[kind]}
    result = build_name(NameRequest(kind=kind, partner=form.get(NAME_PARTNER), **values))
    if result.errors:
        return NameOutcome(kind, errors={name_block(k): v for k, v in result.errors.items()})
    return NameOutcome(kind, name=result.name, url=facts.section_url(result.section))


# ---- opportunity types ---------------------------------------------------------------------------------
TYPE_NEW_ACCOUNT = "type_new_account"
TYPE_NEW_SUBSCRIPTION = "type_new_subscription"
TYPE_NEW_AMOUNT = "type_new_amount"
TYPE_SALES_ASSISTED = "type_sales_assisted"
TYPE_PARENT_TYPE = "type_parent_type"
TYPE_PARENT_AMOUNT = "type_parent_amount"
TYPE_POTENTIAL_TOTAL = "type_potential_total"
NO_PARENT = "none"


@dataclass(frozen=True, slots=True)
class TypeOutcome:
    errors: dict[str, str] = field(default_factory=dict)
    classification: Classification | Refused | None = None
    parent: Outcome | None = None  # add-on parent rules, for add-ons only
    upside: float | Refused | None = None
    upside_hint: str | None = None
    url: str = ""
    upside_url: str = ""


def check_type_form(form: Form) -> TypeOutcome:
    """Classify the opportunity from the three yes/no questions; parent rules and upside IACV if given."""
    errors: dict[str, str] = {}
    answers: dict[str, bool] = {}
    for block in (TYPE_NEW_ACCOUNT, TYPE_NEW_SUBSCRIPTION, TYPE_NEW_AMOUNT):
        answer = _yes_no(form.get(block))
        if answer is None:
            errors[block] = "Answer yes or no."
        else:
            answers[block] = answer
    amounts: dict[str, float | None] = {}
    for block in (TYPE_PARENT_AMOUNT, TYPE_POTENTIAL_TOTAL):
        amounts[block] = _amount(form.get(block))
        if not _blank(form.get(block)) and amounts[block] is None:
            errors[block] = "Enter a positive amount in USD, e.g. 150,000."
    if errors:
        return TypeOutcome(errors=errors)
    kind = classify(answers[TYPE_NEW_ACCOUNT], answers[TYPE_NEW_SUBSCRIPTION], answers[TYPE_NEW_AMOUNT])
    parent: Outcome | None = None
    if isinstance(kind, Classification) and kind.salesforce_type == _add_on_label():
        parent_type = (form.get(TYPE_PARENT_TYPE) or "").strip() or None
        parent = check_addon_parent(
            None if parent_type == NO_PARENT else parent_type,
            sales_assisted=_yes_no(form.get(TYPE_SALES_ASSISTED)) is not False,
            has_parent=parent_type != NO_PARENT,
        )
    upside: float | Refused | None = None
    hint: str | None = None
    total, parent_amount = amounts[TYPE_POTENTIAL_TOTAL], amounts[TYPE_PARENT_AMOUNT]
    if total is not None and parent_amount is not None:
        upside = upside_iacv(total, parent_amount)
    elif total is not None or parent_amount is not None:
        hint = "Enter both the parent amount and the potential total to compute Upside IACV."
    return TypeOutcome(
        classification=kind,
        parent=parent,
        upside=upside,
        upside_hint=hint,
        url=facts.section_url(section("types")),
        upside_url=facts.section_url(section("upside_iacv")),
    )


def _add_on_label() -> str:
    return str(facts.load("stages")["opportunity_types"]["add_on"]["label"])


PARENT_TYPES: tuple[tuple[str, str], ...] = (
    (NO_PARENT, "No parent opportunity"),
    ("New Business", "New Business"),
    ("Add-On Business", "Add-On Business"),
    ("Renewal", "Renewal"),
)
