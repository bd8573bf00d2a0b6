"""`/gtm SUBCOMMAND ...` and `/glossary`: one place that routes slash commands to features.

A feature adds a Subcommand. `answer` subcommands compute their reply inside the ack (in-memory or a
few indexed queries), so the user's answer rides on the HTTP response with no second round trip.
`lazy` subcommands ack at once and do their work afterwards (modals, Slack calls, slow queries).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.deps import Deps

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Invocation:
    """One slash command, unpacked."""

    user_id: str
    channel_id: str
    text: str  # the arguments after the subcommand
    trigger_id: str
    response_url: str
    command: str  # "/gtm" or "/glossary"
    subcommand: str


Reply = dict[str, Any]  # {"text": ..., "blocks": [...]} as rendered by a template
Answer = Callable[[Invocation], Awaitable[Reply | None]]
Lazy = Callable[[Invocation, AsyncWebClient, AsyncRespond], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Subcommand:
    name: str
    usage: str
    summary: str
    answer: Answer | None = None
    lazy: Lazy | None = None
    aliases: tuple[str, ...] = ()


@dataclass
class CommandRouter:
    deps: Deps
    subcommands: dict[str, Subcommand] = field(default_factory=dict)
    _by_alias: dict[str, str] = field(default_factory=dict)

    def add(self, sub: Subcommand) -> None:
        if sub.name in self.subcommands:
            raise ValueError(f"subcommand {sub.name!r} registered twice")
        self.subcommands[sub.name] = sub
        for alias in sub.aliases:
            self._by_alias[alias] = sub.name

    def resolve(self, command: str, text: str) -> tuple[Subcommand | None, str, str]:
        """(subcommand or None for help, rest of the text, what the user typed as subcommand)."""
        text = (text or "").strip()
        if command == "/glossary":
            return self.subcommands.get("define"), text, "define"
        word, _, rest = text.partition(" ")
        key = word.lower()
        name = self._by_alias.get(key, key)
        return self.subcommands.get(name), rest.strip(), word

    def help_reply(self, unknown: str | None = None) -> Reply:
        subs = sorted(self.subcommands.values(), key=lambda s: s.name)
        return self.deps.renderer.message("common/help.json.j2", subcommands=subs, unknown=unknown or "")

    def invocation(self, body: dict[str, Any], sub: str, rest: str) -> Invocation:
        return Invocation(
            user_id=body.get("user_id", ""),
            channel_id=body.get("channel_id", ""),
            text=rest,
            trigger_id=body.get("trigger_id", ""),
            response_url=body.get("response_url", ""),
            command=body.get("command", ""),
            subcommand=sub,
        )

    async def ack(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        sub, rest, typed = self.resolve(body.get("command", ""), body.get("text", ""))
        if sub is None:
            unknown = typed if typed and typed.lower() != "help" else None
            await ack(response_type="ephemeral", **self.help_reply(unknown))
            return
        if sub.answer is None:
            await ack()
            return
        reply = await sub.answer(self.invocation(body, sub.name, rest))
        if reply is None:
            await ack()
        else:
            await ack(response_type="ephemeral", **reply)

    async def lazy(self, body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond) -> None:
        sub, rest, _ = self.resolve(body.get("command", ""), body.get("text", ""))
        if sub is not None and sub.lazy is not None:
            await sub.lazy(self.invocation(body, sub.name, rest), client, respond)


def register(app: AsyncApp, router: CommandRouter) -> None:
    for command in ("/gtm", "/glossary"):
        app.command(command)(ack=router.ack, lazy=[router.lazy])
