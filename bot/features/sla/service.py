"""Contact Us and professional-service requests: log one for the account owner, remind, escalate, close.

The SLA (one business day, weekends and holidays skipped) is bot/handbook/contact_requests.py; the
reminder and the escalation are scheduler jobs, cancelled when the owner closes the request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.features.ownership import service as ownership
from bot.features.usecase import reading, transaction
from bot.handbook import contact_requests as sla_rules
from bot.handbook.calendar import BusinessCalendar
from bot.handbook.directory import Role
from bot.handbook.results import Refused
from bot.handbook.visibility import may_see, redact
from bot.render import slack_date, someone
from bot.scheduler import JobContext, cancel, schedule
from storage.models import SlaRequestRow
from storage.sla import SlaRepository

if TYPE_CHECKING:
    from bot.approvals.service import Context
    from bot.deps import Deps

REMIND_JOB = "sla.remind"
ESCALATE_JOB = "sla.escalate"
MAX_NOTE = 1000
STAFF = (Role.SALES_OPS, Role.ADMIN)


def calendar(deps: Deps) -> BusinessCalendar:
    return BusinessCalendar(
        country=deps.settings.holiday_country, subdivision=deps.settings.holiday_subdivision
    )


def when(moment: datetime) -> str:
    """In Slack's date formatting (each reader's own time zone); the UTC text where it can't render."""
    return slack_date(moment, fallback=moment.strftime("%a %d %b %H:%M UTC"))


@dataclass(frozen=True, slots=True)
class Logged:
    sla_id: int
    account_name: str
    owner: str | dict[str, str]  # `someone` (bot/render.py): a Slack id, or a name Slack doesn't know
    due_at: datetime


async def log_request(
    deps: Deps, *, logger_id: str, account_id: str, kind: str, received_at: datetime | None, note: str
) -> Logged | dict[str, str] | Refused:
    """Record the request for the account's owner and schedule the reminder and the escalation.

    Returns inline errors by block id for what the person can fix in the modal.
    """
    now = deps.clock()
    errors: dict[str, str] = {}
    try:
        sla_kind = sla_rules.SlaKind(kind)
    except ValueError:
        errors["kind"] = "Pick Contact Us or professional services."
    if received_at is None:
        errors["received"] = "Pick when the request came in."
    else:
        checked = sla_rules.check_received_at(received_at, now)
        if isinstance(checked, Refused):
            errors["received"] = checked.reason
    if len(note.strip()) > MAX_NOTE:
        errors["note"] = f"Keep the note under {MAX_NOTE} characters."
    if errors or received_at is None:
        return errors
    times = sla_rules.sla_times(calendar(deps), received_at)
    async with transaction(deps, logger_id, now) as ctx:
        logger = await ctx.directory.person(logger_id)
        view = await ownership.load_view(ctx.directory, account_id)
        if logger is None or view is None or not may_see(logger, view.account):
            return Refused(ownership.NOT_FOUND)
        owner = await ctx.directory.person(view.account.owner or "")
        if owner is None:
            return Refused(f"{view.account.name} has no owner in the directory; ask Sales Ops to assign one")
        row = await SlaRepository(ctx.session).add(
            SlaRequestRow(
                account_id=account_id,
                account_name=view.account.name,
                kind=sla_kind.value,
                owner=owner.slack_id,
                manager=owner.manager,
                logged_by=logger_id,
                note=note.strip(),
                received_at=times.received_at,
                remind_at=times.remind_at,
                due_at=times.due_at,
                status="open",
                created_at=now,
            )
        )
        for job, due in ((REMIND_JOB, times.remind_at), (ESCALATE_JOB, times.due_at)):
            await schedule(
                ctx.session, key=f"sla:{row.id}:{job}", kind=job, due_at=due, payload={"sla_id": row.id}
            )
        await ctx.audit(
            None, "sla_logged", sla_id=row.id, account=view.account.name, owner=owner.slack_id, kind=row.kind
        )
        shown_owner = someone(owner.slack_id, owner.name)  # the Person is in hand: no look-up
        await ctx.notify(
            owner.slack_id,
            f"sla:{row.id}:logged",
            "sla/notice.json.j2",
            about=view.account,
            what="logged",
            sla=_row(row),
            by=logger_id,  # who submitted the modal: a Slack user, shown as a mention
            owner_name=shown_owner,
        )
    deps.outbox.kick()
    return Logged(row.id, view.account.name, shown_owner, times.due_at)


def _row(row: SlaRequestRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "account": row.account_name,
        "kind": sla_rules.SlaKind(row.kind).label,
        "received": when(row.received_at),
        "due": when(row.due_at),
        "due_at": row.due_at,
        "note": row.note,
        "escalated": row.escalated_at is not None,
    }


