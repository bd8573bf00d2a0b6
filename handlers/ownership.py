"""/gtm owner, /gtm segment, /gtm claim and the Request ownership button."""

from __future__ import annotations

import logging
import secrets
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
from handlers.router import (
    NOT_RECORDED,
    CommandRouter,
    Invocation,
    Reply,
    Subcommand,
    is_lock_timeout,
    just_ack,
)

CLAIM_CALLBACK = "ownership.claim"
CLAIM_VIEW = "ownership.claim."  # + user id + "." + a random token: the external id of a claim modal
log = logging.getLogger(__name__)


def register(app: AsyncApp, deps: Deps, router: CommandRouter) -> None:
    deps.flows[ownership.KIND] = ownership.OwnershipFlow()
    render = deps.renderer

    def not_found(query: str, candidates: list[Any]) -> Reply:
        return render.message("ownership/not_found.json.j2", query=query, candidates=candidates)

    def refused(reason: str) -> Reply:
        return router.say(reason + ".")

    async def owner(inv: Invocation) -> Reply:
        if not inv.text:
            return refused("tell me which account: /gtm owner ACCOUNT (an id or a name)")
        found = await deps.directory.lookup(deps.db, inv.user_id, inv.text, opportunities=True)
        if found.view is None or found.viewer is None:
            return not_found(inv.text, found.candidates)
        account = found.view.account
        owner = found.people.get(account.owner or "")
        return render.message(
            "ownership/owner_card.json.j2",
            view=found.view,
            opportunities=found.opportunities,
            owner_name=owner.name if owner else (account.owner or "nobody"),
            may_reassign=rules.may_reassign(found.viewer, found.view),
            segment_summary=found.view.segment.summary(account.account_id),
            section_url=rules.section("account_ownership"),
        )

    async def segment(inv: Invocation) -> Reply:
        text = inv.text.strip()
        url = rules.section("segmentation")
        count = parse_count(text.replace(",", ""))
        if count is not None:
            found = segment_for(count)
            return render.message(
                "ownership/segment.json.j2",
                headline=f"{count:,} employees is {found}.",
                detail="",
                section_url=url,
            )
        if not text:
            return refused("give an employee count or an account: /gtm segment 250, /gtm segment Initech")
        match = await deps.directory.lookup(deps.db, inv.user_id, text)
        view = match.view
        if view is None:
            return not_found(inv.text, match.candidates)
        headline = f"{view.account.name} is {view.segment.segment or 'unsegmented'}"
        return render.message(
            "ownership/segment.json.j2",
            headline=headline,
            detail=view.segment.summary(view.account.account_id),
            section_url=url,
        )

    async def claim_modal(
        user_id: str, account_id: str, new_owner_id: str, external_id: str | None = None
    ) -> dict[str, Any] | str:
        """The claim modal, bound to its user by an external id only the bot writes (new_owner_changed)."""
        modal = await ownership.claim_modal(deps, user_id, account_id, new_owner_id)
        if isinstance(modal, Refused):
            return modal.reason
        found, routing = modal.preview, modal.preview.routing
        return render.render(
            "ownership/claim_modal.json.j2",
            account_id=account_id,
            external_id=external_id or f"{CLAIM_VIEW}{user_id}.{secrets.token_hex(6)}",
            account_name=found.view.account.name,
            owner_name=modal.owner_name,
            new_owner=new_owner_id,
            criteria=routing.criteria,
            explanation=routing.explanation,
            record_ownership=found.record_ownership,
            auto_apply=routing.auto_apply,
            needs_reason=routing.needs_override and routing.auto_apply,
        )

    async def open_claim(inv: Invocation, client: AsyncWebClient, respond: AsyncRespond) -> None:
        if not inv.text.strip():  # no account typed: the picker, as the shortcut opens it
            await client.views_open(trigger_id=inv.trigger_id, view=picker(inv.user_id))
            return
        found = await lookups.account_for(deps, inv.user_id, inv.text)
        if found.account is None:
            await respond(response_type="ephemeral", **not_found(inv.text or "(nothing)", found.candidates))
            return
        view = await claim_modal(inv.user_id, found.account.account_id, inv.user_id)
        if isinstance(view, str):
            await respond(response_type="ephemeral", **refused(view))
            return
        await client.views_open(trigger_id=inv.trigger_id, view=view)

    async def claim_button(body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond) -> None:
        user = body["user"]["id"]
        view = await claim_modal(user, str(body["actions"][0].get("value", ""))[:64], user)
        if isinstance(view, str):
            await respond(replace_original=False, response_type="ephemeral", **refused(view))
            return
        await client.views_open(trigger_id=body["trigger_id"], view=view)

    async def new_owner_changed(body: dict[str, Any], client: AsyncWebClient) -> None:
        """The modal shows which rules pass and fail for whoever is picked, before submit."""
        view, user = body.get("view") or {}, body["user"]["id"]
        # Updated by its external id, which names the user it was opened for: a forged click naming someone
        # else's view (or any view id) updates nothing.
        external_id = str(view.get("external_id") or "")
        if not external_id.startswith(f"{CLAIM_VIEW}{user}.") or len(external_id) > 100:
            log.warning("ignored ownership.new_owner from %s on a view that isn't theirs", user)
            return
        picked = body["actions"][0].get("selected_user") or user
        updated = await claim_modal(user, view.get("private_metadata", ""), picked, external_id)
        if isinstance(updated, str):
            return
        await client.views_update(external_id=external_id, hash=view.get("hash"), view=updated)

    def picker(user: str) -> dict[str, Any]:
        """The account picker; bound to its user by an external id, like the claim modal it turns into."""
        external_id = f"{CLAIM_VIEW}{user}.{secrets.token_hex(6)}"
        return render.render("ownership/pick_modal.json.j2", external_id=external_id)

    async def shortcut(body: dict[str, Any], client: AsyncWebClient) -> None:
        """Global shortcut "Request ownership": the claim modal, starting with an account picker."""
        await client.views_open(trigger_id=body["trigger_id"], view=picker(body["user"]["id"]))

    async def account_suggestions(ack: AsyncAck, body: dict[str, Any]) -> None:
        accounts = await ownership.account_options(deps, body["user"]["id"], str(body.get("value") or ""))
        await ack(**render.render("ownership/account_options.json.j2", accounts=accounts))

    async def account_picked(body: dict[str, Any], client: AsyncWebClient) -> None:
        """Picking an account turns the picker into that account's claim modal (rules before submit)."""
        view, user = body.get("view") or {}, body["user"]["id"]
        external_id = str(view.get("external_id") or "")
        if not external_id.startswith(f"{CLAIM_VIEW}{user}.") or len(external_id) > 100:
            log.warning("ignored ownership.account from %s on a view that isn't theirs", user)
            return
        picked = (body["actions"][0].get("selected_option") or {}).get("value") or ""
        updated = await claim_modal(user, str(picked)[:64], user, external_id)
        if isinstance(updated, str):
            return  # e.g. a public-sector id typed by someone who may not see it: nothing to show
        await client.views_update(external_id=external_id, hash=view.get("hash"), view=updated)

    async def pick_submitted(ack: AsyncAck, body: dict[str, Any]) -> None:
        values = body["view"]["state"]["values"]
        picked = (
            (values.get("account", {}).get("ownership.account") or {}).get("selected_option") or {}
        ).get("value")
        user = body["user"]["id"]
        updated = await claim_modal(user, str(picked or "")[:64], user) if picked else "pick an account"
        if isinstance(updated, str):
            await ack(response_action="errors", errors={"account": (updated[:1].upper() + updated[1:])[:150]})
            return
        await ack(response_action="update", view=updated)

    async def claim_submitted(ack: AsyncAck, body: dict[str, Any]) -> None:
        view = body["view"]
        values = view["state"]["values"]
        new_owner = (values.get("new_owner", {}).get("ownership.new_owner", {}) or {}).get("selected_user")
        reason = (values.get("reason", {}).get("value", {}) or {}).get("value") or ""
        if not new_owner:
            await ack(response_action="errors", errors={"new_owner": "Pick the new owner."})
            return
        if len(reason) > ownership.MAX_REASON:
            await ack(
                response_action="errors",
                errors={"reason": f"Keep it under {ownership.MAX_REASON} characters."},
            )
            return
        try:
            result = await ownership.claim(
                deps,
                requester_id=body["user"]["id"],
                account_id=view.get("private_metadata", ""),
                new_owner_id=new_owner,
                reason=reason,
            )
        except Exception as exc:
            if not is_lock_timeout(exc):
                raise
            await ack(response_action="errors", errors={"reason": NOT_RECORDED})
            return
        if isinstance(result, Refused):
            block = "reason" if result.field == "reason" else "new_owner"
            await ack(
                response_action="errors",
                errors={block: (result.reason[:1].upper() + result.reason[1:])[:150]},
            )
            return
        await ack(
            response_action="update",
            view=render.render(
                "ownership/claim_result.json.j2",
                applied=result.applied,
                request_id=result.request_id,
                approvers=await lookups.names_of(deps, result.approvers),
                explanation=result.explanation,
            ),
        )

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
