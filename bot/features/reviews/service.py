"""Segment and hierarchy reviews: ask, queue for Sales Ops in fiscal Q4, decide, apply at Q1 (or now).

The rules are in bot/handbook/reviews.py (what may be asked), segments/territory (what an account is) and
ownership.new_owner_fit (whether an owner still fits). Decisions run on the approval engine.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, Any

from bot import inputs
from bot.approvals import service
from bot.approvals.engine import Status, StepMode, StepSpec, StepState
from bot.features.flows import reason_given, tell_requester
from bot.features.ownership import service as ownership
from bot.features.reviews.export import to_csv
from bot.features.reviews.payload import ReviewPayload
from bot.features.usecase import reading, transaction
from bot.handbook import ownership as rules
from bot.handbook import reviews
from bot.handbook.calendar import FiscalCalendar
from bot.handbook.directory import Person, Role
from bot.handbook.results import Refused
from bot.handbook.segments import employee_count
from bot.handbook.visibility import PUBLIC, may_see
from bot.scheduler import JobContext, cancel, schedule
from storage.models import RequestRow, StepRow
from storage.reviews import ReviewRepository

if TYPE_CHECKING:
    from bot.deps import Deps

KIND = ReviewPayload.kind
OPEN_JOB = "review.open_step"
APPLY_JOB = "review.apply"
EMPLOYEES, ADDRESS = "employees", "address"
MAX_URL = 500
CSV_HEADER = (
    "id",
    "status",
    "region",
    "account_id",
    "account",
    "review",
    "current",
    "proposed",
    "segment_before",
    "segment_after",
    "source_url",
    "requested_by",
    "requested_at",
)


def fiscal(deps: Deps) -> FiscalCalendar:
    return FiscalCalendar(deps.settings.fiscal_year_start_month)


def start_of(day: date) -> datetime:
    return datetime.combine(day, time(0), UTC)


def next_review_start(calendar: FiscalCalendar, today: date) -> date:
    """The first day of the next review quarter (fiscal Q4) on or after `today`."""
    fiscal_year, quarter = calendar.quarter_of(today)
    if quarter > calendar.review_quarter:
        fiscal_year += 1
    return calendar.quarter_start(fiscal_year, calendar.review_quarter)


# ---- the modal's facts -----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Target:
    view: rules.AccountView
    own_count: str
    address: str


async def target(deps: Deps, user_id: str, text: str) -> Target | ownership.Found | Refused:
    """The account to review, as the viewer may see it (public sector stays hidden)."""
    async with deps.db.reads() as session:
        repo = ownership.DirectoryRepository(session)
        viewer = await repo.person(user_id)
        if viewer is None:
            return Refused("you aren't in the sales directory yet; ask Sales Ops to add you")
        found = await ownership.find_account(repo, viewer, text)
        if found.account is None:
            return found
        view = await ownership.load_view(repo, found.account.account_id)
    if view is None:
        return ownership.Found(None)
    count = employee_count(view.account)
    address = view.territory.address
    where = " ".join(p for p in (address.address.state, address.address.country) if p) or "unknown"
    return Target(
        view,
        str(count) if count else "no count",
        f"{where} ({address.source})" if address.source else where,
    )


# ---- asking ----------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ReviewForm:
    review: str  # employees | address
    count: str = ""
    zip: str = ""
    state: str = ""
    country: str = ""
    source_url: str = ""


@dataclass(frozen=True, slots=True)
class FieldErrors:
    """Inline modal errors by block id."""

    errors: dict[str, str]


@dataclass(frozen=True, slots=True)
class Submitted:
    request_id: int
    summary: str
    explanation: str
    queued_until: date | None  # set when asked outside Q4: the review opens then


def parse_count(text: str) -> int | None:
    cleaned = text.replace(",", "").replace("_", "").replace(" ", "").strip()
    count = inputs.parse_count(cleaned)
    return count if count is not None and count < 1_000_000_000 else None


def _reviewers(people: list[Person], view: rules.AccountView, requester: str) -> list[str]:
    """Everyone in Sales Ops who may see the account, never the requester (nobody approves their own
    request); admins when that leaves nobody."""
    ops = [
        p.slack_id
        for p in people
        if p.role is Role.SALES_OPS and p.slack_id != requester and may_see(p, view.account)
    ]
    return ops or [p.slack_id for p in people if p.role is Role.ADMIN and p.slack_id != requester]


async def submit_review(
    deps: Deps, *, requester_id: str, account_id: str, form: ReviewForm
) -> Submitted | FieldErrors | Refused:
    url = form.source_url.strip()
    errors: dict[str, str] = {}
    source = reviews.check_source_url(url) if url else Refused("Give the source's web link.")
    if len(url) > MAX_URL:
        source = Refused(f"Keep the link under {MAX_URL} characters.")
    if isinstance(source, Refused):
        errors["source"] = source.reason
    count = parse_count(form.count) if form.review == EMPLOYEES else None
    if form.review == EMPLOYEES and count is None:
        errors["count"] = "Give the employee count as a whole number, e.g. 2,400."
    if form.review == ADDRESS:
        errors.update(reviews.address_errors(form.zip, form.state, form.country))
    if form.review not in (EMPLOYEES, ADDRESS):
        return Refused("pick what to review: the employee count or the HQ address")
    now = deps.clock()
    async with transaction(deps, requester_id, now) as ctx:
        requester = await ctx.directory.person(requester_id)
        view = await ownership.load_view(ctx.directory, account_id)
        if requester is None or view is None or not may_see(requester, view.account):
            return Refused(ownership.NOT_FOUND)
        if count is not None and not errors:
            check = reviews.check_count_review(view.hierarchy, account_id, count, url)
            if isinstance(check, Refused):
                errors["count"] = check.reason
        if errors:
            return FieldErrors(errors)
        for other in await ctx.repo.open_for_subject(KIND, account_id):
            if ReviewPayload.of(other).review == form.review:
                return FieldErrors(
                    {"source": f"{view.account.name} already has this review open: #{other.id}."}
                )
        payload = _payload(view, form, count, url)
        reviewers = _reviewers(list((await ctx.directory.people()).values()), view, requester_id)
        if not reviewers:
            return Refused("nobody in Sales Ops is in the directory to review it")
        payload.reviewers = reviewers
        request = await payload.open(ctx, payload.summary, None)
        calendar = fiscal(deps)
        queued_until = None
        if calendar.is_review_period(now.date()):
            await ctx.open_step(request, _step(reviewers))
        else:
            queued_until = next_review_start(calendar, now.date())
            await _run_on(ctx, queued_until, OPEN_JOB, f"{OPEN_JOB}:{request.id}", request)
            await ctx.audit(request, "queued", why=f"the review runs in fiscal Q4, from {queued_until}")
    deps.outbox.kick()
    return Submitted(request.id, payload.summary, payload.explanation, queued_until)


async def _run_on(ctx: service.Context, day: date, job: str, key: str, request: RequestRow) -> None:
    """The review's `job` (open its step, apply it) at the start of `day`, UTC."""
    await schedule(ctx.session, key=key, kind=job, due_at=start_of(day), payload={"request_id": request.id})


