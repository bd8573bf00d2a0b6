"""`/glossary TERM`, `/gtm define TERM`, `/gtm glossary add|edit|retire|stats`, `/gtm ask QUESTION`, and
the message shortcut "Look up in glossary".

Lookups are answered inside the ack from the service's in-memory index; everything that calls Slack
(modals, shares, approval cards) runs after the ack.
"""

from __future__ import annotations

import json
import re
from collections import OrderedDict
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.deps import Deps
from bot.features.glossary.service import GlossaryService, Invalid, Saved, entry_view
from bot.features.glossary.suggestions import SuggestionFlow
from bot.handbook.glossary import GlossaryEntry, Lookup
from bot.handbook.glossary_admin import MAX_TERM, Draft
from bot.handbook.results import Refused
from handlers.router import CommandRouter, Invocation, Reply, Subcommand, just_ack, text_value

UNSAFE = re.compile(r"[<>&]")  # never part of a term; keeps a prefilled modal free of mentions
ANSWER_CACHE = 1024  # rendered lookup answers kept (an edited entry is a new key)
MESSAGE_SHORTCUT = "glossary.lookup_message"  # manifest.yml: features.shortcuts
MESSAGE_TERMS_LIMIT = 40  # entries listed from one message; each is one block of a modal's 100
BROWSE_LIMIT = 30  # entries per browse page; each is one section block, well under 100 per view


def register(app: AsyncApp, deps: Deps, router: CommandRouter) -> None:
    service = GlossaryService(deps)
    service.handbook()  # /gtm ask's index is built at start, not in the first question's ack
    deps.flows[SuggestionFlow.kind] = SuggestionFlow(service)  # Approve/Reject: handlers/approvals.py
    Glossary(deps, service).register(app, router)


def _draft(body: dict[str, Any]) -> Draft:
    values = body["view"]["state"]["values"]
    return Draft(
        term=text_value(values, "term"),
        definition=text_value(values, "definition"),
        expansion=text_value(values, "expansion"),
        aliases=text_value(values, "aliases"),
    )


def _action_value(body: dict[str, Any]) -> str:
    return str((body.get("actions") or [{}])[0].get("value") or "")


