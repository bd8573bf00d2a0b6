"""The field mapping: gtm-bot's fields -> Salesforce API names, per object (SALESFORCE_MAPPING)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

DEFAULT_MAPPING = Path(__file__).resolve().parent / "mapping.yaml"
REQUIRED = {
    "Account": {"account_id", "name", "parent_id", "owner"},
    "Opportunity": {"opportunity_id", "name", "account_id", "owner", "stage"},
    "User": {"user_id", "name", "email", "active", "role"},
}
KNOWN = {
    "Account": REQUIRED["Account"]
    | {"type", "website", "named", "public_sector", "sdr"}
    | {"employees_datafox", "employees_zoominfo", "employees_override"}
    | {
        f"{s}_{p}"
        for s in ("override", "datafox", "zoominfo", "shipping", "billing")
        for p in ("country", "state")
    },
    "Opportunity": REQUIRED["Opportunity"]
    | {"type", "created_date", "amount", "close_date", "parent_opportunity_id", "sdr"},
    "User": REQUIRED["User"] | {"manager", "region", "segment", "team_lead", "public_sector"},
}


class MappingError(Exception):
    """The mapping file is wrong, or the org lacks a mapped field; the message says which."""


@dataclass(frozen=True)
class Mapping:
    objects: dict[str, dict[str, str]]  # object -> bot field -> Salesforce API name

    def fields(self, sobject: str) -> dict[str, str]:
        return self.objects[sobject]

    def soql_fields(self, sobject: str) -> list[str]:
        """The API names to select, with SystemModstamp for the watermark."""
        return list(dict.fromkeys([*self.objects[sobject].values(), "SystemModstamp"]))

    def missing(self, sobject: str, org_fields: set[str]) -> list[str]:
        return [name for name in self.soql_fields(sobject) if name not in org_fields]


def load_mapping(path: Path | None = None) -> Mapping:
    path = path or DEFAULT_MAPPING
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise MappingError(f"SALESFORCE_MAPPING {path}: cannot read it: {exc}") from exc
    if not isinstance(data, dict):
        raise MappingError(f"SALESFORCE_MAPPING {path}: expected Account, Opportunity and User mappings")
    objects: dict[str, dict[str, str]] = {}
    for sobject, required in REQUIRED.items():
        fields = data.get(sobject)
        if not isinstance(fields, dict):
            raise MappingError(f"SALESFORCE_MAPPING {path}: {sobject} is missing")
        unknown = sorted(set(fields) - KNOWN[sobject])
        if unknown:
            raise MappingError(
                f"SALESFORCE_MAPPING {path}: {sobject} has unknown fields {', '.join(unknown)}"
            )
        absent = sorted(required - set(fields))
        if absent:
            raise MappingError(f"SALESFORCE_MAPPING {path}: {sobject} must map {', '.join(absent)}")
        objects[sobject] = {str(k): str(v) for k, v in fields.items() if v}
    return Mapping(objects)
