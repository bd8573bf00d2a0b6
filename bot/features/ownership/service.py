"""Account ownership use-cases: look an account up, explain it, claim it, and apply an approved transfer.

The rules are in bot/handbook/ownership.py; this module loads the directory, calls them, and runs the
approval flow on the engine (bot/approvals/service.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.approvals import service
from bot.approvals.engine import Status, StepMode, StepSpec, StepState
from bot.features.directory.names import AccountNameIndex, NameMatch
from bot.features.flows import reason_given, tell_requester
from bot.features.holdovers.service import record as record_holdovers
from bot.features.ownership.payload import OwnershipPayload
from bot.features.salesforce import jobs as salesforce
from bot.features.usecase import transaction
from bot.handbook import ownership as rules
from bot.handbook.directory import Account, Opportunity, Person, Region
from bot.handbook.results import Refused
from bot.handbook.stages import parse_stage
from bot.handbook.visibility import PUBLIC, may_see
from storage.directory import DirectoryRepository
from storage.models import RequestRow, StepRow

if TYPE_CHECKING:
    from bot.deps import Deps

KIND = OwnershipPayload.kind
MAX_REASON = 1000
NOT_FOUND = "no such account"


# ---- finding and explaining an account -----------------------------------------------------------
@dataclass
class _Cache:
    """What this process keeps of the directory between requests, keyed by the directory's versions
    (read once per request): the account-name index (rebuilt after an accounts import) and the regions
    (after an org import)."""

    names: tuple[str, AccountNameIndex] | None = None
    regions: tuple[str, list[Region]] | None = None


_cache = _Cache()


async def name_index(repo: DirectoryRepository) -> AccountNameIndex:
    """The account-name index, rebuilt when an import changed the accounts."""
    version = (await repo.versions()).get("accounts")
    if _cache.names is not None and version is not None and _cache.names[0] == version:
        return _cache.names[1]
    index = AccountNameIndex(await repo.account_names())
    if version is not None:  # accounts written without a version (by hand) are never cached
        _cache.names = (version, index)
    return index


async def regions(repo: DirectoryRepository) -> list[Region]:
    version = (await repo.versions_of(["org"])).get("org")  # one row, not every hierarchy's version
    if _cache.regions is not None and version is not None and _cache.regions[0] == version:
        return _cache.regions[1]
    found = await repo.regions()
    if version is not None:
        _cache.regions = (version, found)
    return found


async def load_view(
    repo: DirectoryRepository, account_id: str, *, named_of: str | None = None
) -> rules.AccountView | None:
    """The account in its hierarchy; `named_of` also reads that person's named count in the same query.
    Built once per transaction until it writes to the directory (a click's re-check, then its transfer)."""
    hierarchy = await repo.hierarchy_of(account_id, named_of=named_of)
    key = ("view", account_id)
    if key not in repo.derived:
        members = {a.account_id: a for a in hierarchy}
        # no such account, or its hierarchy isn't computed: None
        repo.derived[key] = rules.build_view(account_id, members, await regions(repo)) if members else None
    return repo.derived[key]


@dataclass(frozen=True, slots=True)
class Found:
    account: Account | None
    candidates: list[Account] = field(default_factory=list)


async def find_account(repo: DirectoryRepository, viewer: Person | None, text: str) -> Found:
    """By id, exact name, substring, then a forgiving fuzzy match; public sector hidden from others."""
    text = text.strip()
    if not text or viewer is None:
        return Found(None)

    def visible(account: Account | None) -> bool:
        return account is not None and may_see(viewer, account)

    index = await name_index(repo)
    if text in index.by_id:
        exact = await repo.account(text)
        if visible(exact):
            return Found(exact)
    sees_public = may_see(viewer, PUBLIC)

    async def load(matches: list[NameMatch]) -> list[Account]:
        accounts = await repo.accounts([m.account_id for m in matches]) if matches else {}
        return [a for m in matches if visible(a := accounts.get(m.account_id))]

    named = await load(index.exactly(text, public=sees_public))
    if named:
        return Found(named[0])
    like = await load(index.containing(text, public=sees_public))
    if len(like) == 1:
        return Found(like[0])
    if like:
        return Found(None, like[:5])
    scored = index.fuzzy(text, public=sees_public)
    candidates = await load(scored)
    if candidates and scored[0].score >= 90 and (len(scored) == 1 or scored[0].score - scored[1].score >= 5):
        return Found(candidates[0])
    return Found(None, candidates)


async def account_options(deps: Deps, user_id: str, text: str, limit: int = 20) -> list[Account]:
    """Type-ahead for the account picker: names containing the text, else close ones; public-sector
    accounts only for those who may see them ("Record Ownership and Record Visibility")."""
    text = text.strip()[:100]
    async with deps.db.reads() as session:
        repo = DirectoryRepository(session)
        viewer = await repo.person(user_id)
        if viewer is None or not text:
            return []
        index = await name_index(repo)
        sees_public = may_see(viewer, PUBLIC)
        hits = index.containing(text, public=sees_public, limit=limit)
        if not hits:
            hits = index.fuzzy(text, public=sees_public, limit=limit)
        if text in index.by_id:
            hits = [NameMatch(text, text), *hits]
        found = await repo.accounts([m.account_id for m in hits])
    seen: set[str] = set()
    options = []
    for m in hits:
        account = found.get(m.account_id)
        if account is not None and account.account_id not in seen and may_see(viewer, account):
            seen.add(account.account_id)
            options.append(account)
    return options[:limit]


@dataclass(frozen=True, slots=True)
class OwnerFacts:
    view: rules.AccountView
    owner: Person | None
    opportunities: list[Opportunity]
    may_reassign: Any
    people: dict[str, Person]


async def owner_facts(session: AsyncSession, viewer: Person, account: Account) -> OwnerFacts | None:
    repo = DirectoryRepository(session)
    view = await load_view(repo, account.account_id)
    if view is None:
        return None
    opportunities = [o for o in await repo.opportunities_for([account.account_id]) if _is_open(o.stage)]
    ids = {account.owner, view.ultimate_parent.owner} - {None}
    people = await repo.people([i for i in ids if i])
    return OwnerFacts(
        view, people.get(account.owner or ""), opportunities, rules.may_reassign(viewer, view), people
    )


def _is_open(stage: str) -> bool:
    match = parse_stage(stage)
    return match is None or match.stage.open


# ---- claiming --------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ClaimPreview:
    routing: rules.Routing
    new_owner: Person
    view: rules.AccountView
    record_ownership: str = ""


async def preview(
    session: AsyncSession, requester: Person, account_id: str, new_owner_id: str
) -> ClaimPreview | Refused:
    repo = DirectoryRepository(session)
    view = await load_view(repo, account_id)
    if view is None or not may_see(requester, view.account):
        return Refused(NOT_FOUND)
    new_owner = await repo.person(new_owner_id)
    if new_owner is None:
        return Refused("the new owner isn't in the sales directory")
    people = list((await repo.people()).values())
    named = await repo.named_count(new_owner.slack_id)
    return ClaimPreview(
        rules.route_request(requester, new_owner, view, people, named),
        new_owner,
        view,
        rules.record_ownership_after(view, new_owner, people),
    )


@dataclass(frozen=True, slots=True)
class ClaimModal:
    preview: ClaimPreview
    owner_name: str


async def claim_modal(deps: Deps, user_id: str, account_id: str, new_owner_id: str) -> ClaimModal | Refused:
    """What the claim modal shows `user_id` if `new_owner_id` were to take the account."""
    async with deps.db.reads() as session:
        repo = DirectoryRepository(session)
        requester = await repo.person(user_id)
        if requester is None:
            return Refused("you aren't in the sales directory yet; ask Sales Ops to add you")
        found = await preview(session, requester, account_id, new_owner_id)
        if isinstance(found, Refused):
            return found
        owner = await repo.person(found.view.account.owner or "")
    return ClaimModal(found, owner.name if owner else "nobody")


async def owner_card(deps: Deps, user_id: str, account_id: str) -> OwnerFacts | None:
    """The owner card's facts for an account `user_id` may see (None otherwise: public sector stays with
    its team, in a channel too)."""
    async with deps.db.reads() as session:
        repo = DirectoryRepository(session)
        viewer, account = await repo.person(user_id), await repo.account(account_id)
        if viewer is None or account is None or not may_see(viewer, account):
            return None
        return await owner_facts(session, viewer, account)


@dataclass(frozen=True, slots=True)
class Claimed:
    applied: bool
    request_id: int | None
    explanation: str
    approvers: list[str]


async def claim(
    deps: Deps, *, requester_id: str, account_id: str, new_owner_id: str, reason: str
) -> Claimed | Refused:
    """Apply at once when the rules allow it, else open a request routed to the approver."""
    reason = reason.strip()
    if len(reason) > MAX_REASON:
        return Refused(f"the reason is {len(reason)} characters; keep it under {MAX_REASON}", field="reason")
    async with transaction(deps, requester_id) as ctx:
        requester = await ctx.directory.person(requester_id)
        if requester is None:
            return Refused("you aren't in the sales directory yet; ask Sales Ops to add you")
        found = await preview(ctx.session, requester, account_id, new_owner_id)
        if isinstance(found, Refused):
            return found
        routing, view = found.routing, found.view
        if routing.mode is rules.Mode.BLOCKED:
            return Refused(routing.explanation)
        if routing.needs_override and routing.auto_apply and not reason:
            refusal = "the new owner breaks a rule: write an override reason to apply it"
            return Refused(refusal, field="reason")
        if await ctx.repo.in_flight_for_account(account_id):
            return Refused(
                f"{view.account.name} already has an open ownership request or escalation; see /gtm requests"
            )
        payload = OwnershipPayload(
            account_id=account_id,
            account_name=view.account.name,
            old_owner=view.account.owner,
            new_owner=new_owner_id,
            reason=reason,
            routing=routing.mode.value,
            explanation=routing.explanation,
            failed=[f"{c.label}: {c.reason}" for c in routing.criteria if not c.passed],
        )
        summary = f"{found.new_owner.name} to own {view.account.name}"
        if routing.auto_apply:
            request = await payload.open(ctx, summary, None)
            await apply_transfer(ctx, request, account_id, new_owner_id)
            outcome = Claimed(True, request.id, routing.explanation, [])
        else:
            outcome = await _route(ctx, requester_id, routing, account_id, summary, payload)
        if isinstance(outcome, Refused):
            return outcome
    deps.outbox.kick()
    return outcome


async def _route(
    ctx: service.Context,
    requester_id: str,
    routing: rules.Routing,
    account_id: str,
    summary: str,
    payload: OwnershipPayload,
) -> Claimed | Refused:
    """Open the request with its first step, routed to the approvers the rules name."""
    if not routing.approvers:
        return Refused("nobody in the directory can approve this; ask Sales Ops")
    mode = StepMode.ONE if len(routing.approvers) == 1 else StepMode.ANY
    step = StepSpec(_step_name(routing.mode), tuple(routing.approvers), mode, routing.needs_override)
    request = await payload.open(ctx, summary, step)
    await ctx.notify(
        requester_id,
        f"note:{request.id}:opened",
        "ownership/requested.json.j2",
        ref=True,
        request_id=request.id,
        summary=summary,
        explanation=routing.explanation,
        approvers=list((await ctx.shown(routing.approvers)).values()),
    )
    return Claimed(False, request.id, routing.explanation, routing.approvers)


def _step_name(mode: rules.Mode) -> str:
    return {
        rules.Mode.OWNER: "current owner",
        rules.Mode.REGION: "regional approver",
        rules.Mode.OVERRIDE: "RD override",
        rules.Mode.ADMIN_ONLY: "admin",
    }.get(mode, "approver")


async def apply_transfer(ctx: service.Context, request: RequestRow, account_id: str, new_owner: str) -> None:
    """Move the account (and the children that follow the global owner) to `new_owner`, closing `request`
    (an ownership request or an escalation), and tell everyone affected.

    Open opportunities the old owner keeps become holdovers, stored and scheduled in this transaction.
    """
    view = await load_view(ctx.directory, account_id)
    if view is None:
        await ctx.finish(request, Status.CANCELLED, why="the account is gone from the directory")
        return
    old_owner = view.account.owner
    capped = rules.within_named_cap(view.account, new_owner, await ctx.directory.named_count(new_owner))
    if not capped:  # the cap filled while the request waited: no approval or override exceeds it
        await _rejected(ctx, request, "capped", "the handbook", capped.reason, why=capped.reason)
        return
    moved = [view.account.account_id]
    if view.account.account_id == view.ultimate_parent.account_id:
        moved += [a.account_id for a in rules.children_following_global_owner(view.hierarchy, old_owner)]
    await ctx.directory.set_owner(moved, new_owner)
    await salesforce.write_owner(
        ctx,
        "Account",
        moved,
        old_owner=old_owner,
        new_owner=new_owner,
        request_id=request.id,
        key=str(request.id),
    )
    await ctx.finish(request, Status.APPLIED, accounts=moved, old_owner=old_owner, new_owner=new_owner)
    actor = await ctx.directory.person(ctx.actor)
    notify = rules.notify_on_change(actor, old_owner, new_owner) if actor else {old_owner, new_owner}
    shown = await ctx.shown([old_owner, new_owner, ctx.actor])
    holdovers = await record_holdovers(
        ctx,
        request_id=request.id,
        opportunities=await ctx.directory.opportunities_for(moved),
        old_owner=old_owner,
        new_owner=new_owner,
    )
    if any(h["moves_now"] for h in holdovers):  # an opportunity moved too: both owners hear of it
        notify |= {old_owner, new_owner}
    for user in sorted({u for u in notify if u} | {request.requester}):
        await ctx.notify(
            user,
            f"note:{request.id}:applied:{user}",
            "ownership/changed.json.j2",
            request_id=request.id,
            account=view.account.name,
            children=len(moved) - 1,
            old_owner=shown.get(old_owner or "", "nobody"),
            new_owner=shown[new_owner],
            by=shown[ctx.actor],
            holdovers=holdovers,
        )


def _why_you(mode: str) -> str:
    """The approver's card says why *they* decide ("Changing Account Ownership in Salesforce")."""
    match mode:
        case rules.Mode.OWNER.value:
            return "You own the account, and the requester may not reassign it themselves (rules 1-5)."
        case rules.Mode.REGION.value:
            return "The owner is unknown or gone, so an RD or team lead of the account's region decides."
        case rules.Mode.OVERRIDE.value:
            return (
                "The new owner breaks a rule (below): only an RD of the region or an admin may approve, "
                "with a written override reason."
            )
        case rules.Mode.ADMIN_ONLY.value:
            return "Only an admin may assign the Sales Admin user (Default Ownership)."
    return "You are this request's approver."


class OwnershipFlow:
    kind = KIND
    label = "Ownership request"
    step_roles = {
        "current owner": "the account's owner",
        "regional approver": "an RD or team lead of the account's region",
        "RD override": "an RD of the account's region, overriding a rule",
        "admin": "an admin",
    }

    def card(self, request: RequestRow) -> service.Card:
        p = OwnershipPayload.of(request)
        fields = [
            ("Account", p.account_name),
            ("Reason", p.reason or "(none given)"),
            ("Why you", _why_you(p.routing)),
        ]
        if p.failed:
            fields.append(("Rules broken", "; ".join(p.failed)))
        return service.Card(
            title=request.summary,
            fields=fields,
            note="Approving moves the account now and tells both owners.",
        )

    async def recheck(self, ctx: service.Context, request: RequestRow, step: StepRow) -> service.Recheck:
        """The new owner against the criteria and the directory as they are now (a re-import may have
        changed their role, region or segment since the request was routed)."""
        p = OwnershipPayload.of(request)
        view = await load_view(ctx.directory, p.account_id, named_of=p.new_owner)
        if view is None:
            return service.Recheck(("the account is gone from the directory",))
        new_owner = await ctx.directory.person(p.new_owner)
        if new_owner is None:
            return service.Recheck(("the new owner is no longer in the sales directory",))
        refit = rules.recheck_transfer(
            await ctx.directory.person(request.requester),
            new_owner,
            view,
            (await ctx.directory.people()).values(),
            await ctx.directory.named_count(new_owner.slack_id),
        )
        routed_with = {f.split(":", 1)[0] for f in p.failed}
        if not refit.failed or (step.needs_override and {c.label for c in refit.failed} <= routed_with):
            return service.Recheck()  # fits, or breaks only what the override step was opened for
        failed = tuple(f"{c.label}: {c.reason}" for c in refit.failed)
        if not refit.override_approvers:
            return service.Recheck(failed)
        approvers = refit.override_approvers
        mode = StepMode.ONE if len(approvers) == 1 else StepMode.ANY
        name = _step_name(rules.Mode.ADMIN_ONLY if refit.admin_only else rules.Mode.OVERRIDE)
        return service.Recheck(failed, StepSpec(name, approvers, mode, needs_override=True))

    async def on_settled(
        self, ctx: service.Context, request: RequestRow, step: StepRow, state: StepState
    ) -> None:
        if state is StepState.APPROVED:
            p = OwnershipPayload.of(request)
            await apply_transfer(ctx, request, p.account_id, p.new_owner)
            return
        reason = await reason_given(ctx, step)
        await _rejected(
            ctx, request, "rejected", (await ctx.shown([ctx.actor]))[ctx.actor], reason, reason=reason
        )


async def _rejected(
    ctx: service.Context,
    request: RequestRow,
    what: str,
    by: str | dict[str, str],
    because: str,
    **detail: Any,
) -> None:
    """The request ends without the change; the requester reads who decided it and why."""
    await ctx.finish(request, Status.REJECTED, **detail)
    await tell_requester(
        ctx, request, f"note:{request.id}:{what}", "ownership/rejected.json.j2", by=by, reason=because
    )