def _step(reviewers: list[str]) -> StepSpec:
    return StepSpec("Sales Ops review", tuple(reviewers), StepMode.ANY)


def _payload(view: rules.AccountView, form: ReviewForm, count: int | None, url: str) -> ReviewPayload:
    account = view.account
    before = view.segment.segment
    region = view.region.name if view.region else "No region"
    base = ReviewPayload(
        account_id=account.account_id,
        account_name=account.name,
        review=form.review,
        source_url=url,
        region=region,
        segment_before=str(before) if before else "",
        public_sector=account.public_sector,
    )
    if form.review == EMPLOYEES and count is not None:
        after = reviews.segment_with_count(view.hierarchy, account.account_id, count)
        own = employee_count(account)
        return replace(
            base,
            count=count,
            current=str(own) if own else "no count",
            proposed=f"{count:,} employees",
            segment_after=str(after) if after else "",
            summary=f"Employee count review: {account.name} to {count:,} ({before or 'none'} → {after})",
            explanation=f"{account.name}'s hierarchy would move from {before or 'no segment'} to {after}.",
        )
    zip_code, state, country = form.zip.strip(), form.state.strip().upper(), form.country.strip().upper()
    where = view.territory.address
    current = " ".join(p for p in (where.address.state, where.address.country) if p) or "none"
    return replace(
        base,
        zip=zip_code,
        state=state,
        country=country,
        current=f"{current} ({where.source})" if where.source else current,
        proposed=f"{zip_code} {state} {country}",
        segment_after=base.segment_before,
        summary=f"HQ address review: {account.name} to {zip_code} {state} {country}",
        explanation=f"{account.name}'s HQ would be {zip_code} {state} {country} (today {region}).",
    )


