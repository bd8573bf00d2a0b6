"""A versioned read cache of the directory, so `/gtm owner` and `/gtm segment` cost one query.

What it keeps (per process): the people and regions (under the "org" version), the account-name index
and every account's ultimate parent (under "accounts"), and the most recently asked hierarchies with
their computed segment (each under "accounts" and its own hierarchy version) and open opportunities (also
under "opportunities"). Every directory write bumps the versions it changes in its own transaction
(storage/directory.py: imports, transfers, reviews, holdovers); every look-up reads the versions it
relies on in one primary-key query and reloads only what changed, so several processes stay correct: an
answer is never older than the versions read at the start of the request. A version that was never
written (accounts inserted by hand) is never trusted: that part is reloaded on every request.

Used only by read-only look-ups; a transaction that writes reads the directory itself
(bot/features/ownership/service.py load_view), since it must see its own uncommitted changes.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from sqlalchemy.ext.asyncio import AsyncSession

from bot.features.directory.names import AccountNameIndex, NameMatch
from bot.handbook import ownership as rules
from bot.handbook.directory import Account, Opportunity, Person, Region
from bot.handbook.segments import Hierarchy, SegmentExplanation, effective_segment, hierarchy_of
from bot.handbook.stages import parse_stage
from bot.handbook.territory import Territory, territory_of
from bot.handbook.visibility import PUBLIC, may_see
from storage.db import Database
from storage.directory import (
    ACCOUNTS,
    OPPORTUNITIES,
    ORG,
    DirectoryRead,
    DirectoryRepository,
    DirectReads,
    InlineDirectoryReads,
    root_version,
)

GLOBAL = (ORG, ACCOUNTS, OPPORTUNITIES)
# accounts kept across cached hierarchies (the newest one is kept whatever its size): ~700 bytes each with
# their segment entries, so ~27 MB at the bound (python -m bench.memory)
MAX_MEMBERS = 40_000
# Larger hierarchies are read through the async driver on SQLite, not in the loop's thread, and on their
# own on PostgreSQL, not in a statement other look-ups wait for.
SMALL_MEMBERS = 2_000


@dataclass(frozen=True, slots=True)
class Lookup:
    """What a look-up found: the viewer (None: not in the directory), the account's view (None: no
    account, then `candidates` may list near matches), its open opportunities and people by slack_id."""

    viewer: Person | None
    view: rules.AccountView | None = None
    candidates: list[NameMatch] = field(default_factory=list)
    opportunities: list[Opportunity] = field(default_factory=list)
    people: dict[str, Person] = field(default_factory=dict)
    # The directory versions the view, its opportunities and people were read under (the org, the accounts,
    # the opportunities, the account's hierarchy): the same versions give the same facts, so an answer
    # rendered from them may be reused. None when the cache trusts none of it (see _version).
    version: tuple[str, str, str, str | None] | None = None


@dataclass(slots=True)
class _Org:
    token: str | None
    people: dict[str, Person]
    regions: list[Region]


@dataclass(slots=True)
class _Accounts:
    token: str | None
    index: AccountNameIndex  # names, ids, public sector and every account's ultimate parent


@dataclass(slots=True)
class _Tree:
    """One hierarchy as read under (accounts token, its own token)."""

    tokens: tuple[str | None, str | None]
    members: dict[str, Account]
    base: Hierarchy | None  # the hierarchy seen from its ultimate parent; None when the root is missing
    segment: SegmentExplanation | None
    opportunities: dict[str, tuple[str | None, list[Opportunity]]] = field(default_factory=dict)
    territory: tuple[str, Territory] | None = None  # the ultimate parent's, under this org token (regions)


def _same(cached: str | None, current: str | None) -> bool:
    return cached is not None and cached == current


@lru_cache(maxsize=1024)
def is_open(stage: str) -> bool:
    """Whether an opportunity in this stage is open (a stage nobody recognises counts as open). Cached:
    parse_stage costs ~25 µs, a CRM has a few dozen stage spellings, and a cold look-up checks each of
    the account's opportunities."""
    match = parse_stage(stage)
    return match is None or match.stage.open


