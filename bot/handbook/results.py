"""Outcomes that rules return instead of raising for expected refusals."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Allowed:
    reason: str = ""
    section: str = ""

    def __bool__(self) -> bool:
        return True


@dataclass(frozen=True, slots=True)
class Refused:
    reason: str
    section: str = ""
    field: str = ""  # the form field that is wrong ("reason", "date"...), when one is; "" when none is

    def __bool__(self) -> bool:
        return False


Outcome = Allowed | Refused
