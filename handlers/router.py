"""`/gtm SUBCOMMAND [VERB] ...` and `/glossary`: one place that routes slash commands to features.

A feature adds a Subcommand, and under it the Verbs it takes (`/gtm review queue|export|apply`): the
router picks the verb from the first word, so no feature parses its own. Text that names no verb goes to
the subcommand's own answer (an account, a term...). `answer` functions compute their reply inside the ack
(in-memory or a few indexed queries), so the user's answer rides on the HTTP response with no second round
trip. `lazy` functions run after the ack (modals, Slack calls, slow queries). Both take `(deps, inv)`.

The listener is a plain Bolt listener, not ack=/lazy=: Bolt deep-copies the whole request for every lazy
listener whether or not the subcommand has lazy work, which costs more than most answers. Here the lazy
part is spawned (deps.spawn) only for the subcommands that have one, after the ack is set.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot import observe
from bot.deps import Deps
from bot.features.busy import is_lock_timeout
from handlers.replies import Reply, say

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Invocation:
    """One slash command, unpacked."""

    user_id: str
    channel_id: str
    text: str  # the arguments after the subcommand (and after its verb, if one was named)
    trigger_id: str
    response_url: str
    command: str  # "/gtm" or "/glossary"
    subcommand: str
    verb: str = ""


Answer = Callable[[Deps, Invocation], Awaitable[Reply | None]]
Lazy = Callable[[Deps, Invocation, AsyncWebClient, AsyncRespond], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Verb:
    """A second word that picks what a subcommand does: `/gtm sla done ID` is Verb("done", "done ID", ...)."""

    name: str
    usage: str  # as typed after the subcommand, for the help
    answer: Answer | None = None
    lazy: Lazy | None = None


@dataclass(frozen=True, slots=True)
class Subcommand:
    name: str
    usage: str  # without a verb: "/gtm review ACCOUNT"; the help adds the verbs
    summary: str
    answer: Answer | None = None  # text that names no verb
    lazy: Lazy | None = None
    aliases: tuple[str, ...] = ()
    needs_text: bool = False  # with nothing after the subcommand, answer its usage
    verbs: tuple[Verb, ...] = ()

    @property
    def help_usage(self) -> str:
        """`/gtm review ACCOUNT | queue | export [REGION] | apply ID`; `/gtm sla [log ACCOUNT | done ID]`."""
        if not self.verbs:
            return self.usage
        verbs = " | ".join(v.usage for v in self.verbs)
        bare = self.usage.split(" ", 2)
        return f"{self.usage} | {verbs}" if len(bare) > 2 else f"{self.usage} [{verbs}]"

    def route(self, text: str) -> tuple[Verb | Subcommand, str]:
        """The verb the text starts with and the text after it, or this subcommand and all of the text."""
        if self.verbs:
            word, _, rest = text.partition(" ")
            for verb in self.verbs:
                if verb.name == word.lower():
                    return verb, rest.strip()
        return self, text


@dataclass
class CommandRouter:
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

    async def help(self, deps: Deps, _inv: Invocation) -> Reply:
        return self.help_reply(deps)

    def help_reply(self, deps: Deps, unknown: str | None = None) -> Reply:
        subs = [
            {"usage": s.help_usage, "summary": s.summary}
            for s in sorted(self.subcommands.values(), key=lambda s: s.name)
        ]
        return deps.renderer.message("common/help.json.j2", subcommands=subs, unknown=unknown or "")

    async def handle(
        self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond, deps: Deps
    ) -> None:
        sub, rest, typed = self.resolve(body.get("command", ""), body.get("text", ""))
        observe.note(listener=f"{body.get('command', '')} {sub.name if sub is not None else 'help'}")
        if sub is None:
            unknown = typed if typed and typed.lower() != "help" else None
            await ack(response_type="ephemeral", **self.help_reply(deps, unknown))
            return
        if sub.needs_text and not rest:
            await ack(response_type="ephemeral", **say(deps, f"Usage: `{sub.usage}`. {sub.summary}.", ""))
            return
        target, rest = sub.route(rest)
        inv = Invocation(
            user_id=body.get("user_id", ""),
            channel_id=body.get("channel_id", ""),
            text=rest,
            trigger_id=body.get("trigger_id", ""),
            response_url=body.get("response_url", ""),
            command=body.get("command", ""),
            subcommand=sub.name,
            verb=target.name if isinstance(target, Verb) else "",
        )
        try:
            reply = await target.answer(deps, inv) if target.answer is not None else None
        except Exception as exc:
            if not is_database_error(exc):
                raise  # the app's error handler logs it and tells the user
            # The answer rides on the ack: say so there, privately, rather than a bare Slack failure.
            log.warning("database unavailable for %s %s", inv.command, inv.subcommand, exc_info=exc)
            message = deps.renderer.message(
                "common/error.json.j2", unavailable=True, busy=is_lock_timeout(exc)
            )
            await ack(response_type="ephemeral", **message)
            return
        if reply is None:
            await ack()
        else:
            await ack(response_type="ephemeral", **reply)
        if target.lazy is not None:
            deps.spawn(_run_lazy(target.lazy, deps, inv, client, respond))


async def _run_lazy(
    lazy: Lazy, deps: Deps, inv: Invocation, client: AsyncWebClient, respond: AsyncRespond
) -> None:
    try:
        await lazy(deps, inv, client, respond)
    except Exception as exc:  # after the ack nobody else will tell the user; say it privately
        log.error("%s %s failed after the ack for %s", inv.command, inv.subcommand, inv.user_id, exc_info=exc)
        message = deps.renderer.message("common/error.json.j2", unavailable=is_database_error(exc))
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


COMMANDS = re.compile(r"^/(gtm|glossary)$")


def register(app: AsyncApp, router: CommandRouter) -> None:
    """One listener for both commands: Bolt tries each listener's matcher in turn, building its arguments
    afresh (three such builds were a quarter of a `/glossary` answer's CPU under cProfile), and every action
    and view request walks past the command listeners first."""
    app.command(COMMANDS)(router.handle)