class DirectoryCache:
    def __init__(self, max_members: int = MAX_MEMBERS) -> None:
        self.max_members = max_members
        self._org: _Org | None = None
        self._accounts: _Accounts | None = None
        self._trees: OrderedDict[str, _Tree] = OrderedDict()
        self._members = 0
        self._people: tuple[str, dict[str, Person]] | None = None  # for transactions (people_for)
        self._reloading = asyncio.Lock()  # one look-up at a time reloads the people and the name index
        self._direct: DirectReads | None = None  # PostgreSQL: the process's look-ups share their reads

    async def people_for(
        self, token: str | None, load: Callable[[], Awaitable[dict[str, Person]]]
    ) -> dict[str, Person]:
        """Everyone in the directory as of org version `token` (read in the caller's transaction)."""
        for kept in (self._people, (self._org.token, self._org.people) if self._org else None):
            if kept is not None and _same(kept[0], token):
                return kept[1]
        people = await load()
        if token is not None:
            self._people = (token, people)
        return people

    async def warm(self, db: Database) -> None:
        """Read the people and index every account's name now, as the process starts: its first look-ups
        would otherwise wait for it inside their own answer's time (140,000 accounts take about 2 s on a
        2-core machine, and a fresh worker's first look-ups answered "database unavailable")."""
        async with _Reads(db, self._direct_reads(db)) as repo:
            await self._refresh(repo, await repo.versions_of(GLOBAL))

    async def lookup(self, db: Database, user_id: str, text: str, *, opportunities: bool = False) -> Lookup:
        """Find an account the way people type it (id, exact name, substring, fuzzy) for `user_id`;
        public-sector accounts stay hidden from whoever may not see them."""
        async with _Reads(db, self._direct_reads(db)) as repo:
            return await self._lookup(repo, user_id, text, opportunities)

    def _direct_reads(self, db: Database) -> DirectReads | None:
        """One DirectReads for every look-up of this cache (concurrent ones share their statements)."""
        if db.read_pool is None:
            return None
        if self._direct is None or self._direct.pool is not db.read_pool:
            self._direct = DirectReads(db.read_pool)
        return self._direct

    def _resolved(
        self, user_id: str, text: str
    ) -> tuple[_Org, _Accounts, Person | None, str | None, list[NameMatch], str | None]:
        """(org, accounts, viewer, account id, candidates, its root) from what is cached now."""
        org, accounts = self._org, self._accounts
        assert org is not None and accounts is not None
        viewer = org.people.get(user_id)
        account_id, candidates = _resolve(accounts, viewer, text)
        root = accounts.index.root_of(account_id) if account_id else None
        return org, accounts, viewer, account_id, candidates, root

    async def _lookup(self, repo: _Reads, user_id: str, text: str, opportunities: bool) -> Lookup:
        tokens: dict[str, str] | None = None
        for _attempt in range(3):
            if tokens is None and (self._org is None or self._accounts is None):
                tokens = await repo.versions_of(GLOBAL)
            if tokens is not None:
                await self._refresh(repo, tokens)
            org, accounts, viewer, account_id, candidates, root = self._resolved(user_id, text)
            names = (*GLOBAL, root_version(root)) if account_id else GLOBAL
            tokens = await repo.versions_of(names, **self._likely_reads(account_id, root, opportunities))
            if _same(org.token, tokens.get(ORG)) and _same(accounts.token, tokens.get(ACCOUNTS)):
                break  # what we resolved with is current
        else:  # imports kept landing meanwhile: answer from what was just read
            await self._refresh(repo, tokens)
            org, accounts, viewer, account_id, candidates, root = self._resolved(user_id, text)
        if viewer is None or account_id is None:
            return Lookup(viewer, candidates=candidates)
        view = await self._view(repo, tokens, account_id, root, org.regions)
        if view is None or not may_see(viewer, view.account):
            return Lookup(viewer)
        opps = await self._opportunities(repo, tokens, root, account_id) if opportunities else []
        ids = {view.account.owner, view.ultimate_parent.owner} - {None}
        people = {i: org.people[i] for i in ids if i and i in org.people}
        return Lookup(viewer, view, [], opps, people, _version(tokens, root))

    def _likely_reads(self, account_id: str | None, root: str | None, opportunities: bool) -> dict[str, str]:
        """What this look-up will read after the versions unless its cache has it (read with the versions
        where that saves a round trip): a hierarchy not cached at all (unless large: it is read on its own,
        see _tree), opportunities not cached."""
        if account_id is None or root is None:
            return {}
        tree = self._trees.get(root)
        likely = {"root": root} if tree is None and self._small(root) else {}
        if opportunities and (tree is None or account_id not in tree.opportunities):
            likely["account_id"] = account_id
        return likely

    # ---- keeping each part current ----------------------------------------------------------------
    def _current(self, tokens: dict[str, str]) -> bool:
        return (
            self._org is not None
            and self._accounts is not None
            and _same(self._org.token, tokens.get(ORG))
            and _same(self._accounts.token, tokens.get(ACCOUNTS))
        )

    async def _refresh(self, repo: _Reads, tokens: dict[str, str]) -> None:
        """Reload what `tokens` say changed. One look-up reloads; concurrent ones wait and reuse what it
        read: each used to read and index every account itself (five first look-ups at once, 140,000
        accounts: five times the index's transient memory, which the allocator then kept)."""
        if self._current(tokens):
            return
        repo.release_inline()  # waiting for the lock yields to the loop
        async with self._reloading:
            await self._reload(repo, tokens)

    async def _reload(self, repo: _Reads, tokens: dict[str, str]) -> None:
        if self._org is None or not _same(self._org.token, tokens.get(ORG)):
            people = await repo.people()
            self._org = _Org(tokens.get(ORG), people, await repo.regions())
        if self._accounts is None or not _same(self._accounts.token, tokens.get(ACCOUNTS)):
            self._accounts = _Accounts(tokens.get(ACCOUNTS), AccountNameIndex(await repo.account_index()))
            self._trees.clear()
            self._members = 0

    async def _tree(self, repo: _Reads, tokens: dict[str, str], root: str) -> _Tree:
        key = (tokens.get(ACCOUNTS), tokens.get(root_version(root)))
        tree = self._trees.get(root)
        if tree is not None and key[0] is not None and tree.tokens == key:
            self._trees.move_to_end(root)
            return tree
        members = {a.account_id: a for a in await repo.hierarchy(root, small=self._small(root))}
        base = hierarchy_of(root, members) if root in members else None
        tree = _Tree(key, members, base, effective_segment(base) if base else None)
        if key[0] is not None:
            self._store(root, tree)
        return tree

    def _small(self, root: str) -> bool:
        assert self._accounts is not None
        return self._accounts.index.size_of(root) <= SMALL_MEMBERS

    def _store(self, root: str, tree: _Tree) -> None:
        old = self._trees.pop(root, None)
        if old is not None:
            self._members -= len(old.members)
        self._trees[root] = tree
        self._members += len(tree.members)
        while self._members > self.max_members and len(self._trees) > 1:
            _root, evicted = self._trees.popitem(last=False)
            self._members -= len(evicted.members)

    async def _view(
        self,
        repo: _Reads,
        tokens: dict[str, str],
        account_id: str,
        root: str | None,
        regions: list[Region],
    ) -> rules.AccountView | None:
        if root is None:  # hierarchies not computed: read it as the writers do
            members = {a.account_id: a for a in await (await repo.session()).hierarchy_of(account_id)}
            return rules.build_view(account_id, members, regions) if account_id in members else None
        tree = await self._tree(repo, tokens, root)
        account = tree.members.get(account_id)
        if account is None:
            return None
        if tree.base is None or tree.segment is None or not _reaches(tree, account):
            return rules.build_view(account_id, tree.members, regions)  # a loop or a missing parent
        base = tree.base
        hierarchy = Hierarchy(account, base.ultimate_parent, base.members)
        return rules.AccountView(account, hierarchy, tree.segment, _territory(tree, tokens.get(ORG), regions))

    async def _opportunities(
        self, repo: _Reads, tokens: dict[str, str], root: str | None, account_id: str
    ) -> list[Opportunity]:
        token = tokens.get(OPPORTUNITIES)
        tree = self._trees.get(root) if root is not None else None
        cached = tree.opportunities.get(account_id) if tree is not None else None
        if cached is not None and _same(cached[0], token):
            return cached[1]
        found = [o for o in await repo.opportunities_for([account_id]) if is_open(o.stage)]
        if tree is not None and token is not None:
            tree.opportunities[account_id] = (token, found)
        return found


