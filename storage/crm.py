"""CrmRepository: sync watermarks, Salesforce users, deletions and drift. All SQL here; never commits."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, or_, select, update

from bot.handbook.directory import Account
from storage.directory import ACCOUNTS, OPPORTUNITIES, ORG, DirectoryRepository, roots, to_account
from storage.models import (
    AccountRow,
    CrmDriftRow,
    CrmSyncStateRow,
    CrmUserRow,
    OpportunityRow,
    OutboxRow,
    PersonRow,
)
from storage.upsert import upsert_many

ACCOUNT_COLUMNS = [c.name for c in AccountRow.__table__.columns if c.name != "root_id"]
OPPORTUNITY_COLUMNS = [c.name for c in OpportunityRow.__table__.columns]
WRITE_BACK = "salesforce.owner"  # the outbox method of an owner write-back


def _chunks(items: Sequence[str], size: int = 5000) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class CrmRepository:
    def __init__(self, session: Any) -> None:
        self.session = session

    # ---- watermarks --------------------------------------------------------------------------------
    async def state(self, sobject: str) -> CrmSyncStateRow:
        row = await self.session.get(CrmSyncStateRow, sobject)
        if row is None:
            row = CrmSyncStateRow(sobject=sobject)
            self.session.add(row)
            await self.session.flush()
        return row

    async def states(self) -> dict[str, CrmSyncStateRow]:
        return {r.sobject: r for r in await self.session.scalars(select(CrmSyncStateRow))}

    # ---- users -------------------------------------------------------------------------------------
    async def users(self) -> dict[str, CrmUserRow]:
        return {r.user_id: r for r in await self.session.scalars(select(CrmUserRow))}

    async def user_keys(self) -> dict[str, str]:
        """Salesforce User id -> person key (Slack id, or the User id for someone not in Slack)."""
        rows = await self.session.execute(select(CrmUserRow.user_id, CrmUserRow.person_key))
        return {user_id: key for user_id, key in rows}

    async def user_ids_for(self, person_keys: Iterable[str]) -> dict[str, str]:
        """Person key -> Salesforce User id (for write-backs)."""
        keys = list({k for k in person_keys if k})
        rows = await self.session.execute(
            select(CrmUserRow.person_key, CrmUserRow.user_id).where(CrmUserRow.person_key.in_(keys))
        )
        return {key: user_id for key, user_id in rows}

    async def upsert_users(self, rows: list[dict[str, Any]]) -> None:
        await upsert_many(self.session, CrmUserRow, rows, ["user_id"])

    async def rekey_person(self, old: str, new: str) -> None:
        """Someone's person key changed (found in Slack, or gone from it): move what they own."""
        for model in (AccountRow, OpportunityRow):
            await self.session.execute(update(model).where(model.owner == old).values(owner=new))
            await self.session.execute(update(model).where(model.sdr == old).values(sdr=new))
        await self.session.execute(update(PersonRow).where(PersonRow.manager == old).values(manager=new))
        await self.session.execute(delete(PersonRow).where(PersonRow.slack_id == old))
        # every process's directory cache (bot/features/directory/cache.py) reloads what this changed
        await DirectoryRepository(self.session).bump_version(ORG, ACCOUNTS, OPPORTUNITIES)

    async def remove_people(self, keys: Iterable[str]) -> int:
        keys = list(keys)
        if not keys:
            return 0
        result = await self.session.execute(delete(PersonRow).where(PersonRow.slack_id.in_(keys)))
        await DirectoryRepository(self.session).bump_version(ORG)
        return int(result.rowcount or 0)

    # ---- accounts and opportunities -----------------------------------------------------------------
    async def account_rows(self, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        cols = [AccountRow.__table__.c[c] for c in ACCOUNT_COLUMNS]
        for chunk in _chunks(list(ids)):
            for row in await self.session.execute(select(*cols).where(AccountRow.account_id.in_(chunk))):
                found[row.account_id] = dict(row._mapping)
        return found

    async def opportunity_rows(self, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        cols = [OpportunityRow.__table__.c[c] for c in OPPORTUNITY_COLUMNS]
        for chunk in _chunks(list(ids)):
            query = select(*cols).where(OpportunityRow.opportunity_id.in_(chunk))
            for row in await self.session.execute(query):
                found[row.opportunity_id] = dict(row._mapping)
        return found

    async def parents(self) -> dict[str, str | None]:
        rows = await self.session.execute(select(AccountRow.account_id, AccountRow.parent_id))
        return {a: p for a, p in rows}

    async def _touched_roots(self, account_ids: Iterable[str]) -> set[str]:
        ids = sorted({i for i in account_ids if i})
        found: set[str] = set()
        for chunk in _chunks(ids):
            found.update(
                r
                for r in await self.session.scalars(
                    select(AccountRow.root_id).where(AccountRow.account_id.in_(chunk))
                )
                if r
            )
        return found

    async def parents_near(self, account_ids: Iterable[str]) -> dict[str, str | None]:
        """Parent of every account in the hierarchies these accounts (or parents) belong to."""
        ids = set(account_ids)
        roots = await self._touched_roots(ids)
        found: dict[str, str | None] = {}
        for chunk in _chunks(sorted(roots)):
            query = select(AccountRow.account_id, AccountRow.parent_id).where(AccountRow.root_id.in_(chunk))
            found.update({a: p for a, p in await self.session.execute(query)})
        for chunk in _chunks(sorted(ids - set(found))):
            query = select(AccountRow.account_id, AccountRow.parent_id).where(
                AccountRow.account_id.in_(chunk)
            )
            found.update({a: p for a, p in await self.session.execute(query)})
        return found

    async def recompute_roots_near(self, account_ids: Iterable[str]) -> int:
        """Ultimate parents again for the hierarchies these accounts left or joined (an incremental pass)."""
        ids = set(account_ids)
        roots_before = await self._touched_roots(ids)
        rows: dict[str, tuple[str | None, str | None]] = {}
        for chunk in _chunks(sorted(roots_before)):
            query = select(AccountRow.account_id, AccountRow.parent_id, AccountRow.root_id).where(
                AccountRow.root_id.in_(chunk)
            )
            rows.update({a: (p, r) for a, p, r in await self.session.execute(query)})
        missing = ids - set(rows)
        for chunk in _chunks(sorted(missing)):
            query = select(AccountRow.account_id, AccountRow.parent_id, AccountRow.root_id).where(
                AccountRow.account_id.in_(chunk)
            )
            rows.update({a: (p, r) for a, p, r in await self.session.execute(query)})
        # A new parent's hierarchy joins the computation too, so children land on its ultimate parent.
        parents = {p for p, _ in rows.values() if p and p not in rows}
        while parents:
            query = select(AccountRow.account_id, AccountRow.parent_id, AccountRow.root_id).where(
                AccountRow.account_id.in_(sorted(parents))
            )
            found = {a: (p, r) for a, p, r in await self.session.execute(query)}
            rows.update(found)
            parents = {p for p, _ in found.values() if p and p not in rows}
        computed = roots({a: p for a, (p, _) in rows.items()})
        changed = [{"account_id": a, "root_id": r} for a, r in computed.items() if rows[a][1] != r]
        for start in range(0, len(changed), 1000):
            await self.session.execute(update(AccountRow), changed[start : start + 1000])
        if changed:
            await DirectoryRepository(self.session).bump_version(ACCOUNTS)
        return len(changed)

    async def account_ids(self) -> set[str]:
        return set(await self.session.scalars(select(AccountRow.account_id)))

    async def opportunity_ids(self) -> set[str]:
        return set(await self.session.scalars(select(OpportunityRow.opportunity_id)))

    async def delete_accounts(self, ids: Sequence[str]) -> int:
        removed = 0
        for chunk in _chunks(list(ids)):
            result = await self.session.execute(delete(AccountRow).where(AccountRow.account_id.in_(chunk)))
            removed += int(result.rowcount or 0)
        if removed:
            await DirectoryRepository(self.session).bump_version(ACCOUNTS)
        return removed

    async def delete_opportunities(self, ids: Sequence[str]) -> int:
        removed = 0
        for chunk in _chunks(list(ids)):
            result = await self.session.execute(
                delete(OpportunityRow).where(OpportunityRow.opportunity_id.in_(chunk))
            )
            removed += int(result.rowcount or 0)
        if removed:
            await DirectoryRepository(self.session).bump_version(OPPORTUNITIES)
        return removed

    async def pending_write_backs(self) -> set[str]:
        """Record ids with an owner write-back not yet sent: the sync must not undo the decision."""
        payloads = await self.session.scalars(
            select(OutboxRow.payload).where(OutboxRow.method == WRITE_BACK, OutboxRow.status == "pending")
        )
        return {p["record_id"] for p in payloads}

    async def hierarchies_of(self, account_ids: Sequence[str]) -> dict[str, list[Account]]:
        """Every member of each account's hierarchy, by ultimate parent, in a few queries (drift checks)."""
        roots: set[str] = set()
        for chunk in _chunks(list(account_ids)):
            roots.update(
                r
                for r in await self.session.scalars(
                    select(AccountRow.root_id).where(AccountRow.account_id.in_(chunk))
                )
                if r
            )
        members: dict[str, list[Account]] = {}
        for chunk in _chunks(sorted(roots)):
            for row in await self.session.scalars(select(AccountRow).where(AccountRow.root_id.in_(chunk))):
                members.setdefault(row.root_id or row.account_id, []).append(to_account(row))
        return members

    async def named_counts(self, owners: Iterable[str]) -> dict[str, int]:
        rows = await self.session.execute(
            select(AccountRow.owner, func.count())
            .where(AccountRow.owner.in_(list(set(owners))), AccountRow.named)
            .group_by(AccountRow.owner)
        )
        return {owner: int(n) for owner, n in rows}

    # ---- drift -------------------------------------------------------------------------------------
    def add_drift(self, row: CrmDriftRow) -> None:
        self.session.add(row)

    async def close_drift(self, account_ids: Sequence[str]) -> None:
        for chunk in _chunks(list(account_ids)):
            await self.session.execute(
                update(CrmDriftRow)
                .where(CrmDriftRow.account_id.in_(chunk), CrmDriftRow.status == "open")
                .values(status="closed")
            )

    async def open_drift(self, *, unreported: bool = False, limit: int = 200) -> list[CrmDriftRow]:
        query = select(CrmDriftRow).where(CrmDriftRow.status == "open")
        if unreported:
            query = query.where(CrmDriftRow.reported_at.is_(None))
        return list(await self.session.scalars(query.order_by(CrmDriftRow.detected_at).limit(limit)))

    async def mark_reported(self, ids: Sequence[int], at: datetime) -> None:
        await self.session.execute(
            update(CrmDriftRow)
            .where(CrmDriftRow.id.in_(list(ids)), or_(CrmDriftRow.reported_at.is_(None)))
            .values(reported_at=at)
        )
