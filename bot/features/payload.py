"""A request kind's payload, typed: one dataclass per kind (its feature's payload.py), used by the code that
opens the request and the code that reads it back.

Stored as JSON in `requests.payload`. Reading is tolerant of rows written before a field existed (a missing
key reads as the field's default; every field has one) and of keys it doesn't know; writing back keeps the
keys the approval engine stores beside the kind's own (`no_longer_fits`). Dates are stored as ISO text.
"""

from __future__ import annotations

import copy
import types
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date
from functools import cache
from typing import Any, ClassVar, Self, Union, get_args, get_origin, get_type_hints

from bot.approvals import service
from bot.approvals.engine import StepSpec
from storage.models import RequestRow


@dataclass(slots=True)
class Payload:
    kind: ClassVar[str]  # the request kind, which the approval engine's flows are registered by

    @property
    def subject(self) -> str | None:
        """What the request is about (`requests.subject_id`), e.g. the account."""
        return None

    async def open(
        self, ctx: service.Context, summary: str, first_step: StepSpec | None, *, subject: str | None = None
    ) -> RequestRow:
        """Open a request of this kind with this payload (and its first step's cards) in ctx's transaction."""
        return await service.open_request(
            ctx,
            kind=self.kind,
            subject_id=subject or self.subject,
            summary=summary,
            payload=self.to_json(),
            first_step=first_step,
        )

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> Self:
        given = data or {}
        dated = _dated(cls)
        return cls(
            **{
                f.name: _day(given[f.name]) if f.name in dated else copy.deepcopy(given[f.name])
                for f in fields(cls)
                if f.name in given
            }
        )

    @classmethod
    def of(cls, request: RequestRow) -> Self:
        return cls.from_json(request.payload)

    def to_json(self) -> dict[str, Any]:
        return {f.name: _json(getattr(self, f.name)) for f in fields(self)}

    def store(self, request: RequestRow) -> None:
        """Write it into the request (a new dict, so the change is seen), keeping the engine's own keys."""
        request.payload = {**(request.payload or {}), **self.to_json()}


@cache
def _dated(cls: type) -> frozenset[str]:
    """The fields typed `date` (or `date | None`)."""
    hints = get_type_hints(cls)
    return frozenset(
        name
        for name, hint in hints.items()
        if hint is date or (get_origin(hint) in (Union, types.UnionType) and date in get_args(hint))
    )


def _day(value: Any) -> date | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _json(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value


@dataclass(slots=True)
class AccountPayload(Payload):
    """A request about an account. The approval engine reads these two keys too (who may see the request)."""

    account_id: str = ""
    account_name: str = ""

    @property
    def subject(self) -> str | None:
        return self.account_id