class Glossary:
    def __init__(self, deps: Deps, service: GlossaryService) -> None:
        self.deps = deps
        self.service = service
        self.render = deps.renderer
        self._answers: OrderedDict[tuple[Any, ...], Reply] = OrderedDict()

    def register(self, app: AsyncApp, router: CommandRouter) -> None:
        router.add(
            Subcommand(
                "define",
                "/gtm define TERM",
                "What a go-to-market term means (also /glossary TERM; empty opens the A-Z)",
                answer=self.define,
                lazy=self.browse,
            )
        )
        router.add(
            Subcommand(
                "glossary",
                "/gtm glossary add | edit TERM | retire TERM | stats",
                "Keep the glossary current (Sales Ops), or see the most asked and missed terms",
                answer=self.manage,
                lazy=self.manage_later,
            )
        )
        router.add(
            Subcommand(
                "ask",
                "/gtm ask QUESTION",
                "The handbook rule that answers a question, with its section and the next two",
                answer=self.ask,
            )
        )
        for action_id, work in (
            ("glossary.share", self.share),
            ("glossary.show", self.show),
            ("glossary.suggest", self.open_suggest),
            ("glossary.letter", self.browse_letter),
            ("glossary.search", self.browse_search),
            ("glossary.add", self.open_add),
            ("glossary.edit", self.open_edit),
            ("glossary.retire", self.open_retire),
        ):
            # Several buttons of one kind in a block need distinct ids: "glossary.show:1", ":2"...
            app.action(re.compile(rf"^{re.escape(action_id)}(:\w+)?$"))(ack=just_ack, lazy=[work])
        app.shortcut(MESSAGE_SHORTCUT)(ack=just_ack, lazy=[self.lookup_message])
        app.view("glossary.entry_modal")(self.submit_entry)
        app.view("glossary.retire_modal")(self.submit_retire)
        app.view("glossary.suggest_modal")(self.submit_suggestion)

    # ---- lookups ----------------------------------------------------------------------------------
    async def define(self, inv: Invocation) -> Reply | None:
        if not inv.text.strip():
            return None  # the browse modal opens after the ack
        return self._answer(await self.service.lookup(inv.text))

    def _answer(self, found: Lookup) -> Reply:
        """Rendered once per distinct answer: the same question asked again skips the template."""
        key = (found.query, tuple(found.matches), found.fuzzy, tuple(found.suggestions), found.undefined)
        reply = self._answers.get(key)
        if reply is None:
            reply = self._answers[key] = self._render_answer(found)
            if len(self._answers) > ANSWER_CACHE:
                self._answers.popitem(last=False)
        else:
            self._answers.move_to_end(key)
        return reply

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

    async def browse(self, inv: Invocation, client: AsyncWebClient, _respond: AsyncRespond) -> None:
        if inv.text.strip():
            return
        await client.views_open(trigger_id=inv.trigger_id, view=await self._browse_view(letter="A"))

    async def _browse_view(self, *, letter: str = "", search: str = "") -> dict[str, Any]:
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

    async def browse_letter(self, body: dict[str, Any], client: AsyncWebClient) -> None:
        view = await self._browse_view(letter=_action_value(body)[:1] or "A")
        await client.views_update(view_id=body["view"]["id"], view=view)

    async def browse_search(self, body: dict[str, Any], client: AsyncWebClient) -> None:
        view = await self._browse_view(search=_action_value(body)[:100])
        await client.views_update(view_id=body["view"]["id"], view=view)

    async def share(self, body: dict[str, Any], respond: AsyncRespond) -> None:
        entry = await self.service.entry(_action_value(body))
        if entry is None:
            await respond(
                replace_original=False, **self._notice("That entry is not in the glossary any more.")
            )
            return
        message = self.render.message(
            "glossary/shared.json.j2", entry=entry_view(entry), sharer=body["user"]["id"]
        )
        await respond(response_type="in_channel", replace_original=False, **message)

    async def show(self, body: dict[str, Any], respond: AsyncRespond) -> None:
        entry = await self.service.entry(_action_value(body))
        if entry is None:
            await respond(
                replace_original=False, **self._notice("That entry is not in the glossary any more.")
            )
            return
        await respond(replace_original=True, **self._answer(Lookup(query=entry.term, matches=[entry])))

    async def lookup_message(self, body: dict[str, Any], client: AsyncWebClient) -> None:
        """The message shortcut: a modal with every glossary term the message names, defined."""
        message = body.get("message") or {}
        entries = await self.service.terms_in(str(message.get("text") or ""))
        view = self.render.render(
            "glossary/message_terms.json.j2",
            entries=[entry_view(e) for e in entries[:MESSAGE_TERMS_LIMIT]],
            more=max(0, len(entries) - MESSAGE_TERMS_LIMIT),
        )
        await client.views_open(trigger_id=body["trigger_id"], view=view)

    def _notice(self, text: str) -> Reply:
        return self.render.message("glossary/notice.json.j2", text=text)

    # ---- /gtm glossary ----------------------------------------------------------------------------
    async def manage(self, inv: Invocation) -> Reply | None:
        verb, _, term = inv.text.partition(" ")
        verb, term = verb.lower(), term.strip()
        if verb == "stats":
            asked, missed = await self.service.stats()  # missed: a count, never the text typed
            return self.render.message("glossary/stats.json.j2", asked=asked, missed=missed)
        if verb not in ("add", "edit", "retire"):
            return self.render.message("glossary/manage.json.j2", unknown=verb)
        allowed = await self.service.may_edit(inv.user_id)
        if isinstance(allowed, Refused):
            return self.render.message("glossary/denied.json.j2", reason=allowed.reason)
        if verb == "add":
            return None
        if not term:
            return self._notice(f"Say which term: /gtm glossary {verb} TERM")
        named = await self.service.named(term)
        if len(named) == 1:
            return None  # the modal opens after the ack
        return self.render.message(
            "glossary/choose.json.j2", verb=verb, query=term, entries=[entry_view(e) for e in named]
        )

    async def manage_later(self, inv: Invocation, client: AsyncWebClient, _respond: AsyncRespond) -> None:
        verb, _, term = inv.text.partition(" ")
        verb, term = verb.lower(), term.strip()
        if verb not in ("add", "edit", "retire") or not await self.service.may_edit(inv.user_id):
            return
        if verb == "add":
            await self._open_entry_modal(client, inv.trigger_id, None)
            return
        named = await self.service.named(term) if term else []
        if len(named) != 1:
            return
        if verb == "edit":
            await self._open_entry_modal(client, inv.trigger_id, named[0])
        else:
            await self._open_retire_modal(client, inv.trigger_id, named[0])

    async def _open_entry_modal(
        self, client: AsyncWebClient, trigger_id: str, entry: GlossaryEntry | None
    ) -> None:
        view = self.render.render(
            "glossary/entry_modal.json.j2",
            entry=entry_view(entry) if entry else None,
            metadata=json.dumps({"id": entry.id if entry else ""}),
        )
        await client.views_open(trigger_id=trigger_id, view=view)

    async def _open_retire_modal(self, client: AsyncWebClient, trigger_id: str, entry: GlossaryEntry) -> None:
        view = self.render.render(
            "glossary/retire_modal.json.j2", entry=entry_view(entry), metadata=json.dumps({"id": entry.id})
        )
        await client.views_open(trigger_id=trigger_id, view=view)

    async def _editor_or_denied(self, body: dict[str, Any], respond: AsyncRespond) -> bool:
        allowed = await self.service.may_edit(body["user"]["id"])
        if isinstance(allowed, Refused):
            await respond(
                replace_original=False,
                **self.render.message("glossary/denied.json.j2", reason=allowed.reason),
            )
            return False
        return True

    async def open_add(self, body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond) -> None:
        if await self._editor_or_denied(body, respond):
            await self._open_entry_modal(client, body["trigger_id"], None)

    async def open_edit(self, body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond) -> None:
        if not await self._editor_or_denied(body, respond):
            return
        entry = await self.service.entry(_action_value(body))
        if entry is not None:
            await self._open_entry_modal(client, body["trigger_id"], entry)

    async def open_retire(self, body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond) -> None:
        if not await self._editor_or_denied(body, respond):
            return
        entry = await self.service.entry(_action_value(body))
        if entry is not None:
            await self._open_retire_modal(client, body["trigger_id"], entry)

    async def submit_entry(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        entry_id = _metadata(body).get("id") or None
        outcome = await self.service.save(body["user"]["id"], _draft(body), entry_id)
        await self._ack_saved(ack, outcome)

    async def submit_retire(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        outcome = await self.service.retire(body["user"]["id"], str(_metadata(body).get("id") or ""))
        await self._ack_saved(ack, outcome, refused_in_view=True)

    async def _ack_saved(
        self, ack: AsyncAck, outcome: Saved | Invalid | Refused, *, refused_in_view: bool = False
    ) -> None:
        if isinstance(outcome, Invalid):
            await ack(response_action="errors", errors=outcome.errors)
        elif isinstance(outcome, Refused) and not refused_in_view:
            await ack(response_action="errors", errors={"term": outcome.reason})
        elif isinstance(outcome, Refused):
            await ack(response_action="update", view=self._done("refused", reason=outcome.reason))
        else:
            await ack(response_action="update", view=self._done(outcome.action, entry=outcome.entry))

    def _done(self, action: str, *, entry: GlossaryEntry | None = None, reason: str = "") -> dict[str, Any]:
        return self.render.render(
            "glossary/done_modal.json.j2",
            action=action,
            entry=entry_view(entry) if entry else {},
            reason=reason,
        )

    # ---- suggestions ------------------------------------------------------------------------------
    async def open_suggest(self, body: dict[str, Any], client: AsyncWebClient) -> None:
        view = self.render.render("glossary/suggest_modal.json.j2", term=_action_value(body)[:MAX_TERM])
        await client.views_open(trigger_id=body["trigger_id"], view=view)

    async def submit_suggestion(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        outcome = await self.service.suggest(body["user"]["id"], _draft(body))
        if isinstance(outcome, Invalid):
            await ack(response_action="errors", errors=outcome.errors)
        elif isinstance(outcome, Refused):
            await ack(response_action="update", view=self._done("refused", reason=outcome.reason))
        else:
            await ack(response_action="update", view=self._done("suggested"))

    # ---- /gtm ask ---------------------------------------------------------------------------------
    async def ask(self, inv: Invocation) -> Reply:
        question = inv.text.strip()
        answers = self.service.ask(question) if question else []
        return self.render.message(
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


def _metadata(body: dict[str, Any]) -> dict[str, Any]:
    try:
        data = json.loads(body["view"].get("private_metadata") or "{}")
    except json.JSONDecodeError:
        return {}
    return data if isinstance(data, dict) else {}
