"""What a sponsorship nomination stores: the account, the proposed sponsor and why."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.features.payload import Payload


@dataclass(slots=True)
class NominationPayload(Payload):
    account_id: str = ""
    account_name: str = ""
    sponsor: str = ""
    sponsor_name: str = ""
    why: str = ""
    watchers: list[str] = field(default_factory=list)