class _Reads:
    """Where the cache reads: version checks, small hierarchies and opportunities inline on SQLite
    (InlineDirectoryReads) or on a plain asyncpg connection on PostgreSQL (`direct`, which reads a
    hierarchy and opportunities the look-up will likely need with the versions), everything else through
    one async read session opened when first needed."""

    def __init__(self, db: Database, direct: DirectReads | None) -> None:
        self.db = db
        self.inline = InlineDirectoryReads(db.inline) if db.inline is not None else None
        self.direct = direct
        self._read_with_versions: DirectoryRead | None = None
        self._stack: contextlib.AsyncExitStack | None = None  # a read session's, once one is needed
        self._repo: DirectoryRepository | None = None

    async def __aenter__(self) -> _Reads:
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.inline is not None:
            self.inline.release()
        if self._stack is not None:
            await self._stack.aclose()

    def release_inline(self) -> None:
        """Before anything that yields to the loop (the inline connection is the process's only one)."""
        if self.inline is not None:
            self.inline.release()

    def _inline(self) -> InlineDirectoryReads | None:
        return self.inline if self.inline is not None and self.inline.usable() else None

    async def session(self) -> DirectoryRepository:
        self.release_inline()  # what follows yields to the loop
        if self._repo is None:
            self._stack = self._stack or contextlib.AsyncExitStack()
            session: AsyncSession = await self._stack.enter_async_context(self.db.reads())
            self._repo = DirectoryRepository(session)
        return self._repo

    async def versions_of(
        self, names: Sequence[str], *, root: str | None = None, account_id: str | None = None
    ) -> dict[str, str]:
        """The versions' tokens; on PostgreSQL also `root`'s hierarchy and `account_id`'s opportunities,
        in the same snapshot, for hierarchy() and opportunities_for() to return under these tokens."""
        if self.direct is not None:
            ids = None if account_id is None else [account_id]
            self._read_with_versions = await self.direct.read(names, root=root, account_ids=ids)
            return self._read_with_versions.tokens
        if (reads := self._inline()) is not None:
            return await reads.versions_of(names)
        return await (await self.session()).versions_of(names)

    async def hierarchy(self, root: str, *, small: bool) -> list[Account]:
        if self.direct is not None:
            read = self._read_with_versions
            if read is not None and read.hierarchy is not None and read.root == root:
                return read.hierarchy
            return (await self.direct.read((), root=root, alone=not small)).hierarchy or []
        if small and (reads := self._inline()) is not None:
            return await reads.hierarchy(root)
        return await (await self.session()).hierarchy(root)

    async def opportunities_for(self, account_ids: Sequence[str]) -> list[Opportunity]:
        if self.direct is not None:
            read = self._read_with_versions
            if read is not None and read.opportunities is not None and read.account_ids == list(account_ids):
                return read.opportunities
            return (await self.direct.read((), account_ids=account_ids)).opportunities or []
        if (reads := self._inline()) is not None:
            return await reads.opportunities_for(account_ids)
        return await (await self.session()).opportunities_for(account_ids)

    async def people(self) -> dict[str, Person]:
        return await (await self.session()).people()

    async def regions(self) -> list[Region]:
        return await (await self.session()).regions()

    async def account_index(self) -> list[tuple[str, str, bool, str | None]]:
        return await (await self.session()).account_index()


