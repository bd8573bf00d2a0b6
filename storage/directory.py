"""DirectoryRepository: people, regions, accounts and opportunities. All SQL here; never commits."""

from __future__ import annotations

import dataclasses
import hashlib
import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import date
from typing import Any, Protocol, TypeVar

from sqlalchemy import bindparam, event, func, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from bot.handbook.directory import Account, AccountType, Address, Opportunity, Person, Region, Role, Segment
from storage import core
from storage.db import InlineConnection, ReadPool
from storage.models import AccountRow, DirectoryVersionRow, OpportunityRow, PersonRow, RegionRow
from storage.next_read import NextRead
from storage.upsert import upsert_many


def to_person(row: Any) -> Person:
    return Person(
        slack_id=row.slack_id,
        name=row.name,
        email=row.email,
        role=Role(row.role),
        region=row.region,
        segment=Segment(row.segment) if row.segment else None,
        manager=row.manager,
        team_lead=row.team_lead,
        public_sector=row.public_sector,
        e_group=row.e_group,
    )


def to_region(row: RegionRow) -> Region:
    return Region(name=row.name, countries=tuple(row.countries), states=tuple(row.states))


NO_ADDRESS = Address()  # shared by every account without that address (most have few of the five)


def to_account(row: Any) -> Account:
    """An ORM row or a Core row of the accounts table (both have the columns as attributes)."""

    def address(prefix: str) -> Address:
        country, state = getattr(row, f"{prefix}_country"), getattr(row, f"{prefix}_state")
        return NO_ADDRESS if country is None and state is None else Address(country, state)

    return Account(
        account_id=row.account_id,
        name=row.name,
        parent_id=row.parent_id,
        owner=row.owner,
        type=AccountType(row.type) if row.type else None,
        named=row.named,
        website=row.website,
        employees_datafox=row.employees_datafox,
        employees_zoominfo=row.employees_zoominfo,
        employees_override=row.employees_override,
        override_address=address("override"),
        datafox_address=address("datafox"),
        zoominfo_address=address("zoominfo"),
        shipping_address=address("shipping"),
        billing_address=address("billing"),
        public_sector=row.public_sector,
        sdr=row.sdr,
    )


def to_opportunity(row: Any) -> Opportunity:
    return Opportunity(
        opportunity_id=row.opportunity_id,
        name=row.name,
        account_id=row.account_id,
        owner=row.owner,
        stage=row.stage,
        type=row.type,
        created_date=row.created_date,
        amount=row.amount,
        close_date=row.close_date,
        parent_opportunity_id=row.parent_opportunity_id,
        sdr=row.sdr,
    )


def roots(parents: dict[str, str | None]) -> dict[str, str]:
    """Ultimate parent of every account; a cycle or a dangling parent stops at the last known account."""
    result: dict[str, str] = {}
    for start in parents:
        path: list[str] = []
        node = start
        seen: set[str] = set()
        while node not in result:
            seen.add(node)
            path.append(node)
            parent = parents.get(node)
            if parent is None or parent not in parents or parent in seen:
                break
            node = parent
        root = result.get(node, node)
        for member in path:
            result[member] = root
    return result


OVERRIDES = ("employees_override", "override_country", "override_state")
CHUNK = 10_000  # ids per IN (...): under PostgreSQL's 32,767 bound parameters a statement
ACCOUNT_COLUMNS = tuple(AccountRow.__table__.c)
PERSON_COLUMNS = tuple(PersonRow.__table__.c)
OPPORTUNITY_COLUMNS = tuple(OpportunityRow.__table__.c)
# Directory versions (see bump_version): "org" people and regions, "accounts" the set of accounts, their
# names and hierarchies (imports), "opportunities" any opportunity, and one per hierarchy for what changes
# inside it (an owner, a reviewed count or address).
ORG, ACCOUNTS, OPPORTUNITIES = "org", "accounts", "opportunities"


