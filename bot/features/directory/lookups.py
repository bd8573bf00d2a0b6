"""Account and people look-ups every feature's Slack surface needs, each in its own read transaction.

Handlers call these instead of opening sessions: an account found by what someone typed (public sector
hidden from those who may not see it), a person, and people's display names.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.features.directory.mentions import Split, split_mention
from bot.features.ownership.service import Found, find_account
from bot.handbook.directory import Account, Person
from bot.render import is_slack_user, someone
from storage.directory import DirectoryRepository

if TYPE_CHECKING:
    from bot.deps import Deps


@dataclass(frozen=True, slots=True)
class FoundWithOwner:
    found: Found
    owner: Person | None


async def account_for(deps: Deps, user_id: str, text: str) -> Found:
    """The account `user_id` means by `text` (id, name, part of a name), or the closest candidates."""
    async with deps.db.reads() as session:
        repo = DirectoryRepository(session)
        return await find_account(repo, await repo.person(user_id), text)


async def account_and_owner(deps: Deps, user_id: str, text: str) -> FoundWithOwner:
    async with deps.db.reads() as session:
        repo = DirectoryRepository(session)
        found = await find_account(repo, await repo.person(user_id), text)
        owner = await repo.person(found.account.owner or "") if found.account else None
    return FoundWithOwner(found, owner)


async def account(deps: Deps, account_id: str) -> Account | None:
    async with deps.db.reads() as session:
        return await DirectoryRepository(session).account(account_id)


async def person(deps: Deps, user_id: str) -> Person | None:
    async with deps.db.reads() as session:
        return await DirectoryRepository(session).person(user_id)


async def name_of(deps: Deps, user_id: str) -> str:
    """A person's display name, or their id when the directory doesn't know them."""
    found = await person(deps, user_id)
    return found.name if found else user_id


async def shown(deps: Deps, user_ids: Iterable[str]) -> list[str | dict[str, str]]:
    """People in the order given, for a message (`someone` in bot/render.py): Slack ids, which templates
    show as mentions, and the names of the people Slack doesn't know."""
    ids = list(user_ids)
    others = [i for i in ids if not is_slack_user(i)]
    people = {}
    if others:
        async with deps.db.reads() as session:
            people = await DirectoryRepository(session).people(others)
    return [someone(i, people[i].name if i in people else None) for i in ids]


async def mention_in(deps: Deps, text: str) -> Split:
    """`ACCOUNT @rep` split into the account text and the rep's Slack id (None for an unknown handle)."""
    async with deps.db.reads() as session:
        people = (await DirectoryRepository(session).people()).values()
    return split_mention(text, people)
