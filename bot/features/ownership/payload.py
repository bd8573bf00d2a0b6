"""What an ownership request stores: the account, its owners, the reason and how the rules routed it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from bot.features.payload import AccountPayload


@dataclass(slots=True)
class OwnershipPayload(AccountPayload):
    kind: ClassVar[str] = "ownership"

    old_owner: str | None = None
    new_owner: str = ""
    reason: str = ""
    routing: str = ""  # a handbook ownership Mode: why these approvers decide
    explanation: str = ""
    failed: list[str] = field(default_factory=list)  # "criterion: why" for each rule the new owner breaks
