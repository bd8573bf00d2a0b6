"""What a holdover extension request stores: the holdover, the deal's expected close and the evidence."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import ClassVar

from bot.features.payload import Payload


@dataclass(slots=True)
class ExtensionPayload(Payload):
    kind: ClassVar[str] = "holdover_extension"

    holdover_id: int = 0
    opportunity_id: str = ""
    name: str = ""  # the opportunity's
    ends_on: date | None = None  # the holdover's end when it was asked
    close_date: date | None = None
    evidence: str = ""
    extended_to: date | None = None  # the end if it is granted
    watchers: list[str] = field(default_factory=list)

    @property
    def subject(self) -> str | None:
        return self.opportunity_id
