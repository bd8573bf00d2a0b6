"""DirectoryRepository: people, regions, accounts and opportunities. All SQL here; never commits."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.handbook.directory import Account, AccountType, Address, Opportunity, Person, Region, Role, Segment
from storage.models import AccountRow, DirectoryVersionRow, OpportunityRow, PersonRow, RegionRow
from storage.upsert import upsert_many


def to_person(row: PersonRow) -> Person:
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
    )


def to_region(row: RegionRow) -> Region:
    return Region(name=row.name, countries=tuple(row.countries), states=tuple(row.states))


def to_account(row: AccountRow) -> Account:
    def address(prefix: str) -> Address:
        return Address(getattr(row, f"{prefix}_country"), getattr(row, f"{prefix}_state"))

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


def to_opportunity(row: OpportunityRow) -> Opportunity:
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


class DirectoryRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._versions: dict[str, str] | None = None

    # ---- people and regions ------------------------------------------------------------------------
    async def replace_regions(self, regions: list[dict[str, Any]]) -> None:
        names = [r["name"] for r in regions]
        await upsert_many(self.session, RegionRow, regions, ["name"])
        await self.bump_version("org")
        for row in await self.session.scalars(select(RegionRow).where(RegionRow.name.not_in(names))):
            await self.session.delete(row)

    async def upsert_people(self, people: list[dict[str, Any]]) -> None:
        await upsert_many(self.session, PersonRow, people, ["slack_id"])

    async def person_keys(self) -> dict[str, str]:
        """slack_id and lower-case email -> slack_id, for resolving CSV owner columns."""
        keys: dict[str, str] = {}
        for slack_id, email in await self.session.execute(select(PersonRow.slack_id, PersonRow.email)):
            keys[slack_id] = slack_id
            if email:
                keys[email.lower()] = slack_id
        return keys

    async def person(self, slack_id: str) -> Person | None:
        row = await self.session.get(PersonRow, slack_id)
        return to_person(row) if row else None

    async def people(self, slack_ids: Iterable[str] | None = None) -> dict[str, Person]:
        stmt = select(PersonRow)
        if slack_ids is not None:
            stmt = stmt.where(PersonRow.slack_id.in_(list(slack_ids)))
        return {row.slack_id: to_person(row) for row in await self.session.scalars(stmt)}

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
        await self.bump_version("accounts")

    async def bump_version(self, name: str) -> None:
        """Tell every process that this part of the directory changed (their name indexes are stale)."""
        await upsert_many(
            self.session, DirectoryVersionRow, [{"name": name, "token": uuid.uuid4().hex}], ["name"]
        )
        self._versions = None

    async def versions(self) -> dict[str, str]:
        """Every directory version, read once per repository (one request or transaction)."""
        if self._versions is None:
            rows = await self.session.execute(select(DirectoryVersionRow.name, DirectoryVersionRow.token))
            self._versions = {name: token for name, token in rows}
        return self._versions

    async def accounts(self, account_ids: Sequence[str]) -> dict[str, Account]:
        rows = await self.session.scalars(
            select(AccountRow).where(AccountRow.account_id.in_(list(account_ids)))
        )
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
        return len(changed)

    async def account(self, account_id: str) -> Account | None:
        row = await self.session.get(AccountRow, account_id)
        return to_account(row) if row else None

    async def hierarchy(self, root_id: str) -> list[Account]:
        rows = await self.session.scalars(select(AccountRow).where(AccountRow.root_id == root_id))
        return [to_account(r) for r in rows]

    async def hierarchy_of(self, account_id: str) -> list[Account]:
        """Every account under the same ultimate parent as this one (one indexed query)."""
        root = select(AccountRow.root_id).where(AccountRow.account_id == account_id).scalar_subquery()
        rows = await self.session.scalars(select(AccountRow).where(AccountRow.root_id == root))
        return [to_account(r) for r in rows]

    async def root_of(self, account_id: str) -> str | None:
        return await self.session.scalar(
            select(AccountRow.root_id).where(AccountRow.account_id == account_id)
        )

    async def account_names(self) -> list[tuple[str, str, bool]]:
        """(account_id, name, public_sector) of every account, for the forgiving name matcher."""
        result = await self.session.execute(
            select(AccountRow.account_id, AccountRow.name, AccountRow.public_sector)
        )
        return [(a, n, bool(p)) for a, n, p in result]

    async def named_count(self, owner: str) -> int:
        return int(
            await self.session.scalar(
                select(func.count())
                .select_from(AccountRow)
                .where(AccountRow.owner == owner, AccountRow.named)
            )
            or 0
        )

    async def set_owner(self, account_ids: Sequence[str], owner: str) -> None:
        # In chunks: PostgreSQL takes at most 32,767 parameters a statement (a hierarchy can be larger).
        ids = list(account_ids)
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            await self.session.execute(
                update(AccountRow).where(AccountRow.account_id.in_(chunk)).values(owner=owner)
            )

    # ---- opportunities -----------------------------------------------------------------------------
    async def upsert_opportunities(
        self, rows: list[dict[str, Any]], on_batch: Callable[[int], None] | None = None
    ) -> None:
        await upsert_many(self.session, OpportunityRow, rows, ["opportunity_id"], on_batch=on_batch)

    async def opportunity(self, opportunity_id: str) -> Opportunity | None:
        row = await self.session.get(OpportunityRow, opportunity_id)
        return to_opportunity(row) if row else None

    async def opportunities_for(self, account_ids: Sequence[str]) -> list[Opportunity]:
        ids, found = list(account_ids), []
        for start in range(0, len(ids), CHUNK):  # PostgreSQL's parameter limit, as in set_owner
            found += await self.session.scalars(
                select(OpportunityRow).where(OpportunityRow.account_id.in_(ids[start : start + CHUNK]))
            )
        found.sort(key=lambda r: (r.created_date is None, r.created_date or date.min))
        return [to_opportunity(r) for r in found]

    async def opportunities_named_like(self, text: str, limit: int = 10) -> list[Opportunity]:
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_").lower() + "%"
        rows = await self.session.scalars(
            select(OpportunityRow)
            .where(func.lower(OpportunityRow.name).like(pattern, escape="\\"))
            .order_by(func.length(OpportunityRow.name))
            .limit(limit)
        )
        return [to_opportunity(r) for r in rows]