def root_version(root_id: str | None) -> str:
    """The version name of one hierarchy (hashed: ids may be longer than the name column)."""
    return "root:" + hashlib.blake2b((root_id or "").encode(), digest_size=12).hexdigest()


TYPES = {t.value: t for t in AccountType}
T = TypeVar("T")


def slot_builder(cls: type[T]) -> Callable[..., T]:
    """A positional constructor for a frozen, slotted dataclass that sets each field through its slot: about
    half the CPU of the generated __init__ (which calls object.__setattr__ by name for every field), for the
    rows a look-up turns into Accounts and Opportunities. Every field is given, in order; the class has no
    __post_init__ (there is nothing to run it)."""
    if not dataclasses.is_dataclass(cls) or hasattr(cls, "__post_init__"):
        raise TypeError(f"{cls.__name__} is not a dataclass without __post_init__")
    names = [f.name for f in dataclasses.fields(cls)]
    source = (
        f"def build({', '.join(names)}):\n    made = new(cls)\n"
        + "".join(f"    set_{name}(made, {name})\n" for name in names)
        + "    return made\n"
    )
    scope: dict[str, Any] = {"new": object.__new__, "cls": cls}
    scope.update({f"set_{name}": getattr(cls, name).__set__ for name in names})
    exec(source, scope)  # noqa: S102 (the fields' names of our own dataclass)
    return scope["build"]  # type: ignore[no-any-return]


new_account = slot_builder(Account)
new_opportunity = slot_builder(Opportunity)


def accounts_from_rows(rows: Iterable[Sequence[Any]]) -> list[Account]:
    """Rows of ACCOUNT_COLUMNS (in that order) as Accounts, like to_account, with each repeated value (a
    parent id, an owner, a website, an address, a count) one shared object across the rows: a read cache
    keeps tens of thousands of these (bot/features/directory/cache.py)."""
    shared: dict[Any, Any] = {}
    share = shared.setdefault
    addresses: dict[tuple[str | None, str | None], Address] = {(None, None): NO_ADDRESS}

    def address(country: str | None, state: str | None) -> Address:
        found = addresses.get((country, state))
        if found is None:
            found = addresses[(country, state)] = Address(country, state)
        return found

    found: list[Account] = []
    for row in rows:
        (account_id, name, parent_id, owner, type_, named, website, datafox, zoominfo, override,
         oc, os_, dc, ds, zc, zs, sc, ss, bc, bs, public, sdr) = row[:22]  # fmt: skip
        found.append(
            new_account(
                share(account_id, account_id),
                name,
                share(parent_id, parent_id),
                share(owner, owner),
                TYPES[type_] if type_ else None,
                named if named is None else bool(named),
                share(website, website),
                share(datafox, datafox),
                share(zoominfo, zoominfo),
                share(override, override),
                address(oc, os_),
                address(dc, ds),
                address(zc, zs),
                address(sc, ss),
                address(bc, bs),
                public if public is None else bool(public),
                share(sdr, sdr),
            )
        )
    return found


# Built once: a look-up runs these with parameters, skipping SQLAlchemy's per-call construction. Written on
# the tables' columns (Core), not the mapped classes' attributes: a statement naming a mapped class goes
# through the ORM's compile and loading steps at every execution, which cost a click's hierarchy and
# opportunity reads more CPU than SQLite's own work (they return plain rows either way).
_A, _V, _O = AccountRow.__table__.c, DirectoryVersionRow.__table__.c, OpportunityRow.__table__.c
VERSIONS = select(_V.name, _V.token).where(_V.name.in_(bindparam("names", expanding=True)))
HIERARCHY = select(*ACCOUNT_COLUMNS).where(_A.root_id == bindparam("root"))
ACCOUNTS_BY_ID = select(*ACCOUNT_COLUMNS).where(_A.account_id.in_(bindparam("ids", expanding=True)))
_ROOT_OF = select(_A.root_id).where(_A.account_id == bindparam("account_id")).scalar_subquery()
HIERARCHY_OF = select(*ACCOUNT_COLUMNS).where(_A.root_id == _ROOT_OF)
_named = AccountRow.__table__.alias("named_accounts")
NAMED_COUNT = (
    select(func.count()).select_from(_named).where(_named.c.owner == bindparam("owner"), _named.c.named)
)
# A hierarchy and how many named accounts someone owns, in one statement (a click's re-check asks both).
HIERARCHY_OF_WITH_NAMED = select(*ACCOUNT_COLUMNS, NAMED_COUNT.scalar_subquery()).where(
    _A.root_id == _ROOT_OF
)
# Core, not the ORM's bulk UPDATE (which would look for loaded accounts to synchronize: none are kept,
# accounts are read as Core rows, see `accounts`).
_ACCOUNTS = AccountRow.__table__