async def close(deps: Deps, *, sla_id: int, actor: str) -> SlaRequestRow | Refused:
    """The owner marks it followed up: no reminder and no escalation go out after this."""
    async with transaction(deps, actor) as ctx:
        row = await SlaRepository(ctx.session).lock(sla_id)
        if row is None:
            return Refused(f"there is no request #{sla_id}")
        if row.owner != actor:
            await ctx.audit(None, "refused_sla_done", sla_id=sla_id)
            return Refused("only the account owner closes it")
        if row.status != "open":
            return Refused(f"request #{sla_id} is already {row.status}")
        row.status, row.closed_at, row.closed_by = "done", ctx.now, actor
        await cancel(ctx.session, f"sla:{row.id}:")
        late = ctx.now > row.due_at
        await ctx.audit(None, "sla_done", sla_id=row.id, late=late)
        await ctx.touch(row.owner)
    return row


async def _job_row(job: JobContext) -> SlaRequestRow | None:
    row = await SlaRepository(job.ctx.session).lock(int(job.payload["sla_id"]))
    return row if row is not None and row.status == "open" else None


async def remind(job: JobContext) -> None:
    row = await _job_row(job)
    if row is None:
        return
    shown = await job.ctx.shown([row.owner])
    await job.ctx.notify(
        row.owner,
        f"sla:{row.id}:remind",
        "sla/notice.json.j2",
        about=await job.ctx.directory.account(row.account_id),
        what="reminder",
        sla=_row(row),
        by="",
        owner_name=shown[row.owner],
    )
    await job.ctx.audit(None, "sla_reminded", sla_id=row.id)


async def escalate(job: JobContext) -> None:
    """The SLA ran out: tell the owner's manager (and the owner)."""
    row = await _job_row(job)
    if row is None:
        return
    row.escalated_at = job.ctx.now
    shown = await job.ctx.shown([row.owner])
    told = [row.manager] if row.manager else []
    if not told:  # nobody above the owner in the directory: Sales Ops hear it instead, never nobody
        ops = await job.ctx.directory.people_with_roles([Role.SALES_OPS])
        ops = ops or await job.ctx.directory.people_with_roles([Role.ADMIN])
        told = [p.slack_id for p in ops]
    account = await job.ctx.directory.account(row.account_id)
    for user, what in [*((u, "escalated") for u in told), (row.owner, "overdue")]:
        await job.ctx.notify(
            user,
            f"sla:{row.id}:{what}",
            "sla/notice.json.j2",
            about=account,
            what=what,
            sla=_row(row),
            by="",
            owner_name=shown[row.owner],
        )
    await job.ctx.audit(None, "sla_escalated", sla_id=row.id, manager=row.manager, told=told)


async def open_requests(deps: Deps, viewer_id: str) -> list[dict[str, Any]]:
    """Open requests the viewer owns, manages or logged (Sales Ops and admins see all)."""
    async with reading(deps, viewer_id) as ctx:
        viewer = await ctx.directory.person(viewer_id)
        everyone = viewer is not None and viewer.role in STAFF
        rows = await SlaRepository(ctx.session).open_for(None if everyone else viewer_id)
        # Public-sector accounts the viewer may not see: left out of staff's lists, and named as
        # "a public-sector account" to a manager or logger who is told about it anyway.
        accounts = await ctx.directory.accounts(list({r.account_id for r in rows}))
        shown: list[tuple[SlaRequestRow, bool]] = []
        for row in rows:
            visible = may_see(viewer, accounts.get(row.account_id))
            if visible or viewer_id in {row.owner, row.manager, row.logged_by}:
                shown.append((row, visible))
        return await _listed(ctx, shown)


async def owned_open(ctx: Context) -> list[dict[str, Any]]:
    """The open requests `ctx.actor` owns (App Home's list: `open_requests`' rows that are "mine"), read in
    the caller's session; always shown to their owner, an account they may not see unnamed."""
    rows = await SlaRepository(ctx.session).open_for(ctx.actor, owned=True)
    viewer = await ctx.directory.person(ctx.actor)
    accounts = await ctx.directory.accounts(list({r.account_id for r in rows}))
    return await _listed(ctx, [(row, may_see(viewer, accounts.get(row.account_id))) for row in rows])


async def _listed(ctx: Context, shown: list[tuple[SlaRequestRow, bool]]) -> list[dict[str, Any]]:
    """List rows for `ctx.actor`: with the owner's name and the SLA's state; redacted where not visible."""
    people = await ctx.shown(r.owner for r, _ in shown)
    listed = []
    for row, visible in shown:
        times = sla_rules.SlaTimes(row.received_at, row.remind_at, row.due_at)
        entry = _row(row) | {
            "owner": people.get(row.owner, row.owner),
            "state": sla_rules.sla_status(times, ctx.now, done=False),
            "mine": row.owner == ctx.actor,
        }
        listed.append(entry if visible else redact(entry, [row.account_name]))
    return listed
