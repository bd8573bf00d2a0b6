"""The approval buttons every flow shares: Approve, Approve with override, Reject (with a reason)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.approvals import service
from bot.approvals.engine import Verdict
from bot.deps import Deps
from bot.handbook.results import Refused
from bot.inputs import parse_id
from handlers.router import NOT_RECORDED, CommandRouter, is_lock_timeout, just_ack

REJECT_CALLBACK = "approval.reject_reason"
OVERRIDE_CALLBACK = "approval.override_reason"


def parse_ids(value: str) -> tuple[int, int] | None:
    """`"12:34"` -> (request 12, step 34); anything else (a tampered value) -> None."""
    request, sep, step = (value or "").partition(":")
    request_id, step_id = parse_id(request), parse_id(step)
    if not sep or request_id is None or step_id is None or request.startswith("#") or step.startswith("#"):
        return None
    return request_id, step_id


def register(app: AsyncApp, deps: Deps, router: CommandRouter) -> None:
    def outcome(result: service.Decided | Any) -> dict[str, Any]:
        if isinstance(result, service.Decided):
            word = "approved" if result.verdict is Verdict.APPROVE else "rejected"
            text = f"You {word} request #{result.request.id}. It is now {result.request.status}."
            return deps.renderer.message("approvals/outcome.json.j2", text=text, icon=":white_check_mark:")
        return deps.renderer.message(
            "approvals/outcome.json.j2", text=f"Nothing changed: {result.reason}.", icon=":no_entry:"
        )

    async def refuse_tampered(body: dict[str, Any], respond: AsyncRespond) -> None:
        value = str(body["actions"][0].get("value"))
        await service.refuse_tampered(deps, actor=body["user"]["id"], value=value)
        await respond(
            replace_original=False,
            response_type="ephemeral",
            **deps.renderer.message(
                "approvals/outcome.json.j2",
                text="Nothing changed: that button isn't one I made.",
                icon=":no_entry:",
            ),
        )

    @app.action("approval.approve")
    async def approve(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        # The decision commits before Slack gets its 200; the ephemeral reply goes out after.
        await ack()
        ids = parse_ids(body["actions"][0].get("value", ""))
        if ids is None:
            await refuse_tampered(body, respond)
            return
        result = await service.decide(
            deps, request_id=ids[0], step_id=ids[1], actor=body["user"]["id"], verdict=Verdict.APPROVE
        )
        if body.get("response_url"):  # a card in App Home has none: the home view shows the outcome
            deps.spawn(respond(replace_original=False, response_type="ephemeral", **outcome(result)))

    async def open_reason_modal(
        body: dict[str, Any],
        client: AsyncWebClient,
        respond: AsyncRespond,
        *,
        callback_id: str,
        title: str,
        label: str,
        submit: str,
    ) -> None:
        ids = parse_ids(body["actions"][0].get("value", ""))
        if ids is None:
            await refuse_tampered(body, respond)
            return
        found = await service.decidable(deps, request_id=ids[0], step_id=ids[1], actor=body["user"]["id"])
        if isinstance(found, Refused):
            await respond(replace_original=False, response_type="ephemeral", **outcome(found))
            return
        summary = found.summary
        view = deps.renderer.render(
            "approvals/reject_modal.json.j2",
            callback_id=callback_id,
            request_id=ids[0],
            step_id=ids[1],
            summary=summary,
            title=title,
            label=label,
            submit=submit,
        )
        await client.views_open(trigger_id=body["trigger_id"], view=view)

    async def reject(body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond) -> None:
        await open_reason_modal(
            body,
            client,
            respond,
            callback_id=REJECT_CALLBACK,
            title="Reject request",
            label="Why? The requester will read this.",
            submit="Reject",
        )

    async def approve_override(body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond) -> None:
        await open_reason_modal(
            body,
            client,
            respond,
            callback_id=OVERRIDE_CALLBACK,
            title="Approve with override",
            label="Override reason: why the rule should not apply here",
            submit="Approve",
        )

    app.action("approval.reject")(ack=just_ack, lazy=[reject])
    app.action("approval.approve_override")(ack=just_ack, lazy=[approve_override])

    async def submit_reason(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, verdict: Verdict
    ) -> None:
        view = body["view"]
        reason = (view["state"]["values"].get("reason", {}).get("value", {}).get("value") or "").strip()
        ids = parse_ids(view.get("private_metadata", ""))
        if len(reason) < 3:
            await ack(
                response_action="errors", errors={"reason": "Please write a reason (a sentence is best)."}
            )
            return
        if ids is None:
            await ack(
                response_action="errors", errors={"reason": "This form was tampered with; nothing changed."}
            )
            return
        kwargs = {"reason": reason} if verdict is Verdict.REJECT else {"override_reason": reason}
        try:
            result = await service.decide(
                deps, request_id=ids[0], step_id=ids[1], actor=body["user"]["id"], verdict=verdict, **kwargs
            )
        except Exception as exc:
            if not is_lock_timeout(exc):
                raise
            await ack(response_action="errors", errors={"reason": NOT_RECORDED})
            return
        if isinstance(result, service.Decided):
            await ack()
        else:
            await ack(response_action="errors", errors={"reason": f"Nothing changed: {result.reason}."[:150]})

    @app.view(REJECT_CALLBACK)
    async def reject_submitted(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await submit_reason(ack, body, client, Verdict.REJECT)

    @app.view(OVERRIDE_CALLBACK)
    async def override_submitted(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await submit_reason(ack, body, client, Verdict.APPROVE)