def _set_owner(ids: Any) -> Any:
    return (
        update(_ACCOUNTS)
        .where(_ACCOUNTS.c.account_id.in_(ids))
        .values(owner=bindparam("owner"))
        .returning(_ACCOUNTS.c.root_id)
    )


def _opportunities_of(ids: Any) -> Any:
    return select(*OPPORTUNITY_COLUMNS).where(_O.account_id.in_(ids)).order_by(_O.created_date)


SMALL_IN = 32  # up to this many ids, an IN list is one of six statements, padded (see with_ids)
_by_count: dict[tuple[Callable[[Any], Any], int], Any] = {}


def with_ids(build: Callable[[Any], Any], ids: Sequence[Any], **params: Any) -> tuple[Any, dict[str, Any]]:
    """`build(in_list)` and its parameters for these ids. SQLAlchemy renders an expanding IN parameter
    anew at every execution (a regular expression over the whole statement), which cost a click's
    transfer more CPU than its two statements' database work: a short list gets a statement with one
    bound parameter per id instead, built once per length; a long one the expanding parameter.

    The lengths are 1, 2, 4... 32, the last id repeated up to the length (an id twice in an IN list is
    one match): each distinct statement is prepared and planned once on each pooled PostgreSQL
    connection, so six lengths cost a pool far fewer of those than one per hierarchy size."""
    if len(ids) > SMALL_IN:
        return build(bindparam("ids", expanding=True)), {"ids": list(ids), **params}
    length = 1 << max(len(ids) - 1, 0).bit_length()
    key = (build, length)
    if key not in _by_count:
        _by_count[key] = build([bindparam(f"id{i}") for i in range(length)])
    padded = [*ids, *[ids[-1]] * (length - len(ids))] if ids else [None]
    return _by_count[key], {**{f"id{i}": value for i, value in enumerate(padded)}, **params}


def _columns(columns: Sequence[Any]) -> str:
    return ", ".join(c.name for c in columns)


# The same statements as plain SQLite text, for InlineDirectoryReads ("{}": one ? per value).
INLINE_VERSIONS = "SELECT name, token FROM directory_versions WHERE name IN ({})"
INLINE_HIERARCHY = f"SELECT {_columns(ACCOUNT_COLUMNS)} FROM accounts WHERE root_id = ?"  # noqa: S608
INLINE_OPPORTUNITIES = (
    f"SELECT {_columns(OPPORTUNITY_COLUMNS)} FROM opportunities "  # noqa: S608
    "WHERE account_id IN ({}) ORDER BY created_date"
)


def _day(value: str | date | None) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else value


