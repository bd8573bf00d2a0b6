"""/gtm review ACCOUNT|queue|export|apply ID, the review modal, and the Apply now / Export buttons."""

from __future__ import annotations

import json
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.deps import Deps
from bot.features.ownership import service as ownership
from bot.features.reviews import service as reviews
from bot.features.reviews.export import split_csv
from bot.handbook.results import Refused
from bot.inputs import parse_id
from bot.render import mrkdwn_escape
from handlers.router import CommandRouter, Invocation, Reply, Subcommand, just_ack, text_value

SUBMIT_CALLBACK = "review.submit"
VERBS = ("queue", "export", "apply")


def register(app: AsyncApp, deps: Deps, router: CommandRouter) -> None:
    deps.flows[reviews.KIND] = reviews.ReviewFlow()
    deps.jobs[reviews.OPEN_JOB] = reviews.open_queued_step
    deps.jobs[reviews.APPLY_JOB] = reviews.apply_at_q1
    render = deps.renderer

    say = router.say

    async def queue_reply(user_id: str) -> Reply:
        found = await reviews.queue(deps, user_id)
        if isinstance(found, Refused):
            return say(found.reason + ".")
        return render.message("reviews/queue.json.j2", rows=found.rows, by_region=found.by_region)

    async def export_reply(user_id: str, region: str = "") -> Reply:
        found = await reviews.queue(deps, user_id)
        if isinstance(found, Refused):
            return say(found.reason + ".")
        if region:
            rows = [r for r in found.rows if r["region"].casefold() == region.casefold()]
            found = reviews.Queue(rows, [b for b in found.by_region if b[0].casefold() == region.casefold()])
        chunks = split_csv(reviews.queue_csv(found), measure=lambda line: len(mrkdwn_escape(line)))
        return render.message(
            "reviews/export.json.j2",
            parts=chunks.parts,
            rows_shown=chunks.rows_shown,
            rows_left_out=chunks.rows_left_out,
        )

    async def apply_reply(user_id: str, text: str) -> Reply:
        request_id = parse_id(text)
        if request_id is None:
            return say("say which review: /gtm review apply ID (the number in /gtm review queue).")
        result = await reviews.apply_now(deps, request_id=request_id, actor=user_id)
        if isinstance(result, Refused):
            return say(f"Nothing changed: {result.reason}.")
        told = f" {len(result.owners_told)} owner(s) told." if result.owners_told else ""
        misfit = (
            f" The ownership rules no longer fit for: {'; '.join(result.misfits)}." if result.misfits else ""
        )
        return say(
            f"Review #{result.request_id} applied: {result.summary}. {result.changed} account(s) changed "
            f"segment or territory.{told}{misfit}",
            ":white_check_mark:",
        )

    async def answer(inv: Invocation) -> Reply | None:
        verb, _, rest = inv.text.partition(" ")
        verb = verb.lower()
        if not inv.text:
            return say(
                "tell me which account: /gtm review ACCOUNT. Sales Ops: /gtm review queue, "
                "/gtm review export [REGION], /gtm review apply ID.",
                ":information_source:",
            )
        if verb == "queue":
            return await queue_reply(inv.user_id)
        if verb == "export":
            return await export_reply(inv.user_id, rest.strip())
        if verb == "apply":
            return await apply_reply(inv.user_id, rest)
        return None  # an account: the modal opens after the ack

    def modal(found: reviews.Target, review: str) -> dict[str, Any]:
        view = found.view
        return render.render(
            "reviews/modal.json.j2",
            account_id=view.account.account_id,
            account_name=view.account.name,
            segment=str(view.segment.segment or "unsegmented"),
            region=view.region.name if view.region else "",
            own_count=found.own_count,
            address=found.address,
            review=review,
        )

    async def open_modal(inv: Invocation, client: AsyncWebClient, respond: AsyncRespond) -> None:
        if not inv.text or inv.text.partition(" ")[0].lower() in VERBS:
            return
        found = await reviews.target(deps, inv.user_id, inv.text)
        if isinstance(found, Refused):
            await respond(response_type="ephemeral", **say(found.reason + "."))
        elif isinstance(found, ownership.Found):
            await respond(
                response_type="ephemeral",
                **render.message("ownership/not_found.json.j2", query=inv.text, candidates=found.candidates),
            )
        else:
            await client.views_open(trigger_id=inv.trigger_id, view=modal(found, reviews.EMPLOYEES))

    async def kind_changed(body: dict[str, Any], client: AsyncWebClient) -> None:
        """Switching between employee count and HQ address swaps the modal's fields."""
        view = body["view"]
        review = (body["actions"][0].get("selected_option") or {}).get("value")
        meta = _meta(view)
        if review not in (reviews.EMPLOYEES, reviews.ADDRESS) or meta is None:
            return
        found = await reviews.target(deps, body["user"]["id"], meta["account_id"])
        if isinstance(found, reviews.Target):
            await client.views_update(view_id=view["id"], hash=view.get("hash"), view=modal(found, review))

    async def submitted(ack: AsyncAck, body: dict[str, Any]) -> None:
        view = body["view"]
        values = view["state"]["values"]
        meta = _meta(view)
        if meta is None:
            await ack(
                response_action="errors", errors={"source": "This form was tampered with; nothing sent."}
            )
            return
        picked = ((values.get("review") or {}).get("review.kind") or {}).get("selected_option") or {}
        form = reviews.ReviewForm(
            review=str(picked.get("value") or meta.get("review") or ""),
            count=text_value(values, "count"),
            zip=text_value(values, "zip"),
            state=text_value(values, "state"),
            country=text_value(values, "country"),
            source_url=text_value(values, "source"),
        )
        result = await reviews.submit_review(
            deps, requester_id=body["user"]["id"], account_id=str(meta["account_id"]), form=form
        )
        if isinstance(result, reviews.FieldErrors):
            await ack(response_action="errors", errors={k: v[:300] for k, v in result.errors.items()})
        elif isinstance(result, Refused):
            await ack(
                response_action="errors", errors={"source": (result.reason[:1].upper() + result.reason[1:])}
            )
        else:
            await ack(
                response_action="update",
                view=render.render(
                    "reviews/submitted.json.j2",
                    request_id=result.request_id,
                    summary=result.summary,
                    explanation=result.explanation,
                    queued_until=result.queued_until.isoformat() if result.queued_until else "",
                ),
            )

    async def apply_button(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        reply = await apply_reply(body["user"]["id"], str(body["actions"][0].get("value", ""))[:20])
        deps.spawn(respond(replace_original=False, response_type="ephemeral", **reply))

    async def export_button(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        reply = await export_reply(body["user"]["id"])
        deps.spawn(respond(replace_original=False, response_type="ephemeral", **reply))

    router.add(
        Subcommand(
            "review",
            "/gtm review ACCOUNT|queue|export|apply ID",
            "Ask Sales Ops to review an account's employee count or HQ address (Sales Ops: the queue)",
            answer=answer,
            lazy=open_modal,
        )
    )
    app.view(SUBMIT_CALLBACK)(submitted)
    app.action("review.kind")(ack=just_ack, lazy=[kind_changed])
    app.action("review.apply")(apply_button)
    app.action("review.export")(export_button)


def _meta(view: dict[str, Any]) -> dict[str, Any] | None:
    try:
        meta = json.loads(view.get("private_metadata") or "")
    except ValueError:
        return None
    if not isinstance(meta, dict) or not isinstance(meta.get("account_id"), str):
        return None
    return meta
