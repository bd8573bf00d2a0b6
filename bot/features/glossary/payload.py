"""What a glossary suggestion request stores: the suggested entry (its id is the request's subject)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from bot.features.payload import Payload
from bot.handbook.glossary import GlossaryEntry
from bot.handbook.glossary_admin import entry_snapshot
from storage.glossary import SUGGESTION


@dataclass(slots=True)
class SuggestionPayload(Payload):
    kind: ClassVar[str] = SUGGESTION

    entry: dict[str, Any] = field(default_factory=dict)  # glossary_admin.entry_snapshot's shape

    @classmethod
    def suggesting(cls, entry: GlossaryEntry) -> SuggestionPayload:
        return cls(entry=entry_snapshot(entry) or {})

    def suggested(self, entry_id: str) -> GlossaryEntry:
        snapshot = self.entry or {}
        return GlossaryEntry(
            id=entry_id,
            term=str(snapshot.get("term") or ""),
            definition=str(snapshot.get("definition") or ""),
            section=str(snapshot.get("section") or "glossary"),
            expansion=snapshot.get("expansion") or None,
            aliases=tuple(str(a) for a in snapshot.get("aliases") or ()),
        )
