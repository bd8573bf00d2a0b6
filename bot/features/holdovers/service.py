"""Holdover opportunities (Rules of Engagement 5): recorded when an account moves, then run by the scheduler.

An open opportunity stays with its original owner for at most 180 days after it was created. Day 120 is the
last day to ask the new owner for an extension (with evidence the deal closes within 90 days); the new owner
grants it or calls the evidence insufficient, which moves the opportunity now. Day 180 moves it anyway.
The rules are in bot/handbook/holdover.py; this module stores, schedules and tells people.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from bot import scheduler
from bot.approvals import service
from bot.approvals.engine import Status, StepSpec, StepState
from bot.features.flows import reason_given
from bot.features.holdovers.payload import ExtensionPayload
from bot.features.salesforce import jobs as salesforce
from bot.features.usecase import reading, transaction
from bot.handbook import holdover as rules
from bot.handbook.directory import Account, Opportunity, Person, Role
from bot.handbook.results import Allowed, Refused
from bot.handbook.visibility import may_see, redact
from storage.directory import DirectoryRepository
from storage.holdovers import RUNNING, HoldoverRepository
from storage.models import HoldoverRow, RequestRow, StepRow

if TYPE_CHECKING:
    from bot.deps import Deps

KIND = ExtensionPayload.kind
REMINDER, TRANSFER, REPORT = "holdover.reminder", "holdover.transfer", "holdover.weekly_report"
MAX_EVIDENCE = 1000
REPORT_WEEKDAY, REPORT_HOUR = 0, 14  # Mondays, 14:00 UTC (morning in the Americas, afternoon in EMEA)


def _at(day: date, hour: int = 0) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


def next_report_at(now: datetime) -> datetime:
    """The next Monday 14:00 UTC strictly after `now`."""
    days = (REPORT_WEEKDAY - now.weekday()) % 7
    candidate = _at(now.date() + timedelta(days=days), REPORT_HOUR)
    return candidate if candidate > now else candidate + timedelta(days=7)


def transfer_due(row: HoldoverRow) -> datetime:
    """The day after the last holdover day, at midnight UTC."""
    return _at(row.ends_on + timedelta(days=1))


def _view(row: HoldoverRow, people: dict[str, str | dict[str, str]], today: date) -> dict[str, Any]:
    """A holdover for a template: its owners as `someone`s (bot/render.py), which `person` shows."""
    allowed = rules.may_request_extension(row.created_on, today)
    return {
        "id": row.id,
        "opportunity_id": row.opportunity_id,
        "name": row.opportunity_name,
        "account_id": row.account_id,
        "original_owner": people.get(row.original_owner, row.original_owner),
        "new_owner": people.get(row.new_owner, row.new_owner),
        "ends_on": row.ends_on.isoformat(),
        "deadline": rules.extension_deadline(row.created_on).isoformat(),
        "day": (today - row.created_on).days,
        "status": row.status.replace("_", " "),
        "extension": row.extension_decision or "",
        "extension_why": allowed.reason,
    }


def _shown(person: Person | None, account: Account | None, view: dict[str, Any]) -> dict[str, Any]:
    """A holdover as `person` may see it: a public-sector account they may not see is not named."""
    return view if may_see(person, account) or account is None else redact(view, [account.name])


# ---- recording (inside apply_transfer's transaction) ------------------------------------------------
async def record(
    ctx: service.Context,
    *,
    request_id: int | None,
    opportunities: list[Opportunity],
    old_owner: str | None,
    new_owner: str,
) -> list[dict[str, str]]:
    """Store a holdover per open opportunity the old owner keeps, and schedule its jobs."""
    if not old_owner or old_owner == new_owner:
        return []
    today = ctx.now.date()
    repo = HoldoverRepository(ctx.session)
    found = rules.holdovers_on_transfer(opportunities, old_owner, new_owner, today)
    for held in found:
        created = held.opportunity.created_date or today
        row = await repo.add(
            HoldoverRow(
                opportunity_id=held.opportunity.opportunity_id,
                opportunity_name=held.opportunity.name[:255],
                opportunity_type=held.opportunity.type,
                account_id=held.opportunity.account_id,
                original_owner=old_owner,
                new_owner=new_owner,
                request_id=request_id,
                created_on=created,
                transferred_on=today,
                ends_on=held.ends_on,
                status="running",
                updated_at=ctx.now,
            )
        )
        deadline = rules.extension_deadline(created)
        if deadline >= today:
            await scheduler.schedule(
                ctx.session,
                key=f"holdover:{row.id}:reminder",
                kind=REMINDER,
                due_at=_at(deadline),
                payload={"holdover_id": row.id},
            )
        await _schedule_transfer(ctx, row)
    if found:
        await _schedule_report(ctx, new_owner)
        await ctx.touch(old_owner, new_owner)
    listed = [
        {"name": h.opportunity.name, "ends_on": h.ends_on.isoformat(), "moves_now": False} for h in found
    ]
    for opportunity in rules.moving_with_account(opportunities, old_owner, today):
        await repo.set_opportunity_owner(opportunity.opportunity_id, new_owner)
        listed.append({"name": opportunity.name, "ends_on": "", "moves_now": True})
    return listed


async def _schedule_transfer(ctx: service.Context, row: HoldoverRow) -> None:
    await scheduler.schedule(
        ctx.session,
        key=f"holdover:{row.id}:transfer:{row.ends_on.isoformat()}",
        kind=TRANSFER,
        due_at=transfer_due(row),
        payload={"holdover_id": row.id, "ends_on": row.ends_on.isoformat()},
    )


async def _schedule_report(ctx: service.Context, owner: str) -> None:
    due = next_report_at(ctx.now)
    await scheduler.schedule(
        ctx.session,
        key=f"holdover-report:{owner}:{due.date().isoformat()}",
        kind=REPORT,
        due_at=due,
        payload={"owner": owner},
    )


# ---- moving an opportunity ---------------------------------------------------------------------------
async def _transfer_now(ctx: service.Context, row: HoldoverRow, insufficient: str | None = None) -> None:
    """The opportunity goes to the new owner now (its holdover ended, or the new owner found the extension's
    evidence `insufficient`, saying why); both owners are told."""
    repo = HoldoverRepository(ctx.session)
    await repo.set_opportunity_owner(row.opportunity_id, row.new_owner)
    # The org's own transfer settings may or may not have moved it with the account: write it explicitly.
    await salesforce.write_owner(
        ctx,
        "Opportunity",
        [row.opportunity_id],
        old_owner=row.original_owner,
        new_owner=row.new_owner,
        request_id=None,
        key=f"holdover:{row.id}",
    )
    row.status, row.transferred_at, row.updated_at = "transferred", ctx.now, ctx.now
    await scheduler.cancel(ctx.session, f"holdover:{row.id}:")
    for user in (row.original_owner, row.new_owner):
        await _tell(ctx, row, user, "transferred", f"transferred:{user}", reason=insufficient)


async def _tell(
    ctx: service.Context,
    row: HoldoverRow,
    user: str,
    what: str,
    key: str,
    *,
    request_id: int | None = None,
    reason: str | None = None,
    late: bool = False,
) -> None:
    """A holdover's news for one of its owners (what: reminder, transferred, extended); the sentences and
    their dates are holdovers/notice.json.j2's. Unless it comes with its request, an owner who may not see
    the account (public sector) reads no name of it."""
    shown = await ctx.shown([row.original_owner, row.new_owner])
    await ctx.notify(
        user,
        f"holdover:{row.id}:{key}",
        "holdovers/notice.json.j2",
        what=what,
        opportunity=row.opportunity_name,
        opportunity_id=row.opportunity_id,
        original_owner=shown[row.original_owner],
        new_owner=shown[row.new_owner],
        ends_on=row.ends_on.isoformat(),
        deadline=rules.extension_deadline(row.created_on).isoformat(),
        day=(ctx.now.date() - row.created_on).days,
        late=late,
        reason=reason,
        request_id=request_id,
        about=None if request_id else await ctx.directory.account(row.account_id),
    )


# ---- jobs -------------------------------------------------------------------------------------------
async def remind(job: scheduler.JobContext) -> None:
    """Day 120: the last day the original owner may ask for an extension."""
    ctx = job.ctx
    row = await HoldoverRepository(ctx.session).lock(int(job.payload["holdover_id"]))
    if row is None or row.status != "running":
        return
    late = ctx.now.date() > rules.extension_deadline(row.created_on)  # the app was down on the day
    await _tell(ctx, row, row.original_owner, "reminder", "reminder", late=late)


async def transfer(job: scheduler.JobContext) -> None:
    """Day 180 (or the extended end): the opportunity moves to the new owner; a pending extension expires."""
    ctx = job.ctx
    row = await HoldoverRepository(ctx.session).lock(int(job.payload["holdover_id"]))
    if row is None or row.status not in RUNNING or row.ends_on.isoformat() != job.payload.get("ends_on"):
        return  # already moved, or extended (a newer job carries the new end)
    if row.extension_request_id is not None and row.status == "extension_requested":
        request = await ctx.repo.lock(row.extension_request_id)
        if request is not None and Status(request.status).open:
            for step in await ctx.repo.steps(request.id):
                if step.state == StepState.PENDING.value:
                    step.state, step.decided_at, step.remind_at = StepState.EXPIRED.value, ctx.now, None
                    await ctx.update_cards(request, step)
            await ctx.finish(request, Status.EXPIRED, why="the holdover ended before a decision")
    await _transfer_now(ctx, row)


async def report(job: scheduler.JobContext) -> None:
    """The weekly holdover report to a new owner, then next week's (missed weeks are not replayed)."""
    ctx = job.ctx
    owner = str(job.payload["owner"])
    today = ctx.now.date()
    rows = await HoldoverRepository(ctx.session).running_for_new_owner(owner, today)
    if not rows:
        return
    held = [
        rules.Holdover(
            Opportunity(
                r.opportunity_id, r.opportunity_name, r.account_id, r.original_owner, "", r.opportunity_type
            ),
            r.original_owner,
            owner,
            r.ends_on,
        )
        for r in rows
    ]
    await ctx.notify(
        owner,
        f"holdover-report:{job.job.key}",
        "holdovers/report.json.j2",
        reports=rules.weekly_reports(held, today),
        people=await ctx.shown(r.original_owner for r in rows),
        today=today,
    )
    await _schedule_report(ctx, owner)


