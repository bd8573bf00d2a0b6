"""A small approval flow registered only in the playground's tests, so they can exercise buttons, modals with
inline errors, DMs, response_url replacements and the Home tab whatever features this branch has.

Its Block Kit is test data (what some feature might send), so it is written here rather than in templates/.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

CHANNEL = "C0GENERAL1"
RD = "U0RD1"


def card(owner: str) -> dict[str, Any]:
    return {
        "text": f"Initech is owned by {owner}",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": "Initech"}},
            {
                "type": "section",
                "block_id": "owner",
                "fields": [
                    {"type": "mrkdwn", "text": "*Owner*"},
                    {"type": "mrkdwn", "text": f"<@{owner}>"},
                ],
            },
            {"type": "divider"},
            {
                "type": "actions",
                "block_id": "card.actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": "demo.request",
                        "text": {"type": "plain_text", "text": "Request ownership"},
                        "value": "A-INITECH",
                    }
                ],
            },
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": "Sample card for the playground tests"}],
            },
        ],
    }


MODAL = {
    "type": "modal",
    "callback_id": "demo.request_modal",
    "title": {"type": "plain_text", "text": "Request ownership"},
    "submit": {"type": "plain_text", "text": "Send request"},
    "close": {"type": "plain_text", "text": "Cancel"},
    "blocks": [
        {
            "type": "input",
            "block_id": "account",
            "label": {"type": "plain_text", "text": "Account"},
            "element": {"type": "plain_text_input", "action_id": "name"},
        },
        {
            "type": "input",
            "block_id": "why",
            "label": {"type": "plain_text", "text": "Reason"},
            "element": {
                "type": "static_select",
                "action_id": "reason",
                "options": [
                    {"text": {"type": "plain_text", "text": "Territory"}, "value": "territory"},
                    {"text": {"type": "plain_text", "text": "Named account"}, "value": "named"},
                ],
            },
        },
    ],
}


def register_demo(app: AsyncApp) -> None:
    @app.action("demo.request")
    async def request(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        metadata = f"{body['channel']['id']}|{body['message']['ts']}"
        await client.views_open(trigger_id=body["trigger_id"], view={**MODAL, "private_metadata": metadata})

    @app.view("demo.request_modal")
    async def submitted(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        values = body["view"]["state"]["values"]
        account = (values["account"]["name"]["value"] or "").strip()
        reason = values["why"]["reason"]["selected_option"]
        errors = {}
        if account.lower() != "initech":
            errors["account"] = "Pick an account the directory knows, e.g. Initech"
        if reason is None:
            errors["why"] = "Say why"
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        await ack()
        user = body["user"]["id"]
        value = f"{body['view']['private_metadata']}|{user}"
        await client.chat_postMessage(
            channel=RD,
            text=f"<@{user}> asks to own Initech",
            blocks=[
                {"type": "section", "text": {"type": "mrkdwn", "text": f"<@{user}> asks to own *Initech*"}},
                {
                    "type": "actions",
                    "elements": [
                        {
                            "type": "button",
                            "style": "primary",
                            "action_id": "demo.approve",
                            "text": {"type": "plain_text", "text": "Approve"},
                            "value": value,
                        }
                    ],
                },
            ],
        )

    @app.action("demo.approve")
    async def approve(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond
    ) -> None:
        await ack()
        channel, ts, requester = body["actions"][0]["value"].split("|")
        await client.chat_update(channel=channel, ts=ts, **card(requester))
        await respond(replace_original=True, text=f"Approved: <@{requester}> now owns Initech")

    @app.event("app_home_opened")
    async def home(event: dict[str, Any], client: AsyncWebClient) -> None:
        await client.views_publish(
            user_id=event["user"],
            view={
                "type": "home",
                "blocks": [
                    {"type": "header", "text": {"type": "plain_text", "text": "Your accounts"}},
                    {"type": "section", "text": {"type": "mrkdwn", "text": f"Hello <@{event['user']}>"}},
                ],
            },
        )
