"""Executive sponsorship: a Sales VP nominates, the named sponsor agrees, the CRO confirms; one year each.

The rules (who nominates, the 10-account cap, the term, the reminder) are bot/handbook/sponsorship.py.
The nomination is a request on the approval engine with two steps; a confirmed one is a SponsorshipRow.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, Any

from bot.approvals import service
from bot.approvals.engine import Status, StepMode, StepSpec, StepState
from bot.features.ownership import service as ownership
from bot.features.sponsorship.payload import NominationPayload
from bot.features.usecase import reading, transaction
from bot.handbook import sponsorship as program
from bot.handbook.directory import Person, Role
from bot.handbook.results import Refused
from bot.handbook.visibility import HIDDEN_NAME as HIDDEN
from bot.handbook.visibility import may_see
from bot.render import someone
from bot.scheduler import JobContext, schedule
from storage.models import RequestRow, SponsorshipRow, StepRow
from storage.sponsorships import SponsorshipRepository

if TYPE_CHECKING:
    from bot.deps import Deps

KIND = NominationPayload.kind
REMIND_JOB = "sponsorship.remind"
END_JOB = "sponsorship.end"
MAX_WHY = 1000
REMIND_HOUR = time(14, 0)  # mid-morning in the Americas, afternoon in Europe


CONFIRM_STEP = "CRO confirms"
PUBLIC_SECTOR = "public sector accounts are visible only to the public sector team, so its sponsor is on it"


def _current(rows: list[SponsorshipRow], hidden: frozenset[str] = frozenset()) -> list[program.Sponsorship]:
    """The running sponsorships as the rules see them; accounts the reader may not see are not named."""
    return [
        program.Sponsorship(
            r.account_id,
            HIDDEN if r.account_id in hidden else r.account_name,
            r.sponsor,
            r.starts_on,
            r.ends_on,
        )
        for r in rows
    ]


async def _hidden_from(
    directory: ownership.DirectoryRepository, viewer: Person | None, rows: list[SponsorshipRow]
) -> frozenset[str]:
    """Sponsored accounts `viewer` may not see (public sector): their names stay out of refusals."""
    hidden = set()
    for row in rows:
        account = await directory.account(row.account_id)
        if account is not None and (viewer is None or not may_see(viewer, account)):
            hidden.add(row.account_id)
    return frozenset(hidden)


@dataclass(frozen=True, slots=True)
class Full:
    """The program is full: the refusal and who holds the places."""

    reason: str
    running: list[dict[str, str]]


@dataclass(frozen=True, slots=True)
class Nominee:
    account_id: str
    account_name: str
    running: int  # sponsorships running today


async def may_open(deps: Deps, user_id: str, text: str) -> Nominee | ownership.Found | Refused | Full:
    """Checks before the modal opens: a VP, a visible account, a free place."""
    today = deps.clock().date()
    async with deps.db.reads() as session:
        repo = ownership.DirectoryRepository(session)
        viewer = await repo.person(user_id)
        if viewer is None:
            return Refused("you aren't in the sales directory yet; ask Sales Ops to add you")
        allowed = program.can_nominate(viewer)
        if isinstance(allowed, Refused):
            return allowed
        found = await ownership.find_account(repo, viewer, text)
        if found.account is None:
            return found
        running = await SponsorshipRepository(session).running(today)
        hidden = await _hidden_from(repo, viewer, running)
    account = found.account
    outcome = program.nominate(
        account.account_id, account.name, viewer, viewer, _current(running, hidden), today
    )
    if isinstance(outcome, Refused):
        return _full(outcome, running, hidden)
    return Nominee(account.account_id, account.name, len(running))


def _full(refused: Refused, running: list[SponsorshipRow], hidden: frozenset[str]) -> Full | Refused:
    """A refusal because every place is taken comes with the list of who holds them."""
    if len(running) < program.max_accounts():
        return refused
    listed = [
        {
            "account": HIDDEN if r.account_id in hidden else r.account_name,
            "ends_on": r.ends_on.isoformat(),
        }
        for r in running
    ]
    return Full(refused.reason, listed)


@dataclass(frozen=True, slots=True)
class Nominated:
    request_id: int
    sponsor: str | dict[str, str]  # `someone` (bot/render.py): shown as a mention
    account_name: str


async def nominate(
    deps: Deps, *, nominator_id: str, account_id: str, sponsor_id: str, why: str
) -> Nominated | Refused | Full:
    why = why.strip()
    if len(why) > MAX_WHY:
        return Refused(f"keep the why under {MAX_WHY} characters", field="why")
    today = deps.clock().date()
    async with transaction(deps, nominator_id) as ctx:
        nominator = await ctx.directory.person(nominator_id)
        sponsor = await ctx.directory.person(sponsor_id)
        view = await ownership.load_view(ctx.directory, account_id)
        if nominator is None or view is None or not may_see(nominator, view.account):
            return Refused(ownership.NOT_FOUND)
        if sponsor is None:
            return Refused("the sponsor isn't in the sales directory; pick an executive who is")
        if not may_see(sponsor, view.account):
            return Refused(f"{sponsor.name} can't see {view.account.name}: {PUBLIC_SECTOR}")
        if sponsor.slack_id == nominator_id:
            return Refused("name someone else as sponsor: they agree to it, and you can't agree to your own")
        running = await SponsorshipRepository(ctx.session).running(today)
        hidden = await _hidden_from(ctx.directory, nominator, running)
        outcome = program.nominate(
            account_id, view.account.name, nominator, sponsor, _current(running, hidden), today
        )
        if isinstance(outcome, Refused):
            return _full(outcome, running, hidden)
        if await ctx.repo.open_for_subject(KIND, account_id):
            return Refused(f"{view.account.name} already has an open nomination; see /gtm requests")
        summary = f"{sponsor.name} to sponsor {view.account.name}"
        payload = NominationPayload(
            account_id=account_id,
            account_name=view.account.name,
            sponsor=sponsor_id,
            sponsor_name=sponsor.name,
            why=why,
            watchers=[sponsor_id],
        )
        request = await payload.open(
            ctx, summary, StepSpec("named sponsor agrees", (sponsor_id,), StepMode.ONE)
        )
    deps.outbox.kick()
    return Nominated(request.id, someone(sponsor_id, sponsor.name), view.account.name)


class SponsorshipFlow:
    kind = KIND
    label = "Executive sponsorship"
    role_steps = frozenset({CONFIRM_STEP})  # only the CRO confirms ("Executive Account Sponsorship")
    step_roles = {"named sponsor agrees": "the proposed sponsor", "CRO confirms": "the CRO"}

    def card(self, request: RequestRow) -> service.Card:
        p = NominationPayload.of(request)
        return service.Card(
            title=request.summary,
            fields=[
                ("Account", p.account_name),
                ("Sponsor", p.sponsor_name),
                ("Why", p.why or "(none given)"),
            ],
            note="The named sponsor agrees first, then the CRO confirms. A sponsorship lasts one year; "
            "at most 10 accounts have one at any time.",
        )

    async def on_settled(
        self, ctx: service.Context, request: RequestRow, step: StepRow, state: StepState
    ) -> None:
        decisions = await ctx.repo.decisions(step.id)
        p = NominationPayload.of(request)
        if state is not StepState.APPROVED:
            who = "the named sponsor declined" if step.position == 0 else "the CRO did not confirm"
            note = decisions[-1].reason if decisions else ""
            await ctx.finish(request, Status.REJECTED, why=who, reason=note)
            await _tell(ctx, request, "declined", [request.requester], text=f"{who.capitalize()}: {note}")
            return
        if step.position == 0:
            nomination = program.Nomination(p.account_id, p.account_name, p.sponsor, request.requester)
            last = decisions[-1]
            answered = program.sponsor_answers(nomination, last.on_behalf_of or last.actor, agrees=True)
            if isinstance(answered, Refused):
                await ctx.finish(request, Status.CANCELLED, why=answered.reason)
                return
            cros = await ctx.directory.people_with_roles([Role.CRO])
            if not cros:
                await ctx.finish(request, Status.CANCELLED, why="there is no CRO in the directory to confirm")
                return
            await ctx.open_step(
                request, StepSpec(CONFIRM_STEP, tuple(c.slack_id for c in cros), StepMode.ANY)
            )
            await _tell(ctx, request, "agreed", [request.requester])
            return
        await self._confirm(ctx, request, p, decisions)

    async def _confirm(
        self, ctx: service.Context, request: RequestRow, p: NominationPayload, decisions: list[Any]
    ) -> None:
        today = ctx.now.date()
        repo = SponsorshipRepository(ctx.session)
        await repo.lock_program()
        running = await repo.running(today)
        last = decisions[-1]
        confirmer = await ctx.directory.person(last.on_behalf_of or last.actor)
        nomination = program.Nomination(
            p.account_id,
            p.account_name,
            p.sponsor,
            request.requester,
            program.NominationStatus.SPONSOR_AGREED,
        )
        if confirmer is None:
            result: program.Sponsorship | Refused = Refused("the confirmer isn't in the directory")
        else:
            requester = await ctx.directory.person(request.requester)  # the refusal is DMed to them
            hidden = await _hidden_from(ctx.directory, requester, running)
            result = program.confirm(nomination, confirmer, _current(running, hidden), today)
        if isinstance(result, Refused):
            await ctx.finish(request, Status.REJECTED, why=result.reason)
            await _tell(ctx, request, "declined", [request.requester, p.sponsor], text=result.reason)
            return
        row = await repo.add(
            SponsorshipRow(
                account_id=result.account_id,
                account_name=result.account_name,
                sponsor=result.sponsor,
                nominated_by=request.requester,
                confirmed_by=last.actor,
                request_id=request.id,
                why=p.why,
                starts_on=result.starts_on,
                ends_on=result.ends_on,
                created_at=ctx.now,
            )
        )
        for job, due in (
            (REMIND_JOB, datetime.combine(program.reminder_on(result), REMIND_HOUR, UTC)),
            (END_JOB, datetime.combine(result.ends_on, time(0), UTC)),
        ):
            await schedule(
                ctx.session, key=f"{job}:{row.id}", kind=job, due_at=due, payload={"sponsorship_id": row.id}
            )
        await ctx.finish(request, Status.APPLIED, why=f"sponsored until {result.ends_on}", sponsorship=row.id)
        await _tell(
            ctx,
            request,
            "confirmed",
            [request.requester, p.sponsor],
            sponsor=someone(p.sponsor, p.sponsor_name),
            account=p.account_name,
            ends_on=result.ends_on,
        )


async def _tell(
    ctx: service.Context,
    request: RequestRow | SponsorshipRow,
    what: str,
    users: list[str],
    *,
    text: str = "",
    account: str = "",
    sponsor: str | dict[str, str] = "",
    ends_on: date | None = None,
) -> None:
    """News of a nomination (by request) or a sponsorship (by row): sorry, agreed, confirmed, ending, ended.
    The sentence is the template's (sponsorship/notice.json.j2), but for a refusal's `text`."""
    if isinstance(request, SponsorshipRow):
        key, request_id, summary = request.id, request.request_id, f"Executive sponsorship of {account}"
    else:
        key, request_id, summary = request.id, request.id, request.summary
    for user in dict.fromkeys(users):
        await ctx.notify(
            user,
            f"sponsorship:{key}:{what}:{user}",
            "sponsorship/notice.json.j2",
            request_id=request_id,
            summary=summary,
            what=what,
            text=text,
            account=account,
            sponsor=sponsor,
            ends_on=ends_on.isoformat() if ends_on else "",
        )


async def _sponsorship_notice(job: JobContext, what: str) -> None:
    row = await SponsorshipRepository(job.ctx.session).get(int(job.payload["sponsorship_id"]))
    if row is None:
        return
    await _tell(
        job.ctx, row, what, [row.sponsor, row.nominated_by], account=row.account_name, ends_on=row.ends_on
    )
    if what == "ending":
        why = (
            f"{row.account_name}'s executive sponsorship ends on {row.ends_on}. "
            "Nominate it again (/gtm sponsor) if it should go on."
        )
    else:
        why = f"{row.account_name}'s executive sponsorship ended today; its place in the program is free."
    await job.ctx.repo.audit(row.request_id, "gtm-bot", f"sponsorship_{what}", {"why": why}, job.ctx.now)


async def remind_before_end(job: JobContext) -> None:
    await _sponsorship_notice(job, "ending")


async def end(job: JobContext) -> None:
    await _sponsorship_notice(job, "ended")


@dataclass(frozen=True, slots=True)
class Listing:
    running: list[dict[str, str]]
    nominations: list[dict[str, Any]]
    cap: int


async def listing(deps: Deps, viewer_id: str) -> Listing:
    today = deps.clock().date()
    async with reading(deps, viewer_id) as ctx:
        viewer = await ctx.directory.person(viewer_id)
        repo = SponsorshipRepository(ctx.session)
        rows = await repo.running(today)
        nominations = await repo.open_nominations(KIND)
        ids = {r.account_id for r in rows} | {n.subject_id or "" for n in nominations}
        accounts = {a: await ctx.directory.account(a) for a in ids}
        sponsors = await ctx.shown(r.sponsor for r in rows)

    def hidden(account_id: str | None) -> bool:
        account = accounts.get(account_id or "")
        return account is not None and (viewer is None or not may_see(viewer, account))

    running = [
        {
            "account": HIDDEN if hidden(r.account_id) else r.account_name,
            "sponsor": sponsors.get(r.sponsor, r.sponsor),
            "ends_on": r.ends_on.isoformat(),
        }
        for r in rows
    ]
    pending = [{"id": n.id, "summary": n.summary} for n in nominations if not hidden(n.subject_id)]
    return Listing(running, pending, program.max_accounts())