def register_jobs(deps: Deps) -> None:
    deps.jobs[REMINDER] = remind
    deps.jobs[TRANSFER] = transfer
    deps.jobs[REPORT] = report


# ---- what a person sees -----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Listing:
    kept: list[dict[str, Any]]  # I am the original owner
    incoming: list[dict[str, Any]]  # I am the new owner


async def mine(deps: Deps, user: str) -> Listing:
    async with reading(deps, user) as ctx:
        return await listing(ctx)


async def listing(ctx: service.Context) -> Listing:
    """`ctx.actor`'s holdovers, read in the caller's session (App Home reads all its parts in one)."""
    user, today = ctx.actor, ctx.now.date()
    rows = await HoldoverRepository(ctx.session).involving(user)
    shown = await ctx.shown({r.original_owner for r in rows} | {r.new_owner for r in rows})
    person = await ctx.directory.person(user)
    accounts = await ctx.directory.accounts(list({r.account_id for r in rows}))
    views = [(_shown(person, accounts.get(r.account_id), _view(r, shown, today)), r) for r in rows]
    return Listing(
        [v for v, r in views if r.original_owner == user], [v for v, r in views if r.new_owner == user]
    )


@dataclass(frozen=True, slots=True)
class Detail:
    holdover: dict[str, Any]
    may_extend: bool