class InlineDirectoryReads:
    """The read cache's small reads on SQLite, run in the calling thread on the process's inline connection
    (storage/db.py inline_engine, InlineConnection): the same statements as DirectoryRepository's, without
    aiosqlite's thread hand-offs, and on the driver's own cursor (SQLAlchemy's statement execution cost
    more CPU than SQLite's primary-key read).
    Types come back as SQLite stores them: booleans as 0/1 and dates as ISO text, converted here."""

    def __init__(self, inline: InlineConnection) -> None:
        self.inline = inline
        self._conn: Any = None  # the process's inline connection while this reader holds it

    def usable(self) -> bool:
        """False while another reader holds the inline connection (then read through the async driver:
        waiting for it here would block the event loop)."""
        return self._conn is not None or not self.inline.busy

    def release(self) -> None:
        """Give the connection back. Call it before anything that yields to the event loop: reads here never
        do, so one look-up's reads share one loan."""
        if self._conn is not None:
            self._conn = None
            self.inline.give_back()

    def _rows(self, sql: str, parameters: Sequence[Any]) -> list[Any]:
        dialect = self.inline.engine.dialect
        error_type = dialect.loaded_dbapi.Error
        try:
            if self._conn is None:
                self._conn = self.inline.take()
            cursor = self._conn.cursor()
            try:
                return cursor.execute(sql, parameters).fetchall()
            finally:
                cursor.close()
        except error_type as error:  # as SQLAlchemy raises it (a database that is away is a DBAPIError)
            if self._conn is not None:
                self._conn = None
                self.inline.invalidate()
            raise DBAPIError.instance(sql, parameters, error, error_type, dialect=dialect) from error

    async def versions_of(self, names: Sequence[str]) -> dict[str, str]:
        sql = INLINE_VERSIONS.format(", ".join("?" * len(names)))
        return dict(self._rows(sql, names))

    async def hierarchy(self, root_id: str) -> list[Account]:
        return accounts_from_rows(self._rows(INLINE_HIERARCHY, (root_id,)))

    async def opportunities_for(self, account_ids: Sequence[str]) -> list[Opportunity]:
        sql = INLINE_OPPORTUNITIES.format(", ".join("?" * len(account_ids)))
        return [
            new_opportunity(i, n, a, o, st, t, _day(created), amount, _day(close), parent, sdr)
            for i, n, a, o, st, t, created, amount, close, parent, sdr in self._rows(sql, account_ids)
        ]


def _row(columns: Sequence[Any]) -> str:
    return "ROW(" + _columns(columns) + ")"


# PostgreSQL: look-ups' reads as one statement and one round trip (DirectReads): versions, the hierarchies
# of some roots, the opportunities of some accounts. Each part is an array of anonymous records (asyncpg
# returns tuples, typed as the columns are); a NULL parameter skips its part.
DIRECT_READS = (
    f"SELECT ARRAY(SELECT ROW(name, token) FROM directory_versions WHERE name = ANY($1::text[])), "  # noqa: S608
    f"ARRAY(SELECT {_row(ACCOUNT_COLUMNS)} FROM accounts WHERE root_id = ANY($2::text[])), "
    f"ARRAY(SELECT {_row(OPPORTUNITY_COLUMNS)} FROM opportunities WHERE account_id = ANY($3::text[]) "
    "ORDER BY created_date)"
)


@dataclasses.dataclass(frozen=True, slots=True)
class DirectoryRead:
    """What one DirectReads statement found, all in one snapshot: versions by name (a name never bumped is
    absent), the hierarchy of `root` and the opportunities of `account_ids` (None: not asked)."""

    tokens: dict[str, str]
    root: str | None
    hierarchy: list[Account] | None
    account_ids: list[str] | None
    opportunities: list[Opportunity] | None


@dataclasses.dataclass(frozen=True, slots=True)
class _Ask:
    names: tuple[str, ...]
    root: str | None
    account_ids: list[str] | None