# ---- the flow: Sales Ops decide ---------------------------------------------------------------------
class ReviewFlow:
    kind = KIND
    label = "Segment review"
    step_roles = {"Sales Ops review": "Sales Ops"}

    def card(self, request: RequestRow) -> service.Card:
        p = ReviewPayload.of(request)
        fields = [
            ("Account", p.account_name),
            ("Region", p.region),
            ("Today", str(p.current)),
            ("Proposed", str(p.proposed)),
            ("Source", p.source_url),
        ]
        return service.Card(
            title=request.summary,
            fields=fields,
            note="Approved changes take effect at the start of fiscal Q1, or when Sales Ops apply them now "
            "(/gtm review apply ID). Rejecting asks for a note the requester reads.",
        )

    async def on_settled(
        self, ctx: service.Context, request: RequestRow, step: StepRow, state: StepState
    ) -> None:
        note = await reason_given(ctx, step)
        if state is not StepState.APPROVED:
            await ctx.finish(request, Status.REJECTED, reason=note)
            await _tell_outcome(ctx, request, "rejected", note)
            return
        effective = fiscal(ctx.deps).next_q1_start(ctx.now.date())
        p = ReviewPayload.of(request)
        p.effective_on = effective
        p.store(request)
        await ctx.finish(request, Status.APPROVED, why=f"takes effect on {effective} (start of fiscal Q1)")
        await _run_on(ctx, effective, APPLY_JOB, f"{APPLY_JOB}:{request.id}:", request)
        await _tell_outcome(ctx, request, "approved", note, effective)
        await ctx.notify(
            ctx.actor,
            f"review:{request.id}:apply-offer",
            "reviews/approved_ops.json.j2",
            request_id=request.id,
            summary=request.summary,
            effective=effective.isoformat(),
        )


async def _tell_outcome(
    ctx: service.Context, request: RequestRow, outcome: str, note: str, effective: date | None = None
) -> None:
    """The requester hears it was approved (and when it applies), rejected (with the note) or applied."""
    await tell_requester(
        ctx,
        request,
        f"review:{request.id}:{outcome}",
        "reviews/outcome.json.j2",
        outcome=outcome,
        note=note,
        effective=effective.isoformat() if effective else "",
    )


# ---- applying ----------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Applied:
    request_id: int
    summary: str
    changed: int
    owners_told: tuple[str, ...] = ()
    misfits: tuple[str, ...] = ()


async def apply_review(
    ctx: service.Context, request: RequestRow, *, by_job: bool = False
) -> Applied | Refused:
    """Write the override, recompute the hierarchy's segment and territory, tell owners, re-check rules."""
    p = ReviewPayload.of(request)
    if request.status != Status.APPROVED.value:
        return Refused(f"review #{request.id} is {request.status}, not approved")
    account_id = p.account_id
    before = await ownership.load_view(ctx.directory, account_id)
    if before is None:
        await ctx.finish(request, Status.CANCELLED, why="the account is gone from the directory")
        return Refused("the account is gone from the directory")
    repo = ReviewRepository(ctx.session)
    if p.review == EMPLOYEES:
        await repo.set_employees_override(account_id, int(p.count or 0))
    else:
        await repo.set_override_address(account_id, p.country, p.state)
    after = await ownership.load_view(ctx.directory, account_id)
    assert after is not None
    changes = reviews.hierarchy_changes(before, after)
    members = {m.account_id: m for m in after.hierarchy.members}
    regions = await ctx.directory.regions()
    by_owner = reviews.owners_to_tell(changes)
    people = await ctx.directory.people(by_owner)
    misfits: list[str] = []
    for owner_id, changed in by_owner.items():
        owner = people.get(owner_id)
        fits: list[dict[str, Any]] = []
        for change in changed:
            failed = []
            if owner is not None:
                view = rules.build_view(change.account.account_id, members, regions)
                named = await ctx.directory.named_count(owner_id)
                failed = [c.reason for c in rules.new_owner_fit(owner, view, named) if not c.passed]
            if failed:
                misfits.append(f"{change.account.name}: {owner.name if owner else owner_id}")
            fits.append({"account": change.account.name, "what": change.what, "failed": failed})
        await ctx.notify(
            owner_id,
            f"review:{request.id}:owner:{owner_id}",
            "reviews/owner_changed.json.j2",
            request_id=request.id,
            summary=request.summary,
            accounts=fits,
            section_url=rules.section("account_ownership"),
        )
    await ctx.finish(
        request,
        Status.APPLIED,
        why="start of fiscal Q1" if by_job else "applied now by Sales Ops",
        accounts_changed=len(changes),
        owners_told=sorted(by_owner),
        misfits=misfits,
    )
    if not by_job:
        await cancel(ctx.session, f"{APPLY_JOB}:{request.id}:")  # ":" so #1 never matches #10
    await _tell_outcome(ctx, request, "applied", "", ctx.now.date())
    return Applied(request.id, request.summary, len(changes), tuple(sorted(by_owner)), tuple(misfits))


