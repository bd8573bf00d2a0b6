"""The sync: Salesforce Users, Accounts and Opportunities into the directory.

A full load reads each object through a Bulk API 2.0 query job, one CSV page at a time, and writes each page
in its own transaction (memory stays flat). An incremental pass reads what changed since the object's
watermark by SOQL on SystemModstamp (with a little overlap; writes are idempotent and unchanged rows are not
counted), and what was deleted through getDeleted. A watermark only moves in the transaction that wrote
the rows it covers. A bad record (unknown owner, a parent cycle, a stage no spelling matches) is skipped
and reported; the rest goes on.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any, Protocol

from bot.crm.client import SalesforceClient, soql_time
from bot.crm.mapping import Mapping, MappingError
from bot.handbook import ownership as rules
from bot.handbook.directory import AccountType, Role, Segment
from bot.handbook.drift import drift_reasons
from bot.handbook.stages import parse_stage
from storage.crm import CrmRepository
from storage.db import Database
from storage.directory import OVERRIDES, DirectoryRepository
from storage.models import CrmDriftRow

OVERLAP = timedelta(minutes=2)
DELETED_WINDOW = timedelta(days=29)  # getDeleted answers about 30 days back; older gaps need a full load
OBJECTS = ("User", "Account", "Opportunity")
SlackLookup = Callable[[str], Awaitable[str | None]]


class Reporter(Protocol):
    def skipped(self, sobject: str, record_id: str, reason: str) -> None: ...

    def start(self, phase: str, total: int) -> None: ...

    def advance(self, done: int) -> None: ...


class BadRecord(Exception):
    pass


@dataclass
class Counts:
    read: int = 0
    changed: int = 0
    deleted: int = 0
    skipped: int = 0
    full: bool = False
    drift: int = 0


@dataclass
class _Pass:
    full: bool
    keys: dict[str, str] = field(default_factory=dict)  # User id -> person key
    pending: set[str] = field(default_factory=set)  # records with an unsent write-back
    seen: set[str] = field(default_factory=set)
    owner_moves: list[tuple[str, str | None, str]] = field(default_factory=list)
    started: datetime | None = None
    newest: datetime | None = None  # the newest SystemModstamp of the object being read

    def note(self, stamp: datetime | None) -> None:
        if stamp is not None and (self.newest is None or stamp > self.newest):
            self.newest = stamp

    def mark(self) -> datetime | None:
        """A full load's watermark: the newest change it read (Salesforce's clock), then start afresh."""
        mark, self.newest = self.newest or self.started, None
        return mark


class Sync:
    def __init__(
        self,
        db: Database,
        client: SalesforceClient,
        mapping: Mapping,
        *,
        report: Reporter,
        clock: Callable[[], datetime],
        lookup: SlackLookup | None = None,
        page_size: int = 10000,
    ) -> None:
        self.db, self.client, self.mapping = db, client, mapping
        self.report, self.clock, self.lookup = report, clock, lookup
        self.page_size = page_size
        self.counts = Counts()

    async def check_mapping(self) -> None:
        """Every mapped field must exist in the org (describe), before the first record is read."""
        missing = []
        for sobject in OBJECTS:
            org = await self.client.describe(sobject)
            missing += [f"{sobject}.{name}" for name in self.mapping.missing(sobject, org)]
        if missing:
            raise MappingError(
                f"the org lacks mapped fields: {', '.join(missing)} (fix SALESFORCE_MAPPING or the org)"
            )

    async def run(self, *, full: bool = False) -> Counts:
        await self.check_mapping()
        async with self.db.bulk_sessions.begin() as session:
            states = await CrmRepository(session).states()
        full = full or any(states.get(o) is None or states[o].watermark is None for o in OBJECTS)
        deleted_from = [s.deleted_until for s in states.values() if s.deleted_until is not None]
        if deleted_from and min(deleted_from) < self.clock() - DELETED_WINDOW:
            full = True  # getDeleted can't see that far back: only a full load finds what went
        started = self.clock()
        run = _Pass(full=full, started=started)
        self.counts.full = full
        async with self.db.bulk_sessions.begin() as session:
            run.pending = await CrmRepository(session).pending_write_backs()
        await self._users(run, states)
        await self._accounts(run, states)
        await self._opportunities(run, states)
        if full:
            await self._remove_unseen(run, started)
        else:
            await self._deletions(run, states)
        if run.owner_moves:
            await self._drift(run)
        return self.counts

    # ---- reading -----------------------------------------------------------------------------------
    def _pages(self, sobject: str, run: _Pass, states: dict[str, Any]) -> Any:
        fields = ", ".join(self.mapping.soql_fields(sobject))
        if run.full:
            return self.client.bulk_query(
                f"SELECT {fields} FROM {sobject}", page_size=self.page_size, on_total=self._total(sobject)
            )
        since = states[sobject].watermark - OVERLAP
        soql = (
            f"SELECT {fields} FROM {sobject} WHERE SystemModstamp > {soql_time(since)} "
            "ORDER BY SystemModstamp, Id"
        )
        return self.client.query(soql, on_total=self._total(sobject))

    def _total(self, sobject: str) -> Callable[[int], None]:
        return lambda total: self.report.start(sobject.lower() + "s", total)

    def _skip(self, sobject: str, record: dict[str, Any], reason: str) -> None:
        self.counts.skipped += 1
        self.report.skipped(sobject, str(record.get("Id") or "(no id)"), reason)

    @staticmethod
    def _stamp(record: dict[str, Any]) -> datetime | None:
        value = record.get("SystemModstamp")
        return _datetime(value) if value else None

    # ---- users -> people ---------------------------------------------------------------------------
    async def _users(self, run: _Pass, states: dict[str, Any]) -> None:
        m = self.mapping.fields("User")
        records = [r async for page in self._pages("User", run, states) for r in page]
        self.counts.read += len(records)
        async with self.db.bulk_sessions.begin() as session:
            crm = CrmRepository(session)
            known = await crm.users()
            regions = {r.name for r in await DirectoryRepository(session).regions()}
        slack = await self._slack_ids(records, m, known, run.full)
        users: list[dict[str, Any]] = []
        for record in records:
            user_id = str(record[m["user_id"]])
            email = (_text(record.get(m["email"])) or "").lower()
            users.append(
                {
                    "user_id": user_id,
                    "person_key": slack.get(user_id) or user_id,
                    "name": _text(record.get(m["name"])) or user_id,
                    "email": email,
                    "active": _bool(record.get(m["active"])),
                    "slack_id": slack.get(user_id),
                    "looked_up_email": email if self.lookup is not None else None,
                }
            )
        keys = {u: r.person_key for u, r in known.items()} | {u["user_id"]: u["person_key"] for u in users}
        people: list[dict[str, Any]] = []
        gone: list[str] = []
        for record, user in zip(records, users, strict=True):
            if not user["active"] or not _text(record.get(m["role"])):
                gone.append(user["person_key"])  # inactive, or not part of the sales org (no GTM role)
                continue
            try:
                people.append(self._person(record, m, user, keys, regions))
            except BadRecord as exc:
                gone.append(user["person_key"])
                self._skip("User", record, str(exc))
        newest = max((s for s in map(self._stamp, records) if s), default=None)
        async with self.db.bulk_sessions.begin() as session:
            crm = CrmRepository(session)
            for user in users:
                old = known.get(user["user_id"])
                if old is not None and old.person_key != user["person_key"]:
                    await crm.rekey_person(old.person_key, user["person_key"])
            await crm.upsert_users(users)
            before = await DirectoryRepository(session).people([p["slack_id"] for p in people])
            changed = [p for p in people if _person_changed(before.get(p["slack_id"]), p)]
            if changed:
                await DirectoryRepository(session).upsert_people(changed)
            removed = await crm.remove_people(gone)
            await self._advance(crm, "User", run, newest)
        run.keys = keys
        self.counts.changed += len(changed) + removed

    async def _slack_ids(
        self, records: list[dict[str, Any]], m: dict[str, str], known: dict[str, Any], full: bool
    ) -> dict[str, str]:
        """User id -> Slack id; an email looked up before is answered from the cache."""
        found: dict[str, str] = {}
        wanted: list[tuple[str, str]] = []
        for record in records:
            user_id = str(record[m["user_id"]])
            email = (_text(record.get(m["email"])) or "").lower()
            old = known.get(user_id)
            # Answers (found or not) are kept per email; a changed email or a --full pass asks again.
            cached = old is not None and (old.looked_up_email == email or self.lookup is None)
            if cached and not (full and self.lookup is not None):
                if old.slack_id:
                    found[user_id] = old.slack_id
            elif email and self.lookup is not None:
                wanted.append((user_id, email))
        if self.lookup is not None and wanted:
            lookup = self.lookup
            gate = asyncio.Semaphore(8)

            async def one(user_id: str, email: str) -> None:
                async with gate:
                    slack_id = await lookup(email)
                if slack_id:
                    found[user_id] = slack_id

            await asyncio.gather(*(one(u, e) for u, e in wanted))
        return found

    def _person(
        self,
        record: dict[str, Any],
        m: dict[str, str],
        user: dict[str, Any],
        keys: dict[str, str],
        regions: set[str],
    ) -> dict[str, Any]:
        role = (_text(record.get(m["role"])) or "").upper()
        if role not in Role.__members__:
            raise BadRecord(f"{m['role']} {role or '(empty)'!r} is not one of {', '.join(Role)}")
        region = _text(record.get(m["region"])) if "region" in m else None
        if region is not None and region not in regions:
            raise BadRecord(f"{m['region']} {region!r} is not a region of the org file")
        segment = _text(record.get(m["segment"])) if "segment" in m else None
        if segment is not None and segment not in {s.value for s in Segment}:
            raise BadRecord(f"{m['segment']} {segment!r} must be Large, Mid-Market or SMB")
        manager = _text(record.get(m["manager"])) if "manager" in m else None
        return {
            "slack_id": user["person_key"],
            "name": user["name"],
            "email": user["email"],
            "role": role,
            "region": region,
            "segment": segment,
            "manager": keys.get(manager) if manager else None,
            "team_lead": _bool(record.get(m["team_lead"])) if "team_lead" in m else False,
            "public_sector": _bool(record.get(m["public_sector"])) if "public_sector" in m else False,
        }

    def _rows(
        self,
        sobject: str,
        page: list[dict[str, Any]],
        run: _Pass,
        build: Callable[[dict[str, Any]], dict[str, Any]],
        key: str,
    ) -> dict[str, dict[str, Any]]:
        """A page's records as directory rows by id; a record that can't be one is skipped and reported."""
        rows: dict[str, dict[str, Any]] = {}
        for record in page:
            try:
                row = build(record)
            except BadRecord as exc:
                self._skip(sobject, record, str(exc))
                continue
            run.seen.add(row[key])
            rows[row[key]] = row
        return rows

    # ---- accounts ----------------------------------------------------------------------------------
    async def _accounts(self, run: _Pass, states: dict[str, Any]) -> None:
        parents: dict[str, str | None] = {}
        if run.full:
            async with self.db.bulk_sessions.begin() as session:
                parents = await CrmRepository(session).parents()
        m = self.mapping.fields("Account")
        moved: set[str] = set()  # new accounts and moved parents: their hierarchies' roots change
        async for page in self._pages("Account", run, states):
            self.counts.read += len(page)
            if not run.full:  # only the hierarchies this page touches, for the cycle check
                near = [str(r[m["account_id"]]) for r in page] + [
                    _text(r.get(m["parent_id"])) or "" for r in page
                ]
                async with self.db.bulk_sessions.begin() as session:
                    parents.update(await CrmRepository(session).parents_near(near))

            def account(record: dict[str, Any]) -> dict[str, Any]:
                row = self._account(record, run.keys, parents)
                parents[row["account_id"]] = row["parent_id"]  # the page's later rows see it (cycles)
                return row

            rows = self._rows("Account", page, run, account, "account_id")
            newest = max((s for s in map(self._stamp, page) if s), default=None)
            async with self.db.bulk_sessions.begin() as session:
                crm = CrmRepository(session)
                existing = await crm.account_rows(list(rows))
                changed = []
                for account_id, row in rows.items():
                    old = existing.get(account_id)
                    if old is not None:
                        for column in OVERRIDES:  # a review's override stays when Salesforce has none
                            if row[column] is None:
                                row[column] = old[column]
                        if account_id in run.pending:
                            row["owner"] = old["owner"]
                        if row == old:
                            continue
                        if old["owner"] != row["owner"] and row["owner"]:
                            run.owner_moves.append((account_id, old["owner"], row["owner"]))
                        if old["parent_id"] != row["parent_id"]:
                            moved.add(account_id)
                    else:
                        moved.add(account_id)  # a new account needs its ultimate parent too
                    changed.append(row)
                if changed:
                    await DirectoryRepository(session).upsert_accounts(changed)
                if not run.full:
                    if moved:  # in this transaction, so a crash never leaves a hierarchy half-moved
                        await crm.recompute_roots_near(moved)
                        moved.clear()
                    await self._advance(crm, "Account", run, newest)
            run.note(newest)
            self.counts.changed += len(changed)
            self.report.advance(len(page))
        # A moved parent changes the hierarchy, and with it the segment and territory every member reads.
        if run.full:
            async with self.db.bulk_sessions.begin() as session:
                self.report.start("hierarchies", 0)
                await DirectoryRepository(session).recompute_roots()
                await self._advance(CrmRepository(session), "Account", run, run.mark())

    def _account(
        self, record: dict[str, Any], keys: dict[str, str], parents: dict[str, str | None]
    ) -> dict[str, Any]:
        m = self.mapping.fields("Account")
        account_id = str(record[m["account_id"]])
        owner_id = _text(record.get(m["owner"]))
        owner = keys.get(owner_id or "")
        if owner is None:
            raise BadRecord(f"owner {owner_id or '(none)'} is not a Salesforce user gtm-bot knows")
        parent = _text(record.get(m["parent_id"]))
        if parent == account_id:
            raise BadRecord("the account is its own parent")
        node, steps = parent, 0
        while node is not None and steps <= len(parents):
            if node == account_id:
                raise BadRecord(f"parent {parent} makes a cycle in the hierarchy")
            node, steps = parents.get(node), steps + 1
        kind = _text(record.get(m["type"])) if "type" in m else None
        types = {t.value.lower(): t.value for t in AccountType}
        row: dict[str, Any] = {
            "account_id": account_id,
            "name": _text(record.get(m["name"])) or account_id,
            "parent_id": parent,
            "owner": owner,
            "type": types.get((kind or "").lower()),
            "named": _bool(record.get(m.get("named", ""))),
            "website": _text(record.get(m.get("website", ""))),
            "public_sector": _bool(record.get(m.get("public_sector", ""))),
            "sdr": keys.get(_text(record.get(m.get("sdr", ""))) or ""),
        }
        for column in ("employees_datafox", "employees_zoominfo", "employees_override"):
            row[column] = _int(record.get(m.get(column, "")), m.get(column, column))
        for prefix in ("override", "datafox", "zoominfo", "shipping", "billing"):
            for part in ("country", "state"):
                value = _text(record.get(m.get(f"{prefix}_{part}", "")))
                row[f"{prefix}_{part}"] = value.upper() if value else None
        return row

    # ---- opportunities -----------------------------------------------------------------------------
    async def _opportunities(self, run: _Pass, states: dict[str, Any]) -> None:
        m = self.mapping.fields("Opportunity")
        async for page in self._pages("Opportunity", run, states):
            self.counts.read += len(page)
            newest = max((s for s in map(self._stamp, page) if s), default=None)
            async with self.db.bulk_sessions.begin() as session:
                crm = CrmRepository(session)
                known = await DirectoryRepository(session).existing_account_ids(
                    _text(r.get(m["account_id"])) or "" for r in page
                )
                rows = self._rows(
                    "Opportunity",
                    page,
                    run,
                    partial(self._opportunity, keys=run.keys, accounts=known),
                    "opportunity_id",
                )
                existing = await crm.opportunity_rows(list(rows))
                changed = []
                for opportunity_id, row in rows.items():
                    old = existing.get(opportunity_id)
                    if old is not None and opportunity_id in run.pending:
                        row["owner"] = old["owner"]
                    if row != old:
                        changed.append(row)
                if changed:
                    await DirectoryRepository(session).upsert_opportunities(changed)
                await self._advance(crm, "Opportunity", run, None if run.full else newest)
            run.note(newest)
            self.counts.changed += len(changed)
            self.report.advance(len(page))
        if run.full:
            async with self.db.bulk_sessions.begin() as session:
                await self._advance(CrmRepository(session), "Opportunity", run, run.mark())

    def _opportunity(
        self, record: dict[str, Any], keys: dict[str, str], accounts: set[str]
    ) -> dict[str, Any]:
        m = self.mapping.fields("Opportunity")
        account_id = _text(record.get(m["account_id"]))
        if account_id is None or account_id not in accounts:
            raise BadRecord(f"account {account_id or '(none)'} is not in the directory")
        owner_id = _text(record.get(m["owner"]))
        owner = keys.get(owner_id or "")
        if owner is None:
            raise BadRecord(f"owner {owner_id or '(none)'} is not a Salesforce user gtm-bot knows")
        stage_text = _text(record.get(m["stage"])) or ""
        match = parse_stage(stage_text) if stage_text else None
        if match is None:
            raise BadRecord(f"stage {stage_text!r} is not a stage the handbook names")
        amount = _text(record.get(m.get("amount", "")))
        try:
            value = float(amount) if amount is not None else None
        except ValueError:
            raise BadRecord(f"amount {amount!r} is not a number") from None
        return {
            "opportunity_id": str(record[m["opportunity_id"]]),
            "name": _text(record.get(m["name"])) or "",
            "account_id": account_id,
            "owner": owner,
            "stage": match.stage.label,
            "type": _text(record.get(m.get("type", ""))),
            "created_date": _date(record.get(m.get("created_date", ""))),
            "amount": value,
            "close_date": _date(record.get(m.get("close_date", ""))),
            "parent_opportunity_id": _text(record.get(m.get("parent_opportunity_id", ""))),
            "sdr": keys.get(_text(record.get(m.get("sdr", ""))) or ""),
        }

    # ---- deletions ---------------------------------------------------------------------------------
    async def _deletions(self, run: _Pass, states: dict[str, Any]) -> None:
        self.report.start("deletions", 0)
        end = self.clock()
        for sobject in OBJECTS:
            state = states[sobject]
            start = state.deleted_until or (state.watermark - OVERLAP)
            ids, covered = await self.client.deleted(sobject, start - OVERLAP, end)
            async with self.db.bulk_sessions.begin() as session:
                crm = CrmRepository(session)
                if sobject == "Account":
                    removed = await crm.delete_accounts(ids)
                    if removed:
                        await DirectoryRepository(session).bump_version("accounts")
                        await DirectoryRepository(session).recompute_roots()
                elif sobject == "Opportunity":
                    removed = await crm.delete_opportunities(ids)
                else:
                    keys = [run.keys[i] for i in ids if i in run.keys]
                    removed = await crm.remove_people(keys)
                row = await crm.state(sobject)
                row.deleted_until = min(covered, end)
            self.counts.deleted += removed

    async def _remove_unseen(self, run: _Pass, started: datetime) -> None:
        """After a full load: what the directory holds and Salesforce no longer does goes."""
        async with self.db.bulk_sessions.begin() as session:
            crm = CrmRepository(session)
            accounts = sorted((await crm.account_ids()) - run.seen)
            opportunities = sorted((await crm.opportunity_ids()) - run.seen)
            removed = await crm.delete_opportunities(opportunities) + await crm.delete_accounts(accounts)
            if accounts:
                await DirectoryRepository(session).bump_version("accounts")
                await DirectoryRepository(session).recompute_roots()
            for sobject in OBJECTS:
                row = await crm.state(sobject)
                row.deleted_until = started
                row.full_at = self.clock()
        self.counts.deleted += removed

    async def _advance(self, crm: CrmRepository, sobject: str, run: _Pass, newest: datetime | None) -> None:
        """Move the watermark inside the transaction that wrote the rows it covers (never backwards)."""
        if newest is None:
            return
        row = await crm.state(sobject)
        if row.watermark is None or newest > row.watermark or run.full:
            row.watermark = newest

    # ---- drift -------------------------------------------------------------------------------------
    async def _drift(self, run: _Pass) -> None:
        """Owner changes made in Salesforce that break the handbook's criteria, kept for Sales Ops."""
        if run.full:
            return  # a full load has no "before" worth judging against
        async with self.db.bulk_sessions.begin() as session:
            directory, crm = DirectoryRepository(session), CrmRepository(session)
            regions = await directory.regions()
            moves = {account_id: (old, new) for account_id, old, new in run.owner_moves}  # the last move
            hierarchies = await crm.hierarchies_of(list(moves))
            by_id = {a.account_id: (root, a) for root, members in hierarchies.items() for a in members}
            people = await directory.people({new for _, new in moves.values()})
            named = await crm.named_counts({new for _, new in moves.values()})
            await crm.close_drift(list(moves))  # a new owner supersedes what was reported before
            for account_id, (old_owner, new_owner) in moves.items():
                if account_id not in by_id:
                    continue
                root, account = by_id[account_id]
                members = {a.account_id: a for a in hierarchies[root]}
                members[account_id] = dataclasses.replace(account, owner=old_owner)
                view = rules.build_view(account_id, members, regions)
                count = named.get(new_owner, 0) - (1 if account.named else 0)
                reasons = drift_reasons(people.get(new_owner), new_owner, view, count)
                if not reasons:
                    continue
                crm.add_drift(
                    CrmDriftRow(
                        account_id=account_id,
                        account_name=account.name,
                        old_owner=old_owner,
                        new_owner=new_owner,
                        reasons=reasons,
                        detected_at=self.clock(),
                        status="open",
                    )
                )
                self.counts.drift += 1


def _person_changed(before: Any, after: dict[str, Any]) -> bool:
    if before is None:
        return True
    return any(
        str(getattr(before, k) or "") != str(v or "")
        if k not in ("team_lead", "public_sector")
        else bool(getattr(before, k)) != bool(v)
        for k, v in after.items()
    )


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value or "").strip().lower() == "true"


def _int(value: Any, field_name: str) -> int | None:
    text = _text(value)
    if text is None:
        return None
    try:
        number = float(text.replace(",", ""))
    except ValueError:
        raise BadRecord(f"{field_name} {text!r} is not a number") from None
    if number < 0:
        raise BadRecord(f"{field_name} {text!r} is below 0")
    return int(number)


def _datetime(value: Any) -> datetime:
    text = str(value).replace("+0000", "+00:00").replace("Z", "+00:00")
    return datetime.fromisoformat(text)


def _date(value: Any) -> date | None:
    text = _text(value)
    if text is None:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise BadRecord(f"{text!r} is not a date") from None