@dataclasses.dataclass(frozen=True, slots=True)
class _Found:
    """What one DirectReads statement found for several look-ups: tokens by name, accounts by root id,
    opportunities by account id (in created_date order)."""

    tokens: dict[str, str]
    hierarchies: dict[str, list[Account]]
    opportunities: dict[str, list[Opportunity]]

    def part(self, ask: _Ask) -> DirectoryRead:
        ids = ask.account_ids
        opportunities = None if ids is None else [o for i in ids for o in self.opportunities.get(i, ())]
        if ids is not None and len(ids) > 1:  # each account's came sorted; the whole must be too
            opportunities.sort(key=lambda o: (o.created_date is None, o.created_date or date.min))
        return DirectoryRead(
            {name: token for name in ask.names if (token := self.tokens.get(name)) is not None},
            ask.root,
            None if ask.root is None else self.hierarchies.get(ask.root, []),
            ids,
            opportunities,
        )


class DirectReads:
    """The read cache's reads on PostgreSQL, on a plain asyncpg connection (storage/db.py ReadPool): the
    version check, and with it the hierarchy and opportunities the caller expects to need, in one statement
    (one round trip, one snapshot) instead of a session's seven round trips. Concurrent look-ups share
    that statement (storage/next_read.py: each joins the next one to start, never one in flight), so one
    instance serves a whole process. Same rows as DirectoryRepository's hierarchy and opportunities_for
    (tests/test_directory_cache.py compares them)."""

    def __init__(self, pool: ReadPool) -> None:
        self.pool = pool
        self._next: NextRead[_Ask, _Found] = NextRead(self._read)

    async def read(
        self,
        names: Sequence[str],
        *,
        root: str | None = None,
        account_ids: Sequence[str] | None = None,
        alone: bool = False,
    ) -> DirectoryRead:
        """`alone`: in a statement of its own (a large hierarchy, which others should not wait for)."""
        ask = _Ask(tuple(names), root, None if account_ids is None else list(account_ids))
        found = await (self._read([ask]) if alone else self._next.join(ask))
        return found.part(ask)

    async def _read(self, asks: list[_Ask]) -> _Found:
        names = sorted({name for ask in asks for name in ask.names})
        roots = sorted({ask.root for ask in asks if ask.root is not None}) or None
        ids = sorted({i for ask in asks for i in ask.account_ids or ()})
        asked = any(ask.account_ids is not None for ask in asks)
        versions, accounts, opportunities = await self.pool.fetchrow(
            DIRECT_READS, names, roots, ids if asked else None
        )
        by_root: dict[str, list[Any]] = {}
        for row in accounts:
            by_root.setdefault(row[-1], []).append(row)  # root_id, the last of ACCOUNT_COLUMNS
        by_account: dict[str, list[Opportunity]] = {}
        for row in opportunities:
            by_account.setdefault(row[2], []).append(new_opportunity(*row))  # account_id
        hierarchies = {root: accounts_from_rows(rows) for root, rows in by_root.items()}
        return _Found(dict(versions), hierarchies, by_account)


class PeopleCache(Protocol):
    """A process's copy of the people, kept under the "org" version (bot/features/directory/cache.py)."""

    async def people_for(
        self, token: str | None, load: Callable[[], Awaitable[dict[str, Person]]]
    ) -> dict[str, Person]: ...


_MEMO = "directory_reads"


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _forget_reads(session: Session) -> None:
    """What one transaction read is not kept for the next one on the same session."""
    for reads in (session.info.get(_MEMO) or {}).values():
        reads.clear()


