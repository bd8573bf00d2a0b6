"""Salesforce, wired into the bot: the sync job, Slack ids for Salesforce users, the owner write-back.

bot/crm/ holds the Salesforce side and knows no Slack; this module joins it to the outbox, the scheduler
and the people who hear about a conflict or drift.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from bot import scheduler
from bot.approvals import outbox, service
from bot.approvals.engine import Status
from bot.crm.client import RetryLater, SalesforceClient, SalesforceError
from bot.features.salesforce.run import credentials, run_sync
from bot.features.usecase import transaction
from bot.handbook import ownership as rules
from bot.handbook.calendar import BusinessCalendar
from bot.handbook.directory import Person, Role
from bot.handbook.results import Refused
from bot.handbook.visibility import HIDDEN_NAME, may_see
from bot.render import someone
from storage.crm import WRITE_BACK, CrmRepository
from storage.directory import DirectoryRepository
from storage.models import JobRow, OutboxRow

if TYPE_CHECKING:
    from bot.deps import Deps

MORNING_HOUR = 9  # UTC: the digest goes out at the start of the next business day

log = logging.getLogger(__name__)


# ---- the scheduler job: an incremental pass every SALESFORCE_SYNC_MINUTES ----------------------------
SYNC_JOB = "salesforce.sync"
DRIFT_JOB = "salesforce.drift_digest"


class _LogReporter:
    def skipped(self, sobject: str, record_id: str, reason: str) -> None:
        log.warning("salesforce sync skipped %s %s: %s", sobject, record_id, reason)

    def start(self, phase: str, total: int) -> None:
        pass

    def advance(self, done: int) -> None:
        pass


def _slot(deps: Deps, moment: datetime) -> str:
    """Every replica names the same pass the same way, so their schedules merge into one chain."""
    assert deps.settings.salesforce is not None
    minutes = deps.settings.salesforce.sync_minutes * 60
    return str(int(moment.timestamp()) // minutes * minutes)


async def schedule_sync(deps: Deps, due: datetime) -> None:
    async with deps.db.sessions.begin() as session:
        await scheduler.schedule(session, key=f"{SYNC_JOB}:{_slot(deps, due)}", kind=SYNC_JOB, due_at=due)


async def on_startup(deps: Deps) -> None:
    await schedule_sync(deps, deps.clock())


async def sync_job(deps: Deps, job: JobRow) -> None:
    """One incremental pass (a full one the first time), then the next pass; drift goes to the digest."""
    assert deps.settings.salesforce is not None
    counts = await run_sync(
        deps.db, deps.settings.salesforce, report=_LogReporter(), clock=deps.clock, slack=deps.client
    )
    log.info(
        "salesforce sync (%s): read %d, changed %d, deleted %d, skipped %d, drift %d",
        "full" if counts.full else "incremental",
        counts.read,
        counts.changed,
        counts.deleted,
        counts.skipped,
        counts.drift,
    )
    now = deps.clock()
    await schedule_sync(deps, now + timedelta(minutes=deps.settings.salesforce.sync_minutes))
    if counts.drift:
        await schedule_drift_digest(deps, now)


# ---- drift: the next business morning, one DM digest to Sales Ops --------------------------------------
def next_business_morning(deps: Deps, now: datetime) -> datetime:
    calendar = BusinessCalendar(
        country=deps.settings.holiday_country, subdivision=deps.settings.holiday_subdivision
    )
    day = now.date() + timedelta(days=1)
    while not calendar.is_business_day(day):
        day += timedelta(days=1)
    return datetime.combine(day, time(MORNING_HOUR), tzinfo=UTC)


async def schedule_drift_digest(deps: Deps, now: datetime) -> None:
    due = next_business_morning(deps, now)
    async with deps.db.sessions.begin() as session:
        await scheduler.schedule(
            session, key=f"{DRIFT_JOB}:{due.date().isoformat()}", kind=DRIFT_JOB, due_at=due
        )


DRIFT_ROLES = {Role.SALES_OPS, Role.ADMIN, Role.CRO, Role.VP, Role.RD}


async def drift_for(deps: Deps, user_id: str) -> list[dict[str, Any]] | Refused:
    """`/gtm drift`: the open drift as display lines, for Sales Ops, RDs and leadership."""
    async with deps.db.reads() as session:
        person = await DirectoryRepository(session).person(user_id)
        if person is None or person.role not in DRIFT_ROLES:
            return Refused("drift is for Sales Ops, RDs and leadership.")
        _, lines = await drift_lines(session, person)
    return lines


async def drift_lines(
    session: Any, viewer: Person | None, *, unreported: bool = False
) -> tuple[list[int], list[dict[str, Any]]]:
    """Open drift as display lines for `viewer`; a public-sector account they may not see stays unnamed."""
    rows = await CrmRepository(session).open_drift(unreported=unreported)
    directory = DirectoryRepository(session)
    people = await directory.people({r.new_owner for r in rows} | {r.old_owner or "" for r in rows})
    accounts = await directory.accounts([r.account_id for r in rows])

    def shown(key: str | None) -> str | dict[str, str]:  # a mention, or the name of someone not in Slack
        return someone(key, people[key].name if key in people else None)

    lines = []
    for r in rows:
        account = accounts.get(r.account_id)
        hidden = account is not None and not may_see(viewer, account)
        lines.append(
            {
                "account": HIDDEN_NAME if hidden else r.account_name,
                "account_id": "" if hidden else r.account_id,
                "old_owner": shown(r.old_owner),
                "new_owner": shown(r.new_owner),
                "reasons": [] if hidden else list(r.reasons),
                "since": r.detected_at.strftime("%Y-%m-%d"),
            }
        )
    return [r.id for r in rows], lines


async def drift_digest(job: scheduler.JobContext) -> None:
    ctx = job.ctx
    ops = await ctx.directory.people_with_roles([Role.SALES_OPS])
    ids: list[int] = []
    for person in ops:
        ids, lines = await drift_lines(ctx.session, person, unreported=True)
        if not lines:
            return
        await ctx.notify(
            person.slack_id,
            f"drift:{job.job.key}:{person.slack_id}",
            "salesforce/drift.json.j2",
            heading="Owner changes made in Salesforce since the last digest that break the handbook",
            lines=lines,
            section_url=rules.section("account_ownership"),
        )
    await CrmRepository(ctx.session).mark_reported(ids, ctx.now)


# ---- the write-back: every owner gtm-bot decides, written to Salesforce through the outbox ---------------
async def write_owner(
    ctx: service.Context,
    sobject: str,
    record_ids: list[str],
    *,
    old_owner: str | None,
    new_owner: str,
    request_id: int | None,
    key: str,
) -> None:
    """Queue `OwnerId` writes in the deciding transaction (nothing when Salesforce is not configured)."""
    if ctx.deps.settings.salesforce is None:
        return
    users = await CrmRepository(ctx.session).user_ids_for([old_owner or "", new_owner])
    if new_owner not in users:
        await ctx.repo.audit(
            request_id,
            ctx.actor,
            "salesforce_skipped",
            {"why": f"{new_owner} is not a Salesforce user"},
            ctx.now,
        )
        return
    for record_id in record_ids:
        await outbox.enqueue(
            ctx.session,
            key=f"sf:{key}:{sobject}:{record_id}",
            method=WRITE_BACK,
            payload={
                "sobject": sobject,
                "record_id": record_id,
                "owner": users[new_owner],
                "expected": users.get(old_owner or ""),
                "new_owner": new_owner,
                "old_owner": old_owner,
                "request_id": request_id,
                "approver": ctx.actor,
            },
            now=ctx.now,
        )


class WriteBack:
    """The outbox's sender for `salesforce.owner` rows: read OwnerId, then write it unless it moved."""

    def __init__(self, deps: Deps, client: SalesforceClient) -> None:
        self.deps, self.client = deps, client

    async def send(self, row: OutboxRow) -> None:
        p = row.payload
        try:
            record = await self.client.get(p["sobject"], p["record_id"], ["OwnerId"])
            if record is None:
                raise outbox.GiveUp(f"{p['sobject']} {p['record_id']} is deleted in Salesforce")
            current = record.get("OwnerId")
            if current == p["owner"]:
                return  # written already (a retry after a crash) or someone did the same: never twice
            if p.get("expected") and current != p["expected"]:
                await self._conflict(row, str(current))
                return
            await self.client.patch(p["sobject"], p["record_id"], {"OwnerId": p["owner"]})
        except RetryLater as exc:
            raise outbox.Retry(str(exc), exc.after) from exc
        except SalesforceError as exc:
            raise outbox.GiveUp(str(exc)) from exc

    async def _conflict(self, row: OutboxRow, current: str) -> None:
        """Someone changed the owner in Salesforce after gtm-bot read it: keep theirs, tell both people."""
        p = row.payload
        async with transaction(self.deps, "gtm-bot") as ctx:
            users = await CrmRepository(ctx.session).users()
            holder = users.get(current)
            names = await ctx.names(
                [p["new_owner"], p.get("old_owner"), holder.person_key if holder else None]
            )
            salesforce_owner = names.get(holder.person_key, holder.name) if holder else current
            holder_shown = someone(holder.person_key, salesforce_owner) if holder else {"name": current}
            decided = names.get(p["new_owner"], p["new_owner"])
            request = await ctx.repo.get(p["request_id"]) if p.get("request_id") else None
            before = names.get(p.get("old_owner") or "", "the owner decided against")
            why = (
                f"Salesforce's owner of {p['sobject']} {p['record_id']} is now {salesforce_owner}, not "
                f"{before}; {decided} was not written"
            )
            tell = {p["new_owner"], p.get("old_owner")}
            if request is not None:
                if request.status != Status.CONFLICT.value:
                    await ctx.finish(request, Status.CONFLICT, why=why)
                tell = {request.requester, p.get("approver")}
            for user in sorted(u for u in tell if u and u != "gtm-bot"):
                await ctx.notify(
                    user,
                    f"sf-conflict:{row.id}:{user}",
                    "salesforce/conflict.json.j2",
                    request_id=p.get("request_id"),
                    record=f"{p['sobject']} {p['record_id']}",
                    decided=someone(p["new_owner"], decided),
                    salesforce_owner=holder_shown,
                )
        self.deps.outbox.kick()


def wire(deps: Deps) -> None:
    """Register the sync job, the drift digest and the write-back sender when Salesforce is configured."""
    sf = deps.settings.salesforce
    if sf is None:
        return
    deps.long_jobs[SYNC_JOB] = sync_job
    deps.jobs[DRIFT_JOB] = drift_digest
    deps.startup.append(on_startup)
    client = SalesforceClient(credentials(sf), retries=0, timeout=30)
    deps.outbox.senders[WRITE_BACK] = WriteBack(deps, client).send
    deps.shutdown.append(client.close)