async def detail(deps: Deps, user: str, text: str) -> Detail | Refused:
    """One holdover by opportunity id or name, for its owners and Sales Ops; with the extension rights."""
    today = deps.clock().date()
    async with reading(deps, user) as ctx:
        repo = HoldoverRepository(ctx.session)
        opportunity = await ctx.directory.opportunity(text.strip())
        candidates = [opportunity] if opportunity else await ctx.directory.opportunities_named_like(text)
        row = None
        for candidate in candidates:
            row = await repo.latest_for_opportunity(candidate.opportunity_id)
            if row is not None:
                break
        person = await ctx.directory.person(user)
        account = await ctx.directory.account(row.account_id) if row is not None else None
        staff = person is not None and person.role in (Role.ADMIN, Role.SALES_OPS, Role.CRO)
        staff = staff and may_see(person, account)
        if row is None or (user not in (row.original_owner, row.new_owner) and not staff):
            return Refused(f"no holdover on an opportunity matching “{text.strip()[:80]}” that you can see")
        shown = await ctx.shown([row.original_owner, row.new_owner])
    view = _shown(person, account, _view(row, shown, today))
    allowed = rules.may_request_extension(row.created_on, today)
    if row.status != "running":
        view["extension_why"] = {
            "extension_requested": "An extension request is waiting on the new owner.",
            "transferred": "The opportunity has moved to the new owner.",
        }.get(row.status, "")
    elif row.extension_decision == "granted":
        view["extension_why"] = "An extension was already granted."
    may_extend = (
        user == row.original_owner
        and row.status == "running"
        and not row.extension_decision
        and bool(allowed)
    )
    return Detail(view, may_extend)


@dataclass(frozen=True, slots=True)
class ExtensionForm:
    holdover_id: int
    name: str
    close_date: str
    deadline: str