class DirectoryRepository:
    def __init__(self, session: AsyncSession, people_cache: PeopleCache | None = None) -> None:
        self.session = session
        self._versions: dict[str, str] | None = None
        # With a cache, people are read from it once this transaction has seen the org version (one
        # primary-key read), instead of a query per person; a transaction that writes people reads its own.
        self.people_cache = people_cache
        self._people: dict[str, Person] | None = None
        # Versions, hierarchies and named counts read in this transaction (a click's re-check, then its
        # transfer), kept on the session so that every write to the directory, through any repository,
        # forgets them (each write bumps a version: bump_version).
        memo = session.info.setdefault(_MEMO, {"tokens": {}, "hierarchies": {}, "named": {}, "derived": {}})
        self._tokens: dict[str, str | None] = memo["tokens"]
        self._hierarchies: dict[str, list[Account]] = memo["hierarchies"]
        self._named: dict[str, int] = memo["named"]
        # What callers computed from those reads (an account's view, bot/features/ownership/service.py),
        # kept and forgotten with them.
        self.derived: dict[Any, Any] = memo["derived"]

    async def _all_people(self) -> dict[str, Person] | None:
        if self.people_cache is None:
            return None
        if self._people is None:
            token = (await self.versions_of([ORG])).get(ORG)
            self._people = await self.people_cache.people_for(token, self._load_people)
        return self._people

    async def _load_people(self) -> dict[str, Person]:
        return {r.slack_id: to_person(r) for r in await self.session.execute(select(*PERSON_COLUMNS))}

    # ---- people and regions ------------------------------------------------------------------------
    async def replace_regions(self, regions: list[dict[str, Any]]) -> None:
        names = [r["name"] for r in regions]
        await upsert_many(self.session, RegionRow, regions, ["name"])
        await self.bump_version(ORG)
        for row in await self.session.scalars(select(RegionRow).where(RegionRow.name.not_in(names))):
            await self.session.delete(row)

    async def upsert_people(self, people: list[dict[str, Any]]) -> None:
        await upsert_many(self.session, PersonRow, people, ["slack_id"])
        await self.bump_version(ORG)
        self._people = None

    async def person_keys(self) -> dict[str, str]:
        """slack_id and lower-case email -> slack_id, for resolving CSV owner columns."""
        keys: dict[str, str] = {}
        for slack_id, email in await self.session.execute(select(PersonRow.slack_id, PersonRow.email)):
            keys[slack_id] = slack_id
            if email:
                keys[email.lower()] = slack_id
        return keys

    async def person(self, slack_id: str) -> Person | None:
        cached = await self._all_people()
        if cached is not None:
            return cached.get(slack_id)
        row = await self.session.get(PersonRow, slack_id)
        return to_person(row) if row else None

    async def people(self, slack_ids: Iterable[str] | None = None) -> dict[str, Person]:
        cached = await self._all_people()
        if cached is not None:
            if slack_ids is None:
                return dict(cached)
            return {i: cached[i] for i in slack_ids if i in cached}
        stmt = select(*PERSON_COLUMNS)
        if slack_ids is not None:
            stmt = stmt.where(PersonRow.slack_id.in_(list(slack_ids)))
        return {row.slack_id: to_person(row) for row in await self.session.execute(stmt)}

    async def people_with_roles(self, roles: Iterable[Role]) -> list[Person]:
        rows = await self.session.scalars(
            select(PersonRow).where(PersonRow.role.in_([r.value for r in roles])).order_by(PersonRow.slack_id)
        )
        return [to_person(row) for row in rows]

    async def regions(self) -> list[Region]:
        return [
            to_region(r) for r in await self.session.scalars(select(RegionRow).order_by(RegionRow.position))
        ]

    # ---- accounts ---------------------------------------------------------------------------------
    async def upsert_accounts(
        self, rows: list[dict[str, Any]], on_batch: Callable[[int], None] | None = None
    ) -> None:
        # Overrides come from Sales Ops' applied reviews as well as from the file: an empty cell in a
        # re-import keeps the stored override instead of silently undoing the review.
        await upsert_many(
            self.session, AccountRow, rows, ["account_id"], on_batch=on_batch, keep_when_null=OVERRIDES
        )
        await self.bump_version(ACCOUNTS)

    async def bump_version(self, *names: str) -> None:
        """Tell every process that this part of the directory changed, in the writing transaction: their
        read caches (bot/features/directory/cache.py) compare these tokens on every look-up."""
        rows = [{"name": name, "token": uuid.uuid4().hex} for name in sorted(set(names))]
        await upsert_many(self.session, DirectoryVersionRow, rows, ["name"])
        self._versions = None
        self._tokens.clear()
        self._hierarchies.clear()
        self._named.clear()
        self.derived.clear()

    async def versions_of(self, names: Sequence[str]) -> dict[str, str]:
        """The tokens of these versions (a name never bumped is absent): one primary-key read, once per
        name in this repository until it bumps a version."""
        missing = [name for name in names if name not in self._tokens]
        if missing:
            found = {n: t for n, t in await self.session.execute(VERSIONS, {"names": missing})}
            self._tokens.update((name, found.get(name)) for name in missing)
        return {name: token for name in names if (token := self._tokens[name]) is not None}

    def remember_versions(self, tokens: dict[str, str | None]) -> None:
        """Versions another query of this transaction read with its own rows (None: never bumped), so
        `versions_of` answers them without a query (a click's first read brings the "org" one)."""
        for name, token in tokens.items():
            self._tokens.setdefault(name, token)

    async def versions(self) -> dict[str, str]:
        """Every directory version, read once per repository (one request or transaction)."""
        if self._versions is None:
            rows = await self.session.execute(select(DirectoryVersionRow.name, DirectoryVersionRow.token))
            self._versions = {name: token for name, token in rows}
        return self._versions

    async def accounts(self, account_ids: Sequence[str]) -> dict[str, Account]:
        if not account_ids:  # an empty list (nothing to look up) costs no statement
            return {}
        rows = await self.session.execute(ACCOUNTS_BY_ID, {"ids": list(account_ids)})
        return {r.account_id: to_account(r) for r in rows}

    async def existing_account_ids(self, ids: Iterable[str]) -> set[str]:
        ids = list(set(ids))
        found: set[str] = set()
        for start in range(0, len(ids), 5000):
            chunk = ids[start : start + 5000]
            found.update(
                await self.session.scalars(
                    select(AccountRow.account_id).where(AccountRow.account_id.in_(chunk))
                )
            )
        return found

    async def recompute_roots(self) -> int:
        """Store every account's ultimate parent; returns how many rows changed."""
        current = {
            account_id: (parent_id, root_id)
            for account_id, parent_id, root_id in await self.session.execute(
                select(AccountRow.account_id, AccountRow.parent_id, AccountRow.root_id)
            )
        }
        computed = roots({k: v[0] for k, v in current.items()})
        changed = [{"account_id": k, "root_id": r} for k, r in computed.items() if current[k][1] != r]
        for start in range(0, len(changed), 1000):
            batch = changed[start : start + 1000]
            await self.session.execute(update(AccountRow), batch)
        if changed:
            await self.bump_version(ACCOUNTS)
        return len(changed)

    async def account(self, account_id: str) -> Account | None:
        for members in self._hierarchies.values():
            for account in members:
                if account.account_id == account_id:
                    return account
        row = (
            await self.session.execute(select(*ACCOUNT_COLUMNS).where(AccountRow.account_id == account_id))
        ).first()
        return to_account(row) if row else None

    async def hierarchy(self, root_id: str) -> list[Account]:
        """Every account whose stored ultimate parent is `root_id` (Core rows: no ORM objects to build)."""
        return accounts_from_rows(await self.session.execute(HIERARCHY, {"root": root_id}))

    async def hierarchy_of(self, account_id: str, *, named_of: str | None = None) -> list[Account]:
        """Every account under the same ultimate parent as this one (one indexed query, once for each
        account in a transaction until it writes to the directory). With `named_of`, the same statement
        also counts that person's named accounts, for a later `named_count` in this transaction."""
        if account_id not in self._hierarchies:
            if named_of is None or named_of in self._named:
                rows = await core.rows(self.session, HIERARCHY_OF, {"account_id": account_id})
            else:
                params = {"account_id": account_id, "owner": named_of}
                rows = await core.rows(self.session, HIERARCHY_OF_WITH_NAMED, params)
                if rows:
                    self._named[named_of] = int(rows[0][-1] or 0)
            self._hierarchies[account_id] = accounts_from_rows(rows)
        return list(self._hierarchies[account_id])

    async def account_names(self) -> list[tuple[str, str, bool]]:
        """(account_id, name, public_sector) of every account, for the forgiving name matcher."""
        result = await self.session.execute(
            select(AccountRow.account_id, AccountRow.name, AccountRow.public_sector)
        )
        return [(a, n, bool(p)) for a, n, p in result]

    async def account_index(self) -> list[tuple[str, str, bool, str | None]]:
        """(account_id, name, public_sector, root_id) of every account, for the read cache."""
        result = await self.session.execute(
            select(AccountRow.account_id, AccountRow.name, AccountRow.public_sector, AccountRow.root_id)
        )
        return [(a, n, bool(p), r) for a, n, p, r in result]

    async def named_count(self, owner: str) -> int:
        if owner not in self._named:
            self._named[owner] = int(await self.session.scalar(NAMED_COUNT, {"owner": owner}) or 0)
        return self._named[owner]

    async def set_owner(self, account_ids: Sequence[str], owner: str) -> None:
        # In chunks: PostgreSQL takes at most 32,767 parameters a statement (a hierarchy can be larger).
        ids, roots, known = list(account_ids), set(), dict(self._hierarchies)
        for start in range(0, len(ids), CHUNK):
            stmt, params = with_ids(_set_owner, ids[start : start + CHUNK], owner=owner)
            roots.update(root for (root,) in await core.rows(self.session, stmt, params))
        await self.touch_hierarchies(roots)
        moved = set(ids)  # the hierarchies read before stay known, with the new owner
        self._hierarchies.update(
            (key, [dataclasses.replace(a, owner=owner) if a.account_id in moved else a for a in members])
            for key, members in known.items()
        )

    async def touch_hierarchies(self, root_ids: Iterable[str | None]) -> None:
        """Something inside these hierarchies changed (an owner, a count, an address)."""
        names = [root_version(r) for r in set(root_ids)]
        if names:
            await self.bump_version(*names)

    async def touch_accounts(self, account_ids: Sequence[str]) -> None:
        """Like touch_hierarchies, for the hierarchies these accounts are in."""
        roots = await self.session.scalars(
            select(AccountRow.root_id).where(AccountRow.account_id.in_(list(account_ids))).distinct()
        )
        await self.touch_hierarchies(list(roots))

    # ---- opportunities -----------------------------------------------------------------------------
    async def upsert_opportunities(
        self, rows: list[dict[str, Any]], on_batch: Callable[[int], None] | None = None
    ) -> None:
        await upsert_many(self.session, OpportunityRow, rows, ["opportunity_id"], on_batch=on_batch)
        await self.bump_version(OPPORTUNITIES)

    async def opportunity(self, opportunity_id: str) -> Opportunity | None:
        row = await self.session.get(OpportunityRow, opportunity_id)
        return to_opportunity(row) if row else None

    async def opportunities_for(self, account_ids: Sequence[str]) -> list[Opportunity]:
        ids, found = list(account_ids), []
        for start in range(0, len(ids), CHUNK):  # PostgreSQL's parameter limit, as in set_owner
            stmt, params = with_ids(_opportunities_of, ids[start : start + CHUNK])
            found += [to_opportunity(r) for r in await core.rows(self.session, stmt, params)]
        if len(ids) > CHUNK:  # each chunk came sorted; the whole must be too
            found.sort(key=lambda o: (o.created_date is None, o.created_date or date.min))
        return found

    async def opportunities_named_like(self, text: str, limit: int = 10) -> list[Opportunity]:
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_").lower() + "%"
        rows = await self.session.scalars(
            select(OpportunityRow)
            .where(func.lower(OpportunityRow.name).like(pattern, escape="\\"))
            .order_by(func.length(OpportunityRow.name))
            .limit(limit)
        )
        return [to_opportunity(r) for r in rows]
