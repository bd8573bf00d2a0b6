"""`/gtm SUBCOMMAND ...` and `/glossary`: one place that routes slash commands to features.

A feature adds a Subcommand. `answer` subcommands compute their reply inside the ack (in-memory or a
few indexed queries), so the user's answer rides on the HTTP response with no second round trip.
`lazy` subcommands ack at once and do their work afterwards (modals, Slack calls, slow queries).

The listener is a plain Bolt listener, not ack=/lazy=: Bolt deep-copies the whole request for every lazy
listener whether or not the subcommand has lazy work, which costs more than most answers. Here the lazy
part is spawned (deps.spawn) only for the subcommands that have one, after the ack is set.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot import observe
from bot.deps import Deps
from bot.features.busy import is_lock_timeout  # noqa: F401 (handlers use it from here)

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
    needs_text: bool = False  # with nothing after the subcommand, answer its usage


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

    def say(self, text: str, icon: str = ":no_entry:") -> Reply:
        """A one-line private answer (a refusal by default), starting with a capital."""
        return self.deps.renderer.message(
            "approvals/outcome.json.j2", text=text[:1].upper() + text[1:], icon=icon
        )

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

    async def handle(
        self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond
    ) -> None:
        sub, rest, typed = self.resolve(body.get("command", ""), body.get("text", ""))
        observe.note(listener=f"{body.get('command', '')} {sub.name if sub is not None else 'help'}")
        if sub is None:
            unknown = typed if typed and typed.lower() != "help" else None
            await ack(response_type="ephemeral", **self.help_reply(unknown))
            return
        inv = self.invocation(body, sub.name, rest)
        if sub.needs_text and not rest:
            await ack(response_type="ephemeral", **self.say(f"Usage: `{sub.usage}`. {sub.summary}.", ""))
            return
        try:
            reply = await sub.answer(inv) if sub.answer is not None else None
        except Exception as exc:
            if not is_database_error(exc):
                raise  # the app's error handler logs it and tells the user
            # The answer rides on the ack: say so there, privately, rather than a bare Slack failure.
            log.warning("database unavailable for %s %s", inv.command, inv.subcommand, exc_info=exc)
            message = self.deps.renderer.message(
                "common/error.json.j2", unavailable=True, busy=is_lock_timeout(exc)
            )
            await ack(response_type="ephemeral", **message)
            return
        if reply is None:
            await ack()
        else:
            await ack(response_type="ephemeral", **reply)
        if sub.lazy is not None:
            self.deps.spawn(self._run_lazy(sub.lazy, inv, client, respond))

    async def _run_lazy(
        self, lazy: Lazy, inv: Invocation, client: AsyncWebClient, respond: AsyncRespond
    ) -> None:
        try:
            await lazy(inv, client, respond)
        except Exception as exc:  # after the ack nobody else will tell the user; say it privately
            log.error(
                "%s %s failed after the ack for %s", inv.command, inv.subcommand, inv.user_id, exc_info=exc
            )
            message = self.deps.renderer.message("common/error.json.j2", unavailable=is_database_error(exc))
            if inv.response_url:
                try:
                    await respond(response_type="ephemeral", replace_original=False, **message)
                except Exception:  # Slack itself may be the problem; the log above has the details
                    log.warning("could not tell %s about the error", inv.user_id)


def is_database_error(error: BaseException) -> bool:
    """The database (or the network to it) is away: a moment's outage, not a bug."""
    from jinja2 import TemplateError
    from sqlalchemy.exc import DBAPIError, OperationalError

    if isinstance(error, TemplateError):  # TemplateNotFound is an OSError too, but no outage
        return False
    return isinstance(error, OperationalError | DBAPIError | OSError | TimeoutError) or is_lock_timeout(error)


def register(app: AsyncApp, router: CommandRouter) -> None:
    for command in ("/gtm", "/glossary"):
        app.command(command)(router.handle)


# ---- small pieces every feature's listeners share -------------------------------------------------------
# A modal's answer to a lock wait that ran out (an inline error: at most 150 characters).
NOT_RECORDED = (
    "Not recorded: the database is busy (an import is running?). Nothing changed; submit again shortly."
)


async def just_ack(ack: AsyncAck) -> None:
    """The ack half of an action whose work runs after it (lazy)."""
    await ack()


def field_value(values: dict[str, Any], block: str, key: str = "value") -> Any:
    """One input's value from a view's state: `values[block]["value"][key]` (the action id is "value")."""
    return ((values.get(block) or {}).get("value") or {}).get(key)


def text_value(values: dict[str, Any], block: str) -> str:
    return str(field_value(values, block) or "")