async def extension_form(deps: Deps, user: str, holdover_id: int) -> ExtensionForm | Refused:
    async with deps.db.reads() as session:
        row = await HoldoverRepository(session).get(holdover_id)
        opportunity = await DirectoryRepository(session).opportunity(row.opportunity_id) if row else None
    checked = _may_extend(row, user, deps.clock().date())
    if isinstance(checked, Refused) or row is None:
        return checked if isinstance(checked, Refused) else Refused("no such holdover")
    close = opportunity.close_date.isoformat() if opportunity and opportunity.close_date else ""
    return ExtensionForm(
        row.id, row.opportunity_name, close, rules.extension_deadline(row.created_on).isoformat()
    )


def _may_extend(row: HoldoverRow | None, user: str, today: date) -> Allowed | Refused:
    if row is None or row.original_owner != user:
        return Refused("only the opportunity's original owner can ask for an extension")
    if row.status != "running" or row.extension_decision:
        return Refused(f"this holdover is {row.status.replace('_', ' ')}; no extension can be asked now")
    return rules.may_request_extension(row.created_on, today)


@dataclass(frozen=True, slots=True)
class ExtensionAsked:
    request_id: int
    new_owner: str


async def request_extension(
    deps: Deps, *, user: str, holdover_id: int, close_date: date | None, evidence: str
) -> ExtensionAsked | Refused:
    """The original owner asks; the new owner decides on an approval card (reject = transfer now)."""
    evidence = evidence.strip()
    if close_date is None:
        return Refused("give the date the deal is expected to close")
    if len(evidence) > MAX_EVIDENCE:
        return Refused(f"keep the evidence under {MAX_EVIDENCE} characters", field="evidence")
    async with transaction(deps, user) as ctx:
        row = await HoldoverRepository(ctx.session).lock(holdover_id)
        today = ctx.now.date()
        for check in (_may_extend(row, user, today), rules.check_extension(close_date, today, evidence)):
            if isinstance(check, Refused):
                return check
        assert row is not None
        row.status, row.updated_at = "extension_requested", ctx.now
        row.extension_requested_on, row.extension_close_date, row.extension_evidence = (
            today,
            close_date,
            evidence,
        )
        payload = ExtensionPayload(
            holdover_id=row.id,
            opportunity_id=row.opportunity_id,
            name=row.opportunity_name,
            ends_on=row.ends_on,
            close_date=close_date,
            evidence=evidence,
            extended_to=rules.extended_end(row.ends_on, today),
            watchers=[row.original_owner, row.new_owner],
        )
        request = await payload.open(
            ctx, f"Extend the holdover of {row.opportunity_name}", StepSpec("new owner", (row.new_owner,))
        )
        row.extension_request_id = request.id
    deps.outbox.kick()
    return ExtensionAsked(request.id, row.new_owner)


def _iso(day: date | None) -> str:
    return day.isoformat() if day else ""


class ExtensionFlow:
    kind = KIND
    label = "Holdover extension"
    step_roles = {"new owner": "the opportunity's new owner"}
    verdict_words = {"new owner": ("granted", "called the evidence insufficient")}

    def card(self, request: RequestRow) -> service.Card:
        p = ExtensionPayload.of(request)
        return service.Card(
            title=request.summary,
            fields=[
                ("Opportunity", f"{p.name} ({p.opportunity_id})"),
                ("Holdover ends", _iso(p.ends_on)),
                ("Expected close", _iso(p.close_date)),
                ("Evidence", p.evidence),
            ],
            note=(
                f"Granting keeps it with its original owner until {_iso(p.extended_to)}. "
                "Calling the evidence insufficient moves the opportunity to you now."
            ),
            actions=[("approve", "Grant the extension"), ("reject", "Evidence insufficient…")],
        )

    async def on_settled(
        self, ctx: service.Context, request: RequestRow, step: StepRow, state: StepState
    ) -> None:
        p = ExtensionPayload.of(request)
        row = await HoldoverRepository(ctx.session).lock(p.holdover_id)
        if row is None or row.status != "extension_requested":
            await ctx.finish(request, Status.CANCELLED, why="the holdover already ended")
            return
        if state is StepState.REJECTED:
            reason = await reason_given(ctx, step)
            row.extension_decision = "refused"
            await ctx.finish(request, Status.REJECTED, reason=reason)
            await _transfer_now(ctx, row, insufficient=reason)
            return
        row.extension_decision, row.status, row.updated_at = "granted", "running", ctx.now
        assert p.extended_to is not None
        row.ends_on = p.extended_to
        await scheduler.cancel(ctx.session, f"holdover:{row.id}:transfer:")
        await _schedule_transfer(ctx, row)
        await ctx.finish(request, Status.APPLIED, why=f"holdover extended to {row.ends_on.isoformat()}")
        for user in (row.original_owner, row.new_owner):
            await _tell(ctx, row, user, "extended", f"extended:{user}", request_id=request.id)
