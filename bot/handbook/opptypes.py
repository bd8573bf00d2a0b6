"""Opportunity types, add-on parents, upside IACV ("Opportunity Types", "Creating an Add-on Opportunity")."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from bot.handbook import facts
from bot.handbook.results import Allowed, Outcome, Refused
from bot.handbook.stages import section


class OppKind(StrEnum):
    """The four types of opportunity the handbook derives from what is new."""

    NEW_ACCOUNT = "New account"
    NEW_SUBSCRIPTION = "New subscription"
    ADD_ON = "Add On Business"
    RENEWAL = "Renewal"


_SALESFORCE_TYPE = {
    OppKind.NEW_ACCOUNT: "new_business",
    OppKind.NEW_SUBSCRIPTION: "new_business",
    OppKind.ADD_ON: "add_on",
    OppKind.RENEWAL: "renewal",
}


@dataclass(frozen=True, slots=True)
class Classification:
    kind: OppKind
    salesforce_type: str  # the `Type` to pick: New Business, Add-On Business or Renewal
    reason: str
    section: str


def _type_label(key: str) -> str:
    return facts.load("stages")["opportunity_types"][key]["label"]


def classify(new_account: bool, new_subscription: bool, new_amount: bool) -> Classification | Refused:
    """Account, subscription and amount are each new or existing: four types ("Opportunity Types")."""
    where = section("types")
    if new_account and not new_subscription:
        return Refused("A new account cannot have an existing subscription.", where)
    if new_subscription and not new_amount:
        return Refused("A new subscription always brings a new amount.", where)
    if new_account:
        kind, reason = OppKind.NEW_ACCOUNT, "New account, new subscription, new amount: mark it New Business."
    elif new_subscription:
        kind, reason = (
            OppKind.NEW_SUBSCRIPTION,
            "An existing account buying a license for another GitLab instance is New Business, "
            "not an add-on.",
        )
    elif new_amount:
        kind, reason = (
            OppKind.ADD_ON,
            "Incremental business sold into an existing subscription mid-term (seats or an upgrade) "
            "is Add On Business.",
        )
    else:
        kind, reason = (
            OppKind.RENEWAL,
            "An existing account renewing its subscription is a Renewal; only the change in amount is IACV.",
        )
    return Classification(kind, _type_label(_SALESFORCE_TYPE[kind]), reason, where)


def parse_type(text: str | None) -> str | None:
    """Map a typed opportunity type ("Add-on", "New Business", "Renewal") to its key, or None."""
    if text is None:
        return None
    typed = re.sub(r"\s+", " ", text.strip().lower())
    for key, row in facts.load("stages")["opportunity_types"].items():
        if typed == row["label"].lower() or typed in row["spellings"]:
            return key
    return None


def check_addon_parent(parent_type: str | None, sales_assisted: bool, has_parent: bool) -> Outcome:
    """The parent must be New Business or Renewal, never an Add-on; sales-assisted add-ons need a parent."""
    where = section("add_on")
    if not has_parent:
        if sales_assisted:
            return Refused(
                "All sales-assisted non-portal Add-on opportunities must have a parent opportunity.", where
            )
        return Allowed("A portal add-on does not need a parent opportunity.", where)
    if parent_type is None:
        return Allowed("Check the parent's type: it must be a New Business or Renewal opportunity.", where)
    key = parse_type(parent_type)
    if key == "add_on":
        return Refused("A parent opportunity cannot be another Add-on opportunity.", where)
    if key in ("new_business", "renewal"):
        return Allowed(f"A {_type_label(key)} opportunity can be the parent of an add-on.", where)
    return Refused(f"The parent must be a New Business or Renewal opportunity, not '{parent_type}'.", where)


def addon_parent_problem(opportunity_type: str | None, parent_type: str | None) -> Refused | None:
    """An Add-on whose parent is itself an Add-on breaks "A parent opportunity cannot be another Add-on
    opportunity" ("Creating an Add-on Opportunity"); anything else is not this rule's business."""
    if parse_type(opportunity_type) != "add_on" or parse_type(parent_type) != "add_on":
        return None
    found = check_addon_parent(parent_type, sales_assisted=True, has_parent=True)
    return found if isinstance(found, Refused) else None


def upside_iacv(potential_total: float, parent_amount: float) -> float | Refused:
    """Upside IACV = potential total minus the parent amount ($150,000 - $100,000 = $50,000)."""
    upside = potential_total - parent_amount
    if upside <= 0:
        return Refused(
            "The potential total must be more than the parent opportunity's amount to have upside IACV.",
            section("upside_iacv"),
        )
    return upside
