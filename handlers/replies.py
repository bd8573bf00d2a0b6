"""The answers every feature's listeners share: one-line replies, "no such account", modal errors."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncRespond

from bot.deps import Deps
from bot.handbook.results import Refused
from bot.inputs import parse_id

Reply = dict[str, Any]  # {"text": ..., "blocks": [...]} as rendered by a template

# A modal's answer to a lock wait that ran out (an inline error: at most 150 characters).
NOT_RECORDED = (
    "Not recorded: the database is busy (an import is running?). Nothing changed; submit again shortly."
)
TAMPERED = "that button isn't one I made"


class Rendered:
    """Replies already rendered, by what they show, the least recently asked forgotten past `bound`: the same
    answer asked again skips its template (which cost more CPU than the in-memory look-ups behind
    `/glossary`, `/gtm stage` and `/gtm owner`). A key names everything its reply shows, who asks included
    where that changes it; replies are shared, so nothing may change one after it is rendered."""

    def __init__(self, bound: int) -> None:
        self.bound = bound
        self._replies: OrderedDict[Hashable, Reply] = OrderedDict()

    def reply(self, key: Hashable, render: Callable[[], Reply]) -> Reply:
        """The reply kept for `key`, else `render()`'s, kept."""
        reply = self.get(key)
        return reply if reply is not None else self.keep(key, render())

    def get(self, key: Hashable) -> Reply | None:
        reply = self._replies.get(key)
        if reply is not None:
            self._replies.move_to_end(key)
        return reply

    def keep(self, key: Hashable, reply: Reply) -> Reply:
        self._replies[key] = reply
        if len(self._replies) > self.bound:
            self._replies.popitem(last=False)
        return reply

    def __len__(self) -> int:
        return len(self._replies)


def capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def say(deps: Deps, text: str, icon: str = ":no_entry:") -> Reply:
    """A one-line private answer (a refusal by default), starting with a capital."""
    return deps.renderer.message("approvals/outcome.json.j2", text=capital(text), icon=icon)


def refused(deps: Deps, reason: str) -> Reply:
    """A refusal's reason as a sentence."""
    return say(deps, reason + ".")


def nothing_changed(deps: Deps, refusal: Refused) -> Reply:
    return say(deps, f"Nothing changed: {refusal.reason}.")


async def by_number(deps: Deps, text: str, usage: str, act: Callable[[int], Awaitable[Any]]) -> Any:
    """`act` on the number typed (or a button's value) and return its result; or, as a Reply, the usage
    line (no number) or "Nothing changed" (a refusal)."""
    number = parse_id(text)
    if number is None:
        return say(deps, usage)
    result = await act(number)
    return nothing_changed(deps, result) if isinstance(result, Refused) else result


def not_found(deps: Deps, query: str, candidates: list[Any]) -> Reply:
    """No account (or several) matches what was typed."""
    return deps.renderer.message("ownership/not_found.json.j2", query=query, candidates=candidates)


async def tell(respond: AsyncRespond, reply: Reply) -> None:
    """A private answer to a slash command, after its ack."""
    await respond(response_type="ephemeral", **reply)


async def tell_beside(respond: AsyncRespond, reply: Reply) -> None:
    """A private answer to a click, leaving the message clicked in place."""
    await respond(replace_original=False, response_type="ephemeral", **reply)


async def field_error(ack: AsyncAck, block: str, text: str, limit: int | None = 150) -> None:
    """Keep the modal open with an error under one input (Slack shows a short line)."""
    await ack(response_action="errors", errors={block: capital(text)[:limit]})


async def answer_form(
    ack: AsyncAck,
    result: Any,
    *,
    inputs: tuple[str, ...],
    done: Callable[[Any], Awaitable[dict[str, Any]]] | None = None,
    limit: int | None = 150,
) -> None:
    """Answer a submitted modal with its use-case's result: a refusal shows under the input it names (else
    under the first of `inputs`); anything else closes the modal, or turns it into the view `done` makes."""
    if isinstance(result, Refused):
        await field_error(ack, result.field if result.field in inputs else inputs[0], result.reason, limit)
    elif done is None:
        await ack()
    else:
        await ack(response_action="update", view=await done(result))


async def just_ack(ack: AsyncAck) -> None:
    """The ack half of an action whose work runs after it (lazy)."""
    await ack()
