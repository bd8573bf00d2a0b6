"""Build opportunity names ("Opportunity Naming Convention", "Reseller Opportunities")."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

from bot.handbook import facts


class NameKind(StrEnum):
    """The eight cases of the naming convention; values are the keys of `naming` in stages.yaml."""

    NEW_BUSINESS = "new_business"
    ADD_ON_SEATS = "add_on_seats"
    UPGRADE = "upgrade"
    RENEWAL = "renewal"
    RENEWAL_ADD_ON = "renewal_add_on"
    RENEWAL_UPGRADE = "renewal_upgrade"
    PROFESSIONAL_SERVICES = "professional_services"
    REFUND = "refund"


# Inputs each case needs; `edition` is the handbook's [Edition] or [Product] (Starter, Premium, Ultimate).
REQUIRED: dict[NameKind, tuple[str, ...]] = {
    NameKind.NEW_BUSINESS: ("company", "quantity", "edition"),
    NameKind.ADD_ON_SEATS: ("company", "quantity", "edition"),
    NameKind.UPGRADE: ("company", "edition"),
    NameKind.RENEWAL: ("company", "quantity", "edition", "mm_yy"),
    NameKind.RENEWAL_ADD_ON: ("company", "quantity", "edition", "mm_yy", "add_quantity"),
    NameKind.RENEWAL_UPGRADE: ("company", "quantity", "edition", "mm_yy"),
    NameKind.PROFESSIONAL_SERVICES: ("company", "mm_yy"),
    NameKind.REFUND: ("original_name",),
}

_WHOLE = re.compile(r"^\d+$")
_MM_YY = re.compile(r"^(\d{1,2})\s*/\s*(\d{2})$")


@dataclass(frozen=True, slots=True)
class NameRequest:
    """The `/gtm name` modal's inputs, as typed; numbers may arrive as text."""

    kind: NameKind
    company: str | None = None
    quantity: int | str | None = None
    edition: str | None = None
    mm_yy: str | None = None
    add_quantity: int | str | None = None
    original_name: str | None = None
    partner: str | None = None  # an authorized reseller's nickname, e.g. "P4" for Perforce


@dataclass(frozen=True, slots=True)
class NameResult:
    name: str | None
    errors: dict[str, str] = field(default_factory=dict)
    section: str = ""


def _text(value: str | None) -> str | None:
    cleaned = re.sub(r"\s+", " ", value).strip() if value else ""
    return cleaned or None


def _whole(value: int | str | None) -> int | None:
    """A positive whole number, or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value > 0 else None
    text = (value or "").strip().replace(",", "")
    return int(text) if _WHOLE.match(text) and int(text) > 0 else None


def _month(value: str | None) -> str | None:
    """A real month as MM/YY ("01/17"); "1/17" is accepted and padded."""
    found = _MM_YY.match((value or "").strip())
    if not found or not 1 <= int(found.group(1)) <= 12:
        return None
    return f"{int(found.group(1)):02d}/{found.group(2)}"


def _validate(req: NameRequest) -> tuple[dict[str, str], dict[str, str]]:
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    for name in REQUIRED[req.kind]:
        raw = getattr(req, name)
        if name in ("quantity", "add_quantity"):
            number = _whole(raw)
            if number is None:
                errors[name] = "Enter a positive whole number, e.g. 50."
            else:
                values[name] = str(number)
        elif name == "mm_yy":
            month = _month(raw)
            if month is None:
                errors[name] = "Enter a real month as MM/YY, e.g. 01/17."
            else:
                values[name] = month
        else:
            text = _text(raw)
            if text is None:
                errors[name] = "Required."
            else:
                values[name] = text
    return values, errors


def build_name(req: NameRequest) -> NameResult:
    """The opportunity name for one case, e.g. "Acme, Inc- 50 Premium Renewal 01/17 + Add 25".

    A reseller deal starts with the partner's nickname and a dash: "P4 - Acme, Inc- 50 Starter"
    ("Reseller Opportunities").
    """
    data = facts.load("stages")
    anchor = data["sections"]["naming"]
    values, errors = _validate(req)
    if errors:
        return NameResult(None, errors, anchor)
    name = data["naming"][req.kind.value].format(**values)
    partner = _text(req.partner)
    if partner:
        prefixed = data["naming"]["reseller_prefix"].format(partner=partner, name="")
        if not name.startswith(prefixed):
            name = data["naming"]["reseller_prefix"].format(partner=partner, name=name)
    return NameResult(name, {}, anchor)
