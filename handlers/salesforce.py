"""Salesforce in Slack: `/gtm drift`, and Account/Opportunity links unfurled into the bot's cards."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.deps import Deps
from bot.features.ownership import service as ownership
from bot.features.salesforce import jobs as salesforce
from bot.features.stages import lookup
from bot.handbook import ownership as rules
from bot.handbook.results import Refused
from handlers.replies import Reply, say
from handlers.router import CommandRouter, Invocation, Subcommand

# Lightning (/lightning/r/Account/001.../view) and Classic (/001...) record links.
LIGHTNING = re.compile(r"/lightning/r/(Account|Opportunity)/([A-Za-z0-9]{15,18})(?:/|$)")
CLASSIC = re.compile(r"^/((?:001|006)[A-Za-z0-9]{12}(?:[A-Za-z0-9]{3})?)(?:[/?#]|$)")


def record_of(url: str) -> tuple[str, str] | None:
    """(object, id) of a Salesforce record link, or None."""
    path = re.sub(r"^https?://[^/]+", "", url)
    found = LIGHTNING.search(path)
    if found:
        return found[1], found[2]
    classic = CLASSIC.match(path)
    if classic:
        return ("Account" if classic[1].startswith("001") else "Opportunity"), classic[1]
    return None


async def unfurl_blocks(deps: Deps, user_id: str, url: str) -> list[dict[str, Any]] | None:
    """The owner card for an Account link, the stage card for an Opportunity: what `/gtm` would show."""
    record = record_of(url)
    if record is None:
        return None
    sobject, record_id = record
    if sobject == "Opportunity":
        answer = await lookup.answer_stage(deps, user_id, record_id)
        if not isinstance(answer, lookup.OpportunityAnswer):
            return None
        return deps.renderer.message("stages/opportunity.json.j2", answer=answer)["blocks"]
    facts = await ownership.owner_card(deps, user_id, record_id)
    if facts is None:
        return None  # unknown, or public sector: it stays with its team, in a channel too
    account = facts.view.account
    return deps.renderer.message(
        "ownership/owner_card.json.j2",
        view=facts.view,
        opportunities=facts.opportunities,
        owner_name=facts.owner.name if facts.owner else (account.owner or "nobody"),
        may_reassign=facts.may_reassign,
        segment_summary=facts.view.segment.summary(account.account_id),
        section_url=rules.section("account_ownership"),
    )["blocks"]


async def drift(deps: Deps, inv: Invocation) -> Reply:
    lines = await salesforce.drift_for(deps, inv.user_id)
    if isinstance(lines, Refused):
        return say(deps, lines.reason)
    return deps.renderer.message(
        "salesforce/drift.json.j2",
        lines=lines,
        heading="Open owner changes made in Salesforce that break the handbook",
        section_url=rules.section("account_ownership"),
    )


async def link_shared(event: dict[str, Any], client: AsyncWebClient, deps: Deps) -> None:
    unfurls: dict[str, Any] = {}
    for link in event.get("links", [])[:5]:
        blocks = await unfurl_blocks(deps, str(event.get("user", "")), str(link.get("url", "")))
        if blocks:
            unfurls[link["url"]] = {"blocks": blocks}
    if unfurls:
        await client.chat_unfurl(channel=event["channel"], ts=event["message_ts"], unfurls=unfurls)


def register(app: AsyncApp, deps: Deps, router: CommandRouter) -> None:
    router.add(
        Subcommand(
            "drift",
            "/gtm drift",
            "Owner changes made directly in Salesforce that break the handbook's rules",
            answer=drift,
        )
    )
    app.event("link_shared")(link_shared)