def _version(tokens: dict[str, str], root: str | None) -> tuple[str, str, str, str | None] | None:
    """The versions a look-up's facts were read under (Lookup.version), or None where the cache itself trusts
    nothing: a global version never written, or hierarchies not computed. A hierarchy's own version is
    written at its first change after the import that set "accounts" (None until then, as _tree keeps it)."""
    org, accounts, opportunities = tokens.get(ORG), tokens.get(ACCOUNTS), tokens.get(OPPORTUNITIES)
    if root is None or org is None or accounts is None or opportunities is None:
        return None
    return org, accounts, opportunities, tokens.get(root_version(root))


def _territory(tree: _Tree, org: str | None, regions: list[Region]) -> Territory:
    """The tree's territory (its ultimate parent's address and region: the same for every member), kept while
    the regions' version `org` holds."""
    assert tree.base is not None
    if tree.territory is not None and tree.territory[0] == org:
        return tree.territory[1]
    found = territory_of(tree.base, regions)
    if org is not None:
        tree.territory = (org, found)
    return found


def _reaches(tree: _Tree, account: Account) -> bool:
    """True when walking up from `account` ends at the tree's ultimate parent with no loop or gap, so
    its view is the root's (hierarchy_of would compute the same members)."""
    assert tree.base is not None
    if tree.base.cycle or tree.base.missing_parent is not None:
        return False
    node, seen = account, {account.account_id}
    while node.parent_id is not None:
        parent = tree.members.get(node.parent_id)
        if parent is None or parent.account_id in seen:
            return False
        seen.add(parent.account_id)
        node = parent
    return node is tree.base.ultimate_parent


def _resolve(accounts: _Accounts, viewer: Person | None, text: str) -> tuple[str | None, list[NameMatch]]:
    """By id, exact name, substring, then a forgiving fuzzy match (as ownership.find_account)."""
    text = text.strip()
    if not text or viewer is None:
        return None, []
    sees_public = may_see(viewer, PUBLIC)
    index = accounts.index
    at = index.position(text)
    if at is not None and (sees_public or not index.public[at]):
        return text, []
    named = index.exactly(text, public=sees_public)
    if named:
        return named[0].account_id, []
    like = index.containing(text, public=sees_public)
    if len(like) == 1:
        return like[0].account_id, []
    if like:
        return None, like[:5]
    scored = index.fuzzy(text, public=sees_public)
    if scored and scored[0].score >= 90 and (len(scored) == 1 or scored[0].score - scored[1].score >= 5):
        return scored[0].account_id, []
    return None, scored
