"""A suggested glossary entry as an approval flow: Sales Ops approves it (live at once) or rejects it."""

from __future__ import annotations

from dataclasses import replace

from bot.approvals.engine import Status, StepState
from bot.approvals.service import Card, Context
from bot.features.flows import reason_given
from bot.features.glossary.payload import SuggestionPayload
from bot.features.glossary.service import GlossaryService, entry_view
from bot.handbook.glossary import GlossaryEntry
from storage.glossary import SUGGESTION, GlossaryRepository
from storage.models import RequestRow, StepRow


def suggested_entry(request: RequestRow) -> GlossaryEntry:
    return SuggestionPayload.of(request).suggested(request.subject_id or "")


class SuggestionFlow:
    kind = SUGGESTION
    label = "Glossary suggestion"
    step_roles = {"Sales Ops": "Sales Ops"}

    def __init__(self, glossary: GlossaryService) -> None:
        self.glossary = glossary

    def card(self, request: RequestRow) -> Card:
        entry = suggested_entry(request)
        fields = [("Term", entry.term)]
        if entry.expansion:
            fields.append(("Expansion", entry.expansion))
        fields.append(("Definition", entry.definition))
        return Card(
            title=f"Add “{entry.term}” to the glossary",
            fields=fields,
            note="Approving puts it in /glossary at once; every change is logged with the old value.",
        )

    async def on_settled(self, ctx: Context, request: RequestRow, step: StepRow, state: StepState) -> None:
        entry = suggested_entry(request)
        reason = ""
        if state is StepState.APPROVED:
            old = await self.glossary.entry(entry.id)
            entry = replace(entry, section=old.section) if old else entry
            await GlossaryRepository(ctx.session).save(
                entry, action="edit" if old else "add", actor=ctx.actor, now=ctx.now, old=old
            )
            await ctx.finish(request, Status.APPLIED)
            ctx.after_commit.append(self.glossary.refresh)
        else:
            reason = await reason_given(ctx, step)
            await ctx.finish(request, Status.REJECTED)
        await ctx.notify(
            request.requester,
            f"glossary-suggestion:{request.id}:outcome",
            "glossary/suggestion_outcome.json.j2",
            entry=entry_view(entry),
            approved=state is StepState.APPROVED,
            decided_by=ctx.actor,
            reason=reason,
        )