def is_sales_ops(person: Person | None) -> bool:
    return person is not None and person.role is Role.SALES_OPS


async def apply_now(deps: Deps, *, request_id: int, actor: str) -> Applied | Refused:
    async with transaction(deps, actor) as ctx:
        person = await ctx.directory.person(actor)
        if not is_sales_ops(person):
            await ctx.audit(None, "refused_review_apply", request_id=request_id)
            return Refused("only Sales Ops apply reviews")
        request = await ctx.repo.lock(request_id)
        hidden = (
            request is not None and ReviewPayload.of(request).public_sector and not may_see(person, PUBLIC)
        )
        if request is None or request.kind != KIND or hidden:  # public sector: as if it didn't exist
            return Refused(f"there is no review #{request_id}")
        result = await apply_review(ctx, request)
    deps.outbox.kick()
    return result


async def open_queued_step(job: JobContext) -> None:
    ctx = job.ctx
    request = await ctx.repo.lock(int(job.payload["request_id"]))
    if request is None or request.status != Status.PENDING.value or await ctx.repo.steps(request.id):
        return
    await ctx.open_step(request, _step(ReviewPayload.of(request).reviewers))


async def apply_at_q1(job: JobContext) -> None:
    request = await job.ctx.repo.lock(int(job.payload["request_id"]))
    if request is not None and request.status == Status.APPROVED.value:
        await apply_review(job.ctx, request, by_job=True)


# ---- the queue and the export --------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Queue:
    rows: list[dict[str, Any]]
    by_region: list[tuple[str, int, int]]  # region, waiting for a decision, approved for Q1


async def queue(deps: Deps, viewer_id: str, region: str = "") -> Queue | Refused:
    """The reviews Sales Ops see, in one region when `region` is given (any case)."""
    async with reading(deps, viewer_id) as ctx:
        viewer = await ctx.directory.person(viewer_id)
        if not is_sales_ops(viewer):
            return Refused("only Sales Ops see the review queue")
        requests = await ReviewRepository(ctx.session).in_queue(KIND)
        names = await ctx.names(r.requester for r in requests)
        pending_steps = {r.id: await ctx.repo.current_step(r.id) for r in requests if r.status == "pending"}
    rows = []
    for r in requests:
        p = ReviewPayload.of(r)
        if p.public_sector and not may_see(viewer, PUBLIC):
            continue
        if region and p.region.casefold() != region.casefold():
            continue
        step = pending_steps.get(r.id)
        rows.append(
            {
                "id": r.id,
                "status": r.status,
                "region": p.region,
                "account_id": p.account_id,
                "account": p.account_name,
                "review": p.review,
                "current": p.current,
                "proposed": p.proposed,
                "segment_before": p.segment_before,
                "segment_after": p.segment_after,
                "source_url": p.source_url,
                "requested_by": names.get(r.requester, r.requester),
                "requester": r.requester,  # shown as a mention; requested_by is the CSV's name
                "requested_at": r.created_at.strftime("%Y-%m-%d"),
                "summary": r.summary,
                "effective_on": p.effective_on.isoformat() if p.effective_on else "",
                "step_id": step.id if step else None,
                "may_decide": step is not None and viewer_id in p.reviewers,
            }
        )
    waiting = Counter(r["region"] for r in rows if r["status"] == "pending")
    approved = Counter(r["region"] for r in rows if r["status"] == "approved")
    regions = sorted(set(waiting) | set(approved))
    return Queue(rows, [(region, waiting[region], approved[region]) for region in regions])


def queue_csv(found: Queue) -> str:
    return to_csv(CSV_HEADER, ([row[c] for c in CSV_HEADER] for row in found.rows))
