"""/gtm owner, /gtm segment, /gtm claim and the Request ownership button."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from functools import partial
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.deps import Deps
from bot.features.directory import lookups
from bot.features.ownership import service as ownership
from bot.handbook import ownership as rules
from bot.handbook.results import Refused
from bot.handbook.segments import segment_for
from bot.inputs import parse_count
from handlers.payloads import Click, Clicked, Submitted, metadata, read, selection, submitter, text, user
from handlers.replies import (
    NOT_RECORDED,
    Rendered,
    Reply,
    answer_form,
    field_error,
    just_ack,
    not_found,
    refused,
    tell,
    tell_beside,
)
from handlers.router import CommandRouter, Invocation, Subcommand, is_lock_timeout

CLAIM_CALLBACK = "ownership.claim"
CLAIM_VIEW = "ownership.claim."  # + user id + "." + a random token: the external id of a claim modal
log = logging.getLogger(__name__)


# ---- payloads ---------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ClaimModalClick(Clicked):
    """A pick inside the picker or the claim modal; `mine` only if the modal was opened for the clicker."""

    user_id: str = submitter()
    picked: str = selection()
    account_id: str = metadata()  # the claim modal's account
    external_id: str = read(lambda click: click.modal.external_id)
    view_hash: str | None = read(lambda click: click.modal.hash)
    # The bot names the user in the external id: a forged click naming someone else's view (or any view
    # id) is not theirs.
    mine: bool = read(
        lambda click: (
            click.modal.external_id.startswith(f"{CLAIM_VIEW}{click.user_id}.")
            and len(click.modal.external_id) <= 100
        )
    )


@dataclass(frozen=True, slots=True)
class PickSubmission(Submitted):
    """The account picker, submitted."""

    user_id: str = submitter()
    account_id: str | None = read(
        lambda source: (source.option("account", "ownership.account") or "")[:64] or None
    )


@dataclass(frozen=True, slots=True)
class ClaimSubmission(Submitted):
    """The claim modal, submitted."""

    user_id: str = submitter()
    account_id: str = metadata()
    new_owner: str | None = user("new_owner", "ownership.new_owner")
    reason: str = text("reason")


# ---- /gtm owner and /gtm segment --------------------------------------------------------------------------
OWNER_CARDS, SEGMENT_REPLIES = "ownership.owner_cards", "ownership.segment_replies"  # deps.state keys
KEPT_REPLIES = 1024  # rendered owner cards (~6.5 KB each) and segment answers kept per process


async def owner(deps: Deps, inv: Invocation) -> Reply:
    if not inv.text:
        return refused(deps, "tell me which account: /gtm owner ACCOUNT (an id or a name)")
    found = await deps.directory.lookup(deps.db, inv.user_id, inv.text, opportunities=True)
    view, viewer = found.view, found.viewer
    if view is None or viewer is None:
        return not_found(deps, inv.text, found.candidates)
    decision = rules.may_reassign(viewer, view)  # the one part of the card that depends on who asks
    account = view.account

    def card() -> Reply:
        owner = found.people.get(account.owner or "")
        return deps.renderer.message(
            "ownership/owner_card.json.j2",
            view=view,
            opportunities=found.opportunities,
            owner_name=owner.name if owner else (account.owner or "nobody"),
            may_reassign=decision,
            segment_summary=view.segment.summary(account.account_id),
            section_url=rules.section("account_ownership"),
        )

    if found.version is None:  # the directory's versions can't vouch for a kept card
        return card()
    # The account's facts are those of the directory versions it was read under: a change to the account,
    # its hierarchy, its opportunities, the people or the regions is a new version, so a new card.
    cards: Rendered = deps.state[OWNER_CARDS]
    return cards.reply((found.version, account.account_id, type(decision), decision.reason), card)


async def segment(deps: Deps, inv: Invocation) -> Reply:
    text = inv.text.strip()
    count = parse_count(text.replace(",", ""))
    if count is not None:
        return segment_reply(deps, f"{count:,} employees is {segment_for(count)}.")
    if not text:
        return refused(deps, "give an employee count or an account: /gtm segment 250, /gtm segment Initech")
    match = await deps.directory.lookup(deps.db, inv.user_id, text)
    view = match.view
    if view is None:
        return not_found(deps, inv.text, match.candidates)

    def reply() -> Reply:
        headline = f"{view.account.name} is {view.segment.segment or 'unsegmented'}"
        return segment_reply(deps, headline, view.segment.summary(view.account.account_id))

    if match.version is None:
        return reply()
    replies: Rendered = deps.state[SEGMENT_REPLIES]
    return replies.reply((match.version, view.account.account_id), reply)


def segment_reply(deps: Deps, headline: str, detail: str = "") -> Reply:
    return deps.renderer.message(
        "ownership/segment.json.j2",
        headline=headline,
        detail=detail,
        section_url=rules.section("segmentation"),
    )


# ---- the claim modal --------------------------------------------------------------------------------------
def claim_view_id(user_id: str) -> str:
    """An external id only the bot writes, naming the user a claim modal (or its picker) is for."""
    return f"{CLAIM_VIEW}{user_id}.{secrets.token_hex(6)}"


async def claim_modal(
    deps: Deps, user_id: str, account_id: str, new_owner_id: str, external_id: str | None = None
) -> dict[str, Any] | str:
    """The claim modal for an account (the rules that pass and fail for the new owner), or why not."""
    modal = await ownership.claim_modal(deps, user_id, account_id, new_owner_id)
    if isinstance(modal, Refused):
        return modal.reason
    found, routing = modal.preview, modal.preview.routing
    return deps.renderer.render(
        "ownership/claim_modal.json.j2",
        account_id=account_id,
        external_id=external_id or claim_view_id(user_id),
        account_name=found.view.account.name,
        owner_id=found.view.account.owner,
        owner_name=modal.owner_name,
        new_owner=new_owner_id,
        criteria=routing.criteria,
        explanation=routing.explanation,
        record_ownership=found.record_ownership,
        auto_apply=routing.auto_apply,
        needs_reason=routing.needs_override and routing.auto_apply,
    )


def picker(deps: Deps, user_id: str) -> dict[str, Any]:
    """The account picker; bound to its user by an external id, like the claim modal it turns into."""
    return deps.renderer.render("ownership/pick_modal.json.j2", external_id=claim_view_id(user_id))


async def open_claim(deps: Deps, inv: Invocation, client: AsyncWebClient, respond: AsyncRespond) -> None:
    if not inv.text.strip():  # no account typed: the picker, as the shortcut opens it
        await client.views_open(trigger_id=inv.trigger_id, view=picker(deps, inv.user_id))
        return
    found = await lookups.account_for(deps, inv.user_id, inv.text)
    if found.account is None:
        await tell(respond, not_found(deps, inv.text or "(nothing)", found.candidates))
        return
    view = await claim_modal(deps, inv.user_id, found.account.account_id, inv.user_id)
    if isinstance(view, str):
        await tell(respond, refused(deps, view))
        return
    await client.views_open(trigger_id=inv.trigger_id, view=view)


async def claim_button(
    body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond, deps: Deps
) -> None:
    click = Click.parse(body)
    view = await claim_modal(deps, click.user_id, click.value[:64], click.user_id)
    if isinstance(view, str):
        await tell_beside(respond, refused(deps, view))
        return
    await client.views_open(trigger_id=click.trigger_id, view=view)


async def shortcut(body: dict[str, Any], client: AsyncWebClient, deps: Deps) -> None:
    """Global shortcut "Request ownership": the claim modal, starting with an account picker."""
    click = Click.parse(body)
    await client.views_open(trigger_id=click.trigger_id, view=picker(deps, click.user_id))


async def update_claim_modal(
    deps: Deps, client: AsyncWebClient, click: ClaimModalClick, account_id: str, new_owner_id: str
) -> None:
    """Redraw a claim modal opened for the clicker (updated by its external id: nobody else's)."""
    if not click.mine:
        log.warning("ignored a claim modal pick from %s on a view that isn't theirs", click.user_id)
        return
    updated = await claim_modal(deps, click.user_id, account_id, new_owner_id, click.external_id)
    if isinstance(updated, str):
        return  # e.g. a public-sector id typed by someone who may not see it: nothing to show
    await client.views_update(external_id=click.external_id, hash=click.view_hash, view=updated)


async def new_owner_changed(body: dict[str, Any], client: AsyncWebClient, deps: Deps) -> None:
    """The modal shows which rules pass and fail for whoever is picked, before submit."""
    click = ClaimModalClick.parse(body)
    await update_claim_modal(deps, client, click, click.account_id, click.picked or click.user_id)


async def account_picked(body: dict[str, Any], client: AsyncWebClient, deps: Deps) -> None:
    """Picking an account turns the picker into that account's claim modal (rules before submit)."""
    click = ClaimModalClick.parse(body)
    await update_claim_modal(deps, client, click, click.picked[:64], click.user_id)


async def account_suggestions(ack: AsyncAck, body: dict[str, Any], deps: Deps) -> None:
    accounts = await ownership.account_options(deps, body["user"]["id"], str(body.get("value") or ""))
    await ack(**deps.renderer.render("ownership/account_options.json.j2", accounts=accounts))


async def pick_submitted(ack: AsyncAck, body: dict[str, Any], deps: Deps) -> None:
    form = PickSubmission.parse(body)
    updated = (
        await claim_modal(deps, form.user_id, form.account_id, form.user_id)
        if form.account_id
        else "pick an account"
    )
    if isinstance(updated, str):
        await field_error(ack, "account", updated)
        return
    await ack(response_action="update", view=updated)


async def claim_submitted(ack: AsyncAck, body: dict[str, Any], deps: Deps) -> None:
    form = ClaimSubmission.parse(body)
    if not form.new_owner:
        await field_error(ack, "new_owner", "Pick the new owner.")
        return
    if len(form.reason) > ownership.MAX_REASON:
        await field_error(ack, "reason", f"Keep it under {ownership.MAX_REASON} characters.")
        return
    try:
        result = await ownership.claim(
            deps,
            requester_id=form.user_id,
            account_id=form.account_id,
            new_owner_id=form.new_owner,
            reason=form.reason,
        )
    except Exception as exc:
        if not is_lock_timeout(exc):
            raise
        await field_error(ack, "reason", NOT_RECORDED)
        return
    await answer_form(ack, result, inputs=("new_owner", "reason"), done=partial(claimed, deps))


async def claimed(deps: Deps, result: ownership.Claimed) -> dict[str, Any]:
    return deps.renderer.render(
        "ownership/claim_result.json.j2",
        applied=result.applied,
        request_id=result.request_id,
        approvers=await lookups.shown(deps, result.approvers),
        explanation=result.explanation,
    )


def register(app: AsyncApp, deps: Deps, router: CommandRouter) -> None:
    deps.state[OWNER_CARDS], deps.state[SEGMENT_REPLIES] = Rendered(KEPT_REPLIES), Rendered(KEPT_REPLIES)
    router.add(
        Subcommand(
            "owner",
            "/gtm owner ACCOUNT",
            "Who owns an account, its segment and territory, and who may reassign it",
            answer=owner,
        )
    )
    router.add(
        Subcommand(
            "segment",
            "/gtm segment N|ACCOUNT",
            "The segment for an employee count, or how an account's was reached",
            answer=segment,
        )
    )
    router.add(
        Subcommand(
            "claim",
            "/gtm claim [ACCOUNT]",
            "Ask to own an account (or give it to someone); routed to the right approver",
            lazy=open_claim,
        )
    )
    app.action("ownership.claim_button")(ack=just_ack, lazy=[claim_button])
    app.action("ownership.new_owner")(ack=just_ack, lazy=[new_owner_changed])
    app.view(CLAIM_CALLBACK)(claim_submitted)
    app.shortcut("ownership.request")(ack=just_ack, lazy=[shortcut])
    app.options("ownership.account")(account_suggestions)
    app.action("ownership.account")(ack=just_ack, lazy=[account_picked])
    app.view("ownership.pick")(pick_submitted)
