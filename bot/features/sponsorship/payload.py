"""What a sponsorship nomination stores: the account, the proposed sponsor and why."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from bot.features.payload import AccountPayload


@dataclass(slots=True)
class NominationPayload(AccountPayload):
    kind: ClassVar[str] = "sponsorship"

    sponsor: str = ""
    sponsor_name: str = ""
    why: str = ""
    watchers: list[str] = field(default_factory=list)
