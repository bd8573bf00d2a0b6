"""`/glossary TERM`, `/gtm define TERM`, `/gtm glossary add|edit|retire|stats`, `/gtm ask QUESTION`, and
the message shortcut "Look up in glossary".

Lookups are answered inside the ack from the service's in-memory index; everything that calls Slack
(modals, shares, approval cards) runs after the ack. The service and the rendered answers are kept per
process in `deps.state` (`glossary_of(deps)`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.deps import Deps
from bot.features import glossary_service
from bot.features.glossary.service import Invalid, Saved, entry_view
from bot.handbook.glossary import GlossaryEntry, Lookup
from bot.handbook.glossary_admin import MAX_TERM, Draft
from bot.handbook.results import Refused
from handlers.payloads import Click, Submitted, json_object, read, submitter
from handlers.replies import Rendered, Reply, just_ack
from handlers.router import CommandRouter, Invocation, Subcommand, Verb

UNSAFE = re.compile(r"[<>&]")  # never part of a term; keeps a prefilled modal free of mentions
ANSWER_CACHE = 1024  # rendered lookup answers kept (an edited entry is a new key)
MESSAGE_SHORTCUT = "glossary.lookup_message"  # manifest.yml: features.shortcuts
MESSAGE_TERMS_LIMIT = 40  # entries listed from one message; each is one block of a modal's 100
BROWSE_LIMIT = 30  # entries per browse page; each is one section block, well under 100 per view
STATE = "glossary"  # deps.state key


# ---- payloads ---------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class EntrySubmission(Submitted):
    """The add/edit, retire or suggest modal, submitted: the draft typed and the entry it is about."""

    user_id: str = submitter()
    draft: Draft = read(
        lambda source: Draft(
            term=source.text("term"),
            definition=source.text("definition"),
            expansion=source.text("expansion"),
            aliases=source.text("aliases"),
        )
    )
    entry_id: str = read(
        lambda source: str((json_object(source.metadata) or {}).get("id") or "")
    )  # "" adding


# ---- the per-process state --------------------------------------------------------------------------------
class Glossary:
    """The service (its in-memory index) and the answers already rendered from it."""

    def __init__(self, deps: Deps) -> None:
        self.service = glossary_service(deps)  # wired by bot.features.wire
        self.render = deps.renderer
        self._answers = Rendered(ANSWER_CACHE)

    def answer(self, found: Lookup) -> Reply:
        """Rendered once per distinct answer: the same question asked again skips the template."""
        key = (found.query, tuple(found.matches), found.fuzzy, tuple(found.suggestions), found.undefined)
        return self._answers.reply(key, lambda: self._render_answer(found))

    def _render_answer(self, found: Lookup) -> Reply:
        undefined = found.undefined
        return self.render.message(
            "glossary/answer.json.j2",
            query=found.query,
            entries=[entry_view(e) for e in found.matches],
            fuzzy=found.fuzzy,
            suggestions=[entry_view(e) for e in found.suggestions],
            undefined={"note": undefined.note, "urls": list(undefined.urls)} if undefined else None,
            suggest_value=UNSAFE.sub("", found.query).strip()[:MAX_TERM],
        )

    async def browse_view(self, *, letter: str = "", search: str = "") -> dict[str, Any]:
        index = await self.service.index()
        entries = index.search(search, limit=BROWSE_LIMIT) if search else index.by_letter(letter)
        return self.render.render(
            "glossary/browse.json.j2",
            letters=index.letters(),
            letter=letter,
            search=search,
            entries=[entry_view(e) for e in entries[:BROWSE_LIMIT]],
            more=max(0, len(entries) - BROWSE_LIMIT),
        )

    def notice(self, text: str) -> Reply:
        return self.render.message("glossary/notice.json.j2", text=text)

    def denied(self, refusal: Refused) -> Reply:
        return self.render.message("glossary/denied.json.j2", reason=refusal.reason)

    def done(self, action: str, *, entry: GlossaryEntry | None = None, reason: str = "") -> dict[str, Any]:
        return self.render.render(
            "glossary/done_modal.json.j2",
            action=action,
            entry=entry_view(entry) if entry else {},
            reason=reason,
        )

    async def open_entry_modal(
        self, client: AsyncWebClient, trigger_id: str, entry: GlossaryEntry | None
    ) -> None:
        view = self.render.render(
            "glossary/entry_modal.json.j2",
            entry=entry_view(entry) if entry else None,
            metadata=json.dumps({"id": entry.id if entry else ""}),
        )
        await client.views_open(trigger_id=trigger_id, view=view)

    async def open_retire_modal(self, client: AsyncWebClient, trigger_id: str, entry: GlossaryEntry) -> None:
        view = self.render.render(
            "glossary/retire_modal.json.j2", entry=entry_view(entry), metadata=json.dumps({"id": entry.id})
        )
        await client.views_open(trigger_id=trigger_id, view=view)


def glossary_of(deps: Deps) -> Glossary:
    return deps.state[STATE]


# ---- lookups ----------------------------------------------------------------------------------------------
async def define(deps: Deps, inv: Invocation) -> Reply | None:
    if not inv.text.strip():
        return None  # the browse modal opens after the ack
    glossary = glossary_of(deps)
    return glossary.answer(await glossary.service.lookup(inv.text))


async def browse(deps: Deps, inv: Invocation, client: AsyncWebClient, _respond: AsyncRespond) -> None:
    if inv.text.strip():
        return
    await client.views_open(trigger_id=inv.trigger_id, view=await glossary_of(deps).browse_view(letter="A"))


async def browse_letter(body: dict[str, Any], client: AsyncWebClient, deps: Deps) -> None:
    click = Click.parse(body)
    view = await glossary_of(deps).browse_view(letter=click.value[:1] or "A")
    await client.views_update(view_id=click.modal.id, view=view)


async def browse_search(body: dict[str, Any], client: AsyncWebClient, deps: Deps) -> None:
    click = Click.parse(body)
    view = await glossary_of(deps).browse_view(search=click.value[:100])
    await client.views_update(view_id=click.modal.id, view=view)


async def shown_entry(deps: Deps, click: Click, respond: AsyncRespond) -> GlossaryEntry | None:
    """The entry a Share or Show button names; if it is gone, the clicker is told."""
    glossary = glossary_of(deps)
    entry = await glossary.service.entry(click.value)
    if entry is None:
        await respond(
            replace_original=False, **glossary.notice("That entry is not in the glossary any more.")
        )
    return entry


async def share(body: dict[str, Any], respond: AsyncRespond, deps: Deps) -> None:
    click = Click.parse(body)
    entry = await shown_entry(deps, click, respond)
    if entry is not None:
        message = deps.renderer.message(
            "glossary/shared.json.j2", entry=entry_view(entry), sharer=click.user_id
        )
        await respond(response_type="in_channel", replace_original=False, **message)


async def show(body: dict[str, Any], respond: AsyncRespond, deps: Deps) -> None:
    entry = await shown_entry(deps, Click.parse(body), respond)
    if entry is not None:
        answer = glossary_of(deps).answer(Lookup(query=entry.term, matches=[entry]))
        await respond(replace_original=True, **answer)


async def lookup_message(body: dict[str, Any], client: AsyncWebClient, deps: Deps) -> None:
    """The message shortcut: a modal with every glossary term the message names, defined."""
    message = body.get("message") or {}
    entries = await glossary_of(deps).service.terms_in(str(message.get("text") or ""))
    view = deps.renderer.render(
        "glossary/message_terms.json.j2",
        entries=[entry_view(e) for e in entries[:MESSAGE_TERMS_LIMIT]],
        more=max(0, len(entries) - MESSAGE_TERMS_LIMIT),
    )
    await client.views_open(trigger_id=Click.parse(body).trigger_id, view=view)


# ---- /gtm glossary add|edit|retire|stats ------------------------------------------------------------------
async def stats(deps: Deps, inv: Invocation) -> Reply:
    asked, missed = await glossary_of(deps).service.stats()  # missed: a count, never the text typed
    return deps.renderer.message("glossary/stats.json.j2", asked=asked, missed=missed)


async def manage(deps: Deps, inv: Invocation) -> Reply:
    """`/gtm glossary` with no verb it knows: what it can do."""
    return deps.renderer.message("glossary/manage.json.j2", unknown=inv.text.partition(" ")[0].lower())


async def add(deps: Deps, inv: Invocation) -> Reply | None:
    glossary = glossary_of(deps)
    allowed = await glossary.service.may_edit(inv.user_id)
    return glossary.denied(allowed) if isinstance(allowed, Refused) else None  # the modal opens after the ack


async def open_add(deps: Deps, inv: Invocation, client: AsyncWebClient, _respond: AsyncRespond) -> None:
    glossary = glossary_of(deps)
    if await glossary.service.may_edit(inv.user_id):
        await glossary.open_entry_modal(client, inv.trigger_id, None)


async def pick_term(deps: Deps, inv: Invocation) -> Reply | None:
    """`edit TERM` / `retire TERM`: None when one entry is named (its modal opens after the ack)."""
    glossary = glossary_of(deps)
    allowed = await glossary.service.may_edit(inv.user_id)
    if isinstance(allowed, Refused):
        return glossary.denied(allowed)
    if not inv.text:
        return glossary.notice(f"Say which term: /gtm glossary {inv.verb} TERM")
    named = await glossary.service.named(inv.text)
    if len(named) == 1:
        return None
    return deps.renderer.message(
        "glossary/choose.json.j2", verb=inv.verb, query=inv.text, entries=[entry_view(e) for e in named]
    )


async def open_picked(deps: Deps, inv: Invocation, client: AsyncWebClient, _respond: AsyncRespond) -> None:
    glossary = glossary_of(deps)
    if not inv.text or not await glossary.service.may_edit(inv.user_id):
        return
    named = await glossary.service.named(inv.text)
    if len(named) != 1:
        return
    if inv.verb == "edit":
        await glossary.open_entry_modal(client, inv.trigger_id, named[0])
    else:
        await glossary.open_retire_modal(client, inv.trigger_id, named[0])


async def editor_button(
    body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond, deps: Deps
) -> None:
    """Add, Edit and Retire (Sales Ops only): the entry modal, empty or filled, or the retire modal."""
    click, glossary = Click.parse(body), glossary_of(deps)
    allowed = await glossary.service.may_edit(click.user_id)
    if isinstance(allowed, Refused):
        await respond(replace_original=False, **glossary.denied(allowed))
        return
    verb = click.action_id.removeprefix("glossary.").partition(":")[0]
    if verb == "add":
        await glossary.open_entry_modal(client, click.trigger_id, None)
        return
    entry = await glossary.service.entry(click.value)
    if entry is None:
        return
    if verb == "edit":
        await glossary.open_entry_modal(client, click.trigger_id, entry)
    else:
        await glossary.open_retire_modal(client, click.trigger_id, entry)


async def ack_saved(
    ack: AsyncAck, glossary: Glossary, outcome: Saved | Invalid | Refused, *, refused_in_view: bool = False
) -> None:
    if isinstance(outcome, Invalid):
        await ack(response_action="errors", errors=outcome.errors)
    elif isinstance(outcome, Refused) and not refused_in_view:
        await ack(response_action="errors", errors={"term": outcome.reason})
    elif isinstance(outcome, Refused):
        await ack(response_action="update", view=glossary.done("refused", reason=outcome.reason))
    else:
        await ack(response_action="update", view=glossary.done(outcome.action, entry=outcome.entry))


async def submit_entry(ack: AsyncAck, body: dict[str, Any], deps: Deps) -> None:
    form, glossary = EntrySubmission.parse(body), glossary_of(deps)
    outcome = await glossary.service.save(form.user_id, form.draft, form.entry_id or None)
    await ack_saved(ack, glossary, outcome)


async def submit_retire(ack: AsyncAck, body: dict[str, Any], deps: Deps) -> None:
    form, glossary = EntrySubmission.parse(body), glossary_of(deps)
    outcome = await glossary.service.retire(form.user_id, form.entry_id)
    await ack_saved(ack, glossary, outcome, refused_in_view=True)


# ---- suggestions ------------------------------------------------------------------------------------------
async def open_suggest(body: dict[str, Any], client: AsyncWebClient, deps: Deps) -> None:
    click = Click.parse(body)
    view = deps.renderer.render("glossary/suggest_modal.json.j2", term=click.value[:MAX_TERM])
    await client.views_open(trigger_id=click.trigger_id, view=view)


async def submit_suggestion(ack: AsyncAck, body: dict[str, Any], deps: Deps) -> None:
    form, glossary = EntrySubmission.parse(body), glossary_of(deps)
    outcome = await glossary.service.suggest(form.user_id, form.draft)
    if isinstance(outcome, Invalid):
        await ack(response_action="errors", errors=outcome.errors)
    elif isinstance(outcome, Refused):
        await ack(response_action="update", view=glossary.done("refused", reason=outcome.reason))
    else:
        await ack(response_action="update", view=glossary.done("suggested"))


# ---- /gtm ask ---------------------------------------------------------------------------------------------
async def ask(deps: Deps, inv: Invocation) -> Reply:
    question = inv.text.strip()
    answers = glossary_of(deps).service.ask(question) if question else []
    return deps.renderer.message(
        "glossary/ask.json.j2",
        question=question,
        answers=[
            {
                "title": a.section.title,
                "url": a.section.url,
                "text": a.passage.text,
                "trail": " › ".join(a.passage.context),
            }
            for a in answers
        ],
    )


def register(app: AsyncApp, deps: Deps, router: CommandRouter) -> None:
    glossary = deps.state[STATE] = Glossary(deps)
    glossary.service.handbook()  # /gtm ask's index is built at start, not in the first question's ack
    router.add(
        Subcommand(
            "define",
            "/gtm define TERM",
            "What a go-to-market term means (also /glossary TERM; empty opens the A-Z)",
            answer=define,
            lazy=browse,
        )
    )
    router.add(
        Subcommand(
            "glossary",
            "/gtm glossary",
            "Keep the glossary current (Sales Ops), or see the most asked and missed terms",
            answer=manage,
            verbs=(
                Verb("add", "add", answer=add, lazy=open_add),
                Verb("edit", "edit TERM", answer=pick_term, lazy=open_picked),
                Verb("retire", "retire TERM", answer=pick_term, lazy=open_picked),
                Verb("stats", "stats", answer=stats),
            ),
        )
    )
    router.add(
        Subcommand(
            "ask",
            "/gtm ask QUESTION",
            "The handbook rule that answers a question, with its section and the next two",
            answer=ask,
        )
    )
    for action_id, work in (
        ("glossary.share", share),
        ("glossary.show", show),
        ("glossary.suggest", open_suggest),
        ("glossary.letter", browse_letter),
        ("glossary.search", browse_search),
        ("glossary.add", editor_button),
        ("glossary.edit", editor_button),
        ("glossary.retire", editor_button),
    ):
        # Several buttons of one kind in a block need distinct ids: "glossary.show:1", ":2"...
        app.action(re.compile(rf"^{re.escape(action_id)}(:\w+)?$"))(ack=just_ack, lazy=[work])
    app.shortcut(MESSAGE_SHORTCUT)(ack=just_ack, lazy=[lookup_message])
    app.view("glossary.entry_modal")(submit_entry)
    app.view("glossary.retire_modal")(submit_retire)
    app.view("glossary.suggest_modal")(submit_suggestion)
