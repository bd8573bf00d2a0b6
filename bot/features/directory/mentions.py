"""`ACCOUNT @rep` as Slack sends it: an escaped mention (`<@U1|tom>` or `<@U1>`, with `should_escape: true`)
or plain text (`@tom`, `@Tom Becker`, when a workspace or client sends it unescaped). Pure."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from bot.handbook.directory import Person

ESCAPED = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")


@dataclass(frozen=True, slots=True)
class Split:
    account: str  # what came before the mention: an account name may contain spaces
    user_id: str | None  # resolved Slack id, or None
    handle: str  # what was typed after "@" (empty if no mention)


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _handles(person: Person) -> set[str]:
    """What a plain `@name` may be: the full name, first name, the email's local part."""
    keys = {_norm(person.name), _norm(person.name.split(" ")[0]) if person.name else ""}
    if person.email:
        keys.add(_norm(person.email.split("@")[0]))
    return {k for k in keys if k}


def resolve_handle(handle: str, people: Iterable[Person]) -> str | None:
    """The one person a plain handle names; None when nobody or several do."""
    key = _norm(handle)
    if not key:
        return None
    found = [p.slack_id for p in people if key in _handles(p)]
    return found[0] if len(found) == 1 else None


def split_mention(text: str, people: Iterable[Person]) -> Split:
    """Split `ACCOUNT <@U1|tom>` or `ACCOUNT @tom` into the account text and the person."""
    text = text.strip()
    escaped = ESCAPED.search(text)
    if escaped:
        return Split(ESCAPED.sub("", text).strip(), escaped.group(1), escaped.group(0))
    at = text.rfind(" @") if not text.startswith("@") else 0
    if at < 0:
        return Split(text, None, "")
    account, handle = text[:at].strip(), text[at:].strip()[1:]
    people = list(people)
    user = resolve_handle(handle, people)
    if user is None and " " in handle:  # `@Tom Becker`: the whole rest, else its first word
        user = resolve_handle(handle.split(" ")[0], people)
    return Split(account, user, handle)
