"""What an escalation request stores: the people in each part, the chain's state, the managers' votes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import ClassVar

from bot.features.payload import AccountPayload
from bot.handbook.escalation import EscalationState


@dataclass(slots=True)
class EscalationPayload(AccountPayload):
    kind: ClassVar[str] = "escalation"

    global_owner: str = ""
    territory_rep: str = ""
    new_owner: str = ""  # what apply_transfer moves the account to: the territory rep
    cro: str | None = None
    managers: list[str] = field(default_factory=list)
    named: bool = False
    previous_owner: str | None = None
    names: dict[str, str] = field(default_factory=dict)  # Slack id -> name, as when it was asked
    votes: dict[str, bool] = field(default_factory=dict)  # manager -> transfer?
    watchers: list[str] = field(default_factory=list)
    state: str | None = None  # an EscalationState; None for a hand-off until the time frame is agreed
    origin: str = ""  # "request" (rule 7) or "handoff" (rule 6)
    explanation: str = ""
    considerations: list[str] = field(default_factory=list)
    stand_alone: str | None = None
    effective_on: date | None = None  # a named account's agreed transfer date
    keep_reason: str = ""
    dispute: str = ""
    time_frame_open: bool = False

    @property
    def chain_state(self) -> EscalationState | None:
        return EscalationState(self.state) if self.state else None

    def everyone(self) -> frozenset[str]:
        """Both reps and their managers: who agrees a named account's time frame."""
        return frozenset({self.global_owner, self.territory_rep, *self.managers})

    def name(self, user: str | None, default: str | None = None) -> str:
        return self.names.get(user or "", default if default is not None else (user or ""))

    def person(self, user: str | None, default: str) -> dict[str, str]:
        """A card value for someone: a mention for a Slack user, else their name (see bot/render.py)."""
        return {"user": user, "name": self.name(user, default)} if user else {"name": default}
