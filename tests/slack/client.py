"""Sends signed requests into the bot's real HTTP endpoint, as Slack would."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import aiohttp

from bot.standin import signer
from bot.standin.web_api import SlackStandIn


@dataclass
class Reply:
    status: int
    body: str

    @property
    def json(self) -> dict[str, Any]:
        return json.loads(self.body) if self.body else {}

    @property
    def text(self) -> str:
        """Everything a user would read in the reply: fallback text plus every text in the blocks."""
        return visible_text(self.json)


def visible_text(message: Any) -> str:
    parts: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "text" and isinstance(value, str):
                    parts.append(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(message)
    return "\n".join(parts)


class SlackClient:
    def __init__(
        self, base_url: str, signing_secret: str, standin: SlackStandIn, session: aiohttp.ClientSession
    ) -> None:
        self.url = base_url.rstrip("/") + "/slack/events"
        self.secret = signing_secret
        self.standin = standin
        self.session = session

    async def post(
        self,
        body: str,
        content_type: str,
        *,
        headers: dict[str, str] | None = None,
        timestamp: int | None = None,
    ) -> Reply:
        all_headers = {
            "Content-Type": content_type,
            **signer.signed_headers(self.secret, body, timestamp=timestamp),
            **(headers or {}),
        }
        async with self.session.post(self.url, data=body.encode(), headers=all_headers) as response:
            return Reply(response.status, await response.text())

    async def command(
        self,
        text: str,
        user: str,
        *,
        command: str = "/gtm",
        channel: str = "C0GENERAL1",
        headers: dict[str, str] | None = None,
    ) -> Reply:
        body, content_type = signer.command_body(
            command, text, user, channel_id=channel, response_url=self.standin.response_url(user)
        )
        return await self.post(body, content_type, headers=headers)

    async def click(self, user: str, action_id: str, value: str, **kwargs: Any) -> Reply:
        kwargs.setdefault("response_url", self.standin.response_url(user))
        payload = signer.block_action_payload(user, action_id, value, **kwargs)
        return await self.post(*signer.interaction_body(payload))

    async def submit(
        self, user: str, callback_id: str, values: dict[str, dict[str, Any]], **kwargs: Any
    ) -> Reply:
        payload = signer.view_submission_payload(user, callback_id, values, **kwargs)
        return await self.post(*signer.interaction_body(payload))

    async def give_reason(self, user: str, modal: dict[str, Any], reason: str) -> Reply:
        """Submit an open reason modal (reject, keep, disagree...) with `reason` typed in."""
        return await self.submit(
            user,
            modal["callback_id"],
            text_value("reason", reason),
            private_metadata=modal["private_metadata"],
        )

    async def message_shortcut(self, user: str, callback_id: str, text: str, **kwargs: Any) -> Reply:
        kwargs.setdefault("response_url", self.standin.response_url(user))
        payload = signer.message_action_payload(user, callback_id, text, **kwargs)
        return await self.post(*signer.interaction_body(payload))


def text_value(block: str, text: str | None) -> dict[str, Any]:
    """A modal's plain-text input (action id `value`) as a view submission carries it."""
    return {block: {"value": {"type": "plain_text_input", "value": text}}}
