"""Approval use-cases over the database: open a request, decide a step, cancel, remind.

Each use-case is one transaction. Slack messages are written to the outbox in that same transaction and
sent after the commit, so a decision and its notifications can't diverge. What a settled step *means* is
the flow's business (ownership, escalation, review...): flows register by request kind.
"""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot import observe
from bot.approvals import outbox
from bot.approvals.engine import (
    Status,
    StepMode,
    StepSpec,
    StepState,
    Verdict,
    may_cancel,
    may_decide,
    settle,
)
from bot.handbook.calendar import BusinessCalendar
from bot.handbook.directory import Account, Person, Role
from bot.handbook.results import Refused
from bot.handbook.visibility import approvers_who_may_see, may_see, redact
from bot.render import is_slack_user, someone
from storage.directory import DirectoryRepository
from storage.models import DecisionRow, RequestRow, StepRow
from storage.requests import RequestRepository, card_ref, requested_ref

if TYPE_CHECKING:
    from bot.deps import Deps

MAX_REASON = 1000
# an outbox row built when sent (bot/features/home/service.py): a views.publish of App Home
HOME_REFRESH = "home.refresh"


@dataclass(frozen=True, slots=True)
class Card:
    """How a request reads on a card and in lists: a title and label/value lines (plain text; a person's value
    is `{"user": SLACK_ID}` or `{"name": ...}`, a mention or a name on the card, bot/render.py `person`)."""

    title: str
    fields: list[tuple[str, str | dict[str, str]]] = field(default_factory=list)
    note: str = ""
    # What the approver may do instead of approve/reject: (verb, label), e.g. ("keep", "Keep…"). The Slack
    # side turns a verb into a button (bot/render.py BUTTONS: its action id and style).
    actions: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Recheck:
    """A request re-evaluated against the directory as it is now, when someone approves it.

    `failed` says why it no longer fits (empty: it still does); `override` is the step whose approvers
    may approve it anyway with a written reason (None: the rules allow no override, only a rejection).
    """

    failed: tuple[str, ...] = ()
    override: StepSpec | None = None


class Flow(Protocol):
    kind: str
    label: str

    def card(self, request: RequestRow) -> Card: ...

    # Optional: `requester_steps`, names of steps the requester decides (e.g. accepting a reply to them).
    # Optional: `async def recheck(ctx, request, step) -> Recheck`, run before an approval is recorded.
    # Optional: `role_steps`, names of steps only a role may decide (e.g. the CRO confirms): on a public-
    # sector account nobody stands in for them; their cards name no account they may not see.
    # Optional: `step_roles` (step -> whom its card speaks to), `verdict_words` (step -> past tenses).

    async def on_settled(self, ctx: Context, request: RequestRow, step: StepRow, state: StepState) -> None:
        """Called inside the deciding transaction once a step is approved or rejected."""


@dataclass
class Context:
    """One use-case's transaction plus the helpers flows need; everything it writes commits together."""

    deps: Deps
    session: AsyncSession
    now: datetime
    actor: str
    repo: RequestRepository = field(init=False)
    directory: DirectoryRepository = field(init=False)
    after_commit: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    _accounts: dict[int, Account | None] = field(default_factory=dict, init=False)
    cards_final: bool = False  # finish() rewrote every card of the request: no other update needed
    touched: set[str] = field(default_factory=set)  # people whose App Home is refreshed after commit

    def __post_init__(self) -> None:
        self.repo = RequestRepository(self.session)
        self.directory = DirectoryRepository(self.session, people_cache=self.deps.directory)

    # ---- what each person may see of a request ("Record Visibility", bot/handbook/visibility.py) ----
    async def account_of(self, request: RequestRow | Row[Any]) -> Account | None:
        """The account a request is about (directly, or through its opportunity), as the directory has it."""
        if request.id in self._accounts:
            return self._accounts[request.id]
        p = request.payload or {}
        account_id = p.get("account_id")
        if not account_id and p.get("opportunity_id"):
            opportunity = await self.directory.opportunity(p["opportunity_id"])
            account_id = opportunity.account_id if opportunity else None
        account = await self.directory.account(account_id) if account_id else None
        return self._remember_account(request, account_id, account)

    async def read_accounts(self, requests: Sequence[RequestRow | Row[Any]]) -> None:
        """The accounts of these requests (a list's rows) in one query, so `account_of` asks nothing more
        for them; a request about an opportunity only is still looked up on its own."""
        direct = {
            r.id: (r, r.payload["account_id"])
            for r in requests
            if r.id not in self._accounts and (r.payload or {}).get("account_id")
        }
        if not direct:
            return
        found = await self.directory.accounts(sorted({account_id for _r, account_id in direct.values()}))
        for request, account_id in direct.values():
            self._remember_account(request, account_id, found.get(account_id))

    def _remember_account(
        self, request: RequestRow | Row[Any], account_id: str | None, account: Account | None
    ) -> Account | None:
        p = request.payload or {}
        if p.get("public_sector") and (account is None or not account.public_sector):
            account = Account(account_id or "", p.get("account_name", ""), public_sector=True)
        self._accounts[request.id] = account
        return account

    async def shown_to(self, viewer: str | Person | None, request: RequestRow | Row[Any], value: Any) -> Any:
        """`value` (a message's context, a list row...) as `viewer` may see it: a public-sector account
        they may not see reads "a public-sector account", whatever names it (account, opportunity)."""
        account = await self.account_of(request)
        if account is None or not account.public_sector:
            return value
        person = await self.directory.person(viewer) if isinstance(viewer, str) else viewer
        if may_see(person, account):
            return value
        p = request.payload or {}
        names = [account.name, p.get("account_name", "")]
        if p.get("opportunity_id"):
            names.append(p.get("name", ""))
        return redact(value, names)

    async def may_see_request(self, viewer: str | Person | None, request: RequestRow) -> bool:
        person = await self.directory.person(viewer) if isinstance(viewer, str) else viewer
        return may_see(person, await self.account_of(request))

    async def names(self, ids: Iterable[str | None]) -> dict[str, str]:
        wanted = {i for i in ids if i}
        people = await self.directory.people(wanted) if wanted else {}
        return {i: (people[i].name if i in people else i) for i in wanted}

    async def shown(self, ids: Iterable[str | None]) -> dict[str, str | dict[str, str]]:
        """People for a message's context (`someone`): Slack ids as they are, names only for the rest."""
        wanted = {i for i in ids if i}
        names = await self.names(i for i in wanted if not is_slack_user(i))
        return {i: someone(i, names.get(i)) for i in wanted}

    async def touch(self, *users: str | None) -> None:
        """Something changed for these people: republish their App Home once this commits."""
        for user in users:
            if not user or user in self.touched or not user.startswith(("U", "W")):
                continue
            self.touched.add(user)
            await outbox.enqueue(
                self.session,
                key=f"home:{user}:{uuid.uuid4().hex}",
                method=HOME_REFRESH,
                payload={"user_id": user},
                ref_key=f"home:{user}",  # in order per person; a newer refresh supersedes waiting ones
                now=self.now,
            )

    async def audit(self, request: RequestRow | None, action: str, **detail: Any) -> None:
        await self.repo.audit(request.id if request else None, self.actor, action, detail, self.now)

    async def notify(
        self,
        user: str | None,
        key: str,
        template: str,
        *,
        ref: bool = False,
        about: Account | None = None,
        **context: Any,
    ) -> None:
        """A durable DM, sent after commit; the same key twice is one message. With `ref`, it is the
        requester's copy of a request, rewritten when the request finishes (so no stale buttons).
        A DM about a request (or `about` an account) that `user` may not see names no account."""
        if not user:
            return
        await self.touch(user)
        request = await self.repo.get(context["request_id"]) if context.get("request_id") else None
        if request is not None:
            context = await self.shown_to(user, request, context)
        if about is not None and not may_see(await self.directory.person(user), about):
            context = redact(context, [about.name])
        message = self.stored_message(template, context)
        await outbox.enqueue(
            self.session,
            key=key,
            method="chat.postMessage",
            payload={"channel": user, **message},
            ref_key=requested_ref(context["request_id"]) if ref else None,
            now=self.now,
        )

    async def open_step(self, request: RequestRow, spec: StepSpec) -> StepRow:
        spec = await self._visible_approvers(request, spec)
        steps = await self.repo.steps(request.id)
        step = StepRow(
            request_id=request.id,
            position=len(steps),
            name=spec.name,
            mode=spec.mode.value,
            approvers=list(spec.approvers),
            state=StepState.PENDING.value,
            needs_override=spec.needs_override,
            created_at=self.now,
            remind_at=reminder_after(self.deps, self.now),
        )
        await self.repo.add_step(step, spec.approvers)
        await self.touch(request.requester, *spec.approvers)
        await self.audit(
            request, "step_opened", step=spec.name, approvers=list(spec.approvers), mode=spec.mode.value
        )
        for approver in dict.fromkeys(spec.approvers):
            await self.post_card(request, step, approver)
        return step

    async def _visible_approvers(self, request: RequestRow, spec: StepSpec) -> StepSpec:
        """Approvals on a public-sector account go only to people who may see it: the public sector
        team's own RDs or managers stand in for the others, else the admins."""
        account = await self.account_of(request)
        if account is None or not account.public_sector:
            return spec
        if spec.name in getattr(flow_for(self.deps, request.kind), "role_steps", ()):
            return spec
        people = await self.directory.people()
        approvers = approvers_who_may_see(account, spec.approvers, people, exclude={request.requester})
        if not approvers or approvers == list(spec.approvers):
            return spec  # nobody who may see it: the cards name no account (see card_context)
        mode = StepMode.ANY if spec.mode is StepMode.ONE and len(approvers) > 1 else spec.mode
        await self.audit(
            request, "rerouted", step=spec.name, why="public sector: decided by people who may see it"
        )
        return StepSpec(spec.name, tuple(approvers), mode, spec.needs_override)

    async def card_context(self, request: RequestRow, step: StepRow, approver: str) -> dict[str, Any]:
        return await self.shown_to(approver, request, await self._card_context(request, step, approver))

    async def _card_context(self, request: RequestRow, step: StepRow, approver: str) -> dict[str, Any]:
        flow = flow_for(self.deps, request.kind)
        decisions = await self.repo.decisions(step.id)
        shown = await self.shown([request.requester, *(d.actor for d in decisions)])  # mentions, mostly
        status = Status(request.status)
        card = flow.card(request)
        if request.payload.get("no_longer_fits"):
            stale = "; ".join(request.payload["no_longer_fits"])
            card = replace(card, fields=[*card.fields, ("No longer fits (checked when approved)", stale)])
        return {
            "request_id": request.id,
            "step_id": step.id,
            "kind": flow.label,
            "card": json.loads(json.dumps(asdict(card), default=str)),  # plain JSON: stored to render later
            "requester": shown.get(request.requester, request.requester),
            "approver": approver,
            "step": step.name,
            "role": step_role(flow, step.name),
            "state": step.state,
            "needs_override": step.needs_override,
            "status": request.status,
            "finished": not status.open,
            "outcome": STATUS_WORDS.get(status, status.value),
            "decisions": [
                {
                    "by": shown.get(d.actor, d.actor),
                    "verb": past_tense(flow, step.name, Verdict(d.decision)),
                    "approved": d.decision == Verdict.APPROVE.value,
                    "reason": d.reason,
                    "at": d.at.isoformat(),
                }
                for d in decisions
            ],
        }

    def stored_message(self, template: str, context: dict[str, Any]) -> dict[str, Any]:
        """A message for the outbox: stored as its template and context and rendered when sent (after
        the ack), or rendered now when the context would not read back the same from JSON (dates,
        dataclasses, tuples)."""
        try:
            stored = json.loads(json.dumps(context))
        except (TypeError, ValueError):
            stored = None
        if stored != context:
            return self.deps.renderer.message(template, **context)
        return {"render": {"template": template, "context": stored}}

    async def _card(self, request: RequestRow, step: StepRow, approver: str, key_suffix: str = "") -> None:
        """The approver's card of this step as it reads now: posted (no `key_suffix`), else updated in
        place under the dedupe key `card:STEP:APPROVER:SUFFIX`, so each state is written once."""
        context = await self.card_context(request, step, approver)
        message = self.stored_message("approvals/card.json.j2", context)
        ref = card_ref(step.id, approver)
        await outbox.enqueue(
            self.session,
            key=f"{ref}:{key_suffix}" if key_suffix else ref,
            method="chat.update" if key_suffix else "chat.postMessage",
            payload=message if key_suffix else {"channel": approver, **message},
            ref_key=ref,
            now=self.now,
        )

    async def post_card(self, request: RequestRow, step: StepRow, approver: str) -> None:
        await self._card(request, step, approver)

    async def update_cards(self, request: RequestRow, step: StepRow, *, only: str | None = None) -> None:
        """Rewrite the step's cards in place (no buttons once decided); keyed by state so it happens once."""
        approvers = [only] if only else await self.repo.approvers(step.id)
        decisions = len(await self.repo.decisions(step.id))
        for approver in approvers:
            await self._card(request, step, approver, f"{step.state}:{decisions}")

    async def finish(self, request: RequestRow, status: Status, **detail: Any) -> None:
        """Close the request; every card of it (each step, each approver) and the requester's copy are
        rewritten to show the outcome, without buttons."""
        await self.repo.write(request, status=status.value, updated_at=self.now)
        await self.audit(request, status.value, **detail)
        self.cards_final = True
        await self.touch(request.requester)
        cards = [
            (step, approver)
            for step in await self.repo.steps(request.id)
            for approver in await self.repo.approvers(step.id)
        ]
        ref = requested_ref(request.id)
        posted = await self.repo.posted_refs([ref, *(card_ref(step.id, a) for step, a in cards)])
        for step, approver in cards:
            await self.touch(approver)
            if card_ref(step.id, approver) in posted:
                await self._card(request, step, approver, f"final:{status.value}")
        if ref in posted:
            closed = {"id": request.id, "status": request.status, "summary": request.summary}
            message = self.stored_message("approvals/closed_note.json.j2", {"request": closed})
            await outbox.enqueue(
                self.session,
                key=f"{ref}:{status.value}",
                method="chat.update",
                payload=message,
                ref_key=ref,
                now=self.now,
            )


# What a finished request's cards say, and how a decision reads ("Sally kept it", never "rejectd").
STATUS_WORDS = {
    Status.PENDING: "pending",
    Status.ESCALATED: "escalated",
    Status.APPROVED: "approved (it takes effect on the agreed date)",
    Status.APPLIED: "approved and done",
    Status.REJECTED: "closed without the change",
    Status.CANCELLED: "cancelled by the requester",
    Status.EXPIRED: "expired",
    Status.OVERRULED: "overruled",
}
_PAST = {Verdict.APPROVE: "approved", Verdict.REJECT: "rejected"}


def past_tense(flow: Flow, step_name: str, verdict: Verdict) -> str:
    """The decision as a past-tense phrase; flows name their own (`verdict_words`: step -> (yes, no))."""
    words = getattr(flow, "verdict_words", {}).get(step_name)
    if words:
        return words[0] if verdict is Verdict.APPROVE else words[1]
    return _PAST[verdict]


def step_role(flow: Flow, step_name: str) -> str:
    """Whom a step's card speaks to: "you decide as {role}" (`step_roles`: step -> phrase)."""
    return getattr(flow, "step_roles", {}).get(step_name, f"the {step_name}")


def reminder_after(deps: Deps, now: datetime) -> datetime:
    """Pending approvals are reminded after one business day, then each business day."""
    settings = deps.settings
    calendar = BusinessCalendar(country=settings.holiday_country, subdivision=settings.holiday_subdivision)
    return calendar.add_business_days(now, 1)


class _PlainFlow:
    """How a request of a kind this process has no flow for reads in lists (a scheduler-only process)."""

    label = "Request"

    def card(self, request: RequestRow) -> Card:
        return Card(title=request.summary)


def _flow_or_plain(deps: Deps, kind: str) -> Any:
    return deps.flows.get(kind) or _PlainFlow()


def flow_for(deps: Deps, kind: str) -> Flow:
    try:
        return deps.flows[kind]
    except KeyError:
        raise LookupError(f"no flow registered for request kind {kind!r}") from None


# ---- use-cases -------------------------------------------------------------------------------------
async def open_request(
    ctx: Context,
    *,
    kind: str,
    subject_id: str | None,
    summary: str,
    payload: dict[str, Any],
    first_step: StepSpec | None,
) -> RequestRow:
    """Create a request (and its first step with approval cards) inside the caller's transaction."""
    request = RequestRow(
        kind=kind,
        status=Status.PENDING.value,
        requester=ctx.actor,
        subject_id=subject_id,
        summary=summary[:300],
        payload=payload,
        created_at=ctx.now,
        updated_at=ctx.now,
        version=0,
    )
    await ctx.repo.add_request(request)
    await ctx.touch(ctx.actor)
    observe.note(approval_request=request.id)
    await ctx.audit(request, "requested", summary=summary[:300])
    if first_step is not None:
        await ctx.open_step(request, first_step)
    return request


@dataclass(frozen=True, slots=True)
class Decided:
    request: RequestRow
    step: StepRow
    verdict: Verdict
    state: StepState  # the step's state after this decision


async def decide(
    deps: Deps,
    *,
    request_id: int,
    step_id: int,
    actor: str,
    verdict: Verdict,
    reason: str = "",
    override_reason: str = "",
    replay_key: str | None = None,
) -> Decided | Refused | None:
    """Record one decision; a double click, a retry or a second approver racing it changes nothing.

    With `replay_key` (the click's, bot/replays.py), the key is recorded in the same transaction, first:
    None means the click was handled before (a replay) and nothing was done."""
    observe.note(approval_request=request_id)
    reason, override_reason = reason.strip()[:MAX_REASON], override_reason.strip()[:MAX_REASON]
    if verdict is Verdict.REJECT and not reason:
        return Refused("a rejection needs a reason")
    try:
        async with deps.db.sessions.begin() as session:
            if replay_key is not None and not await deps.replays.first_time_in(session, replay_key):
                return None
            ctx = Context(deps, session, deps.clock(), actor)
            result = await _decide(ctx, request_id, step_id, verdict, reason, override_reason)
    except IntegrityError:
        return Refused("you have already decided this step")
    if isinstance(result, Decided):
        for hook in ctx.after_commit:  # e.g. rebuild an in-memory index from what just committed
            await hook()
        deps.metrics.decisions.labels(kind=result.request.kind, decision=verdict.value).inc()
    deps.outbox.kick()
    return result


async def _decide(
    ctx: Context, request_id: int, step_id: int, verdict: Verdict, reason: str, override_reason: str
) -> Decided | Refused:
    actor = ctx.actor
    request, steps = await ctx.repo.lock_to_decide(request_id)
    ctx.directory.remember_versions(ctx.repo.versions)  # read with the steps: the people cache's key
    step = next((s for s in steps if s.id == step_id), None)
    if request is None or step is None:
        await ctx.audit(None, "refused_unknown_request", request_id=request_id, step_id=step_id)
        return Refused("that request doesn't exist (any more)")
    person = await ctx.directory.person(actor)
    approvers = await ctx.repo.approvers(step.id)
    decided = {d.actor: Verdict(d.decision) for d in await ctx.repo.decisions(step.id)}
    flow = flow_for(ctx.deps, request.kind)
    own_step = step.name in getattr(flow, "requester_steps", ())
    allowed = may_decide(
        actor,
        requester="" if own_step else request.requester,
        approvers=approvers,
        decided=decided,
        step_state=StepState(step.state),
        actor_is_admin=person is not None and person.role is Role.ADMIN,
    )
    if not allowed:
        await ctx.audit(request, "refused_decision", step=step.name, reason=allowed.reason)
        return allowed
    if verdict is Verdict.APPROVE:
        stale = await _recheck(ctx, flow, request, step, override_reason)
        if stale is not None:
            return stale
    if step.needs_override and verdict is Verdict.APPROVE and not override_reason:
        return Refused("approving this needs a written override reason: the new owner breaks a rule")
    on_behalf = None if actor in approvers else next((a for a in approvers if a not in decided), None)
    await ctx.repo.add_decision(
        DecisionRow(
            step_id=step.id,
            actor=actor,
            on_behalf_of=on_behalf,
            decision=verdict.value,
            reason=override_reason or reason,
            at=ctx.now,
        )
    )
    decided[actor] = verdict
    await ctx.touch(actor, *approvers, request.requester)
    state = settle(StepMode(step.mode), approvers, decided, admin_acted=on_behalf is not None)
    await ctx.audit(
        request,
        verdict.value + "d" if verdict is Verdict.APPROVE else "rejected_step",
        step=step.name,
        reason=reason,
        override_reason=override_reason,
        on_behalf_of=on_behalf,
    )
    if state is StepState.PENDING:
        await ctx.update_cards(request, step, only=actor)
    else:
        await ctx.repo.write(step, state=state.value, decided_at=ctx.now, remind_at=None)
        await flow.on_settled(ctx, request, step, state)
        if not ctx.cards_final:  # finish() already rewrote every card of the request
            await ctx.update_cards(request, step)
    if request.updated_at != ctx.now:  # else finish() wrote it already
        await ctx.repo.write(request, updated_at=ctx.now)
    return Decided(request, step, verdict, state)


async def _recheck(
    ctx: Context, flow: Flow, request: RequestRow, step: StepRow, override_reason: str
) -> Refused | None:
    """Re-evaluate the flow's rules against the directory as it is now, before an approval counts.

    When the request no longer fits, a plain approval is refused with the reasons and the cards say why.
    Where the rules allow an override, the request moves to a step whose approvers may approve it with
    a written reason (such an approver, with a reason, goes ahead); otherwise it can only be rejected.
    The refusal, the new step and the updated cards commit; no decision is recorded.
    """
    check = getattr(flow, "recheck", None)
    if check is None:
        return None
    found: Recheck = await check(ctx, request, step)
    if not found.failed:
        return None
    why = "; ".join(found.failed)
    if found.override is not None and step.needs_override and override_reason:
        return None  # an approver of an override step (may_decide checked who), with a written reason
    changed = request.payload.get("no_longer_fits") != list(found.failed)
    request.payload = {**request.payload, "no_longer_fits": list(found.failed)}
    await ctx.audit(request, "refused_no_longer_fits", step=step.name, why=why)
    stale = f"this request no longer fits the rules ({why})"
    if found.override is None:
        if changed:
            await ctx.update_cards(request, step)
        return Refused(f"{stale}; it can only be rejected now")
    if step.needs_override and set(found.override.approvers) <= set(await ctx.repo.approvers(step.id)):
        if changed:
            await ctx.update_cards(request, step)
        return Refused(f"{stale}; approve it only with an override reason")
    step.state, step.decided_at, step.remind_at = StepState.ESCALATED.value, ctx.now, None
    await ctx.update_cards(request, step)
    opened = await ctx.open_step(request, found.override)
    names = await ctx.names(await ctx.repo.approvers(opened.id))
    return Refused(
        f"{stale}; it now waits on {', '.join(names.values())}, who may approve it only with an "
        "override reason"
    )


async def cancel(deps: Deps, *, request_id: int, actor: str) -> RequestRow | Refused:
    async with deps.db.sessions.begin() as session:
        ctx = Context(deps, session, deps.clock(), actor)
        request = await ctx.repo.lock(request_id)
        if request is None:
            return Refused("that request doesn't exist (any more)")
        allowed = may_cancel(actor, requester=request.requester, status=Status(request.status))
        if not allowed:
            await ctx.audit(request, "refused_cancel", reason=allowed.reason)
            return allowed
        for step in await ctx.repo.steps(request.id):
            if step.state == StepState.PENDING.value:
                step.state, step.decided_at, step.remind_at = StepState.CANCELLED.value, ctx.now, None
        await ctx.finish(request, Status.CANCELLED)  # rewrites every card of it
    deps.outbox.kick()
    return request


async def refuse_tampered(deps: Deps, *, actor: str, value: str, replay_key: str | None = None) -> bool:
    """Audit a click whose button value was not one the bot wrote (a forged or edited payload); False for
    a replay of one already audited (`replay_key` recorded in the same transaction, as in `decide`)."""
    async with deps.db.sessions.begin() as session:
        if replay_key is not None and not await deps.replays.first_time_in(session, replay_key):
            return False
        await RequestRepository(session).audit(
            None, actor, "refused_tampered_action", {"value": value[:100]}, deps.clock()
        )
    return True


async def send_reminders(deps: Deps) -> int:
    """Remind approvers of steps pending past their reminder time; each reminder is claimed once."""
    now = deps.clock()
    sent = 0
    async with deps.db.sessions.begin() as session:
        due = await RequestRepository(session).due_reminders(now)
    for step in due:
        async with deps.db.sessions.begin() as session:
            ctx = Context(deps, session, now, "gtm-bot")
            seen = step.remind_at
            if seen is None or not await ctx.repo.claim_reminder(step.id, seen, reminder_after(deps, now)):
                continue
            request = await ctx.repo.get(step.request_id)
            if request is None:
                continue
            card = flow_for(deps, request.kind).card(request)
            waited = max(1, (now - step.created_at) // timedelta(days=1))
            decided = {d.actor for d in await ctx.repo.decisions(step.id)}
            for approver in await ctx.repo.approvers(step.id):
                if approver in decided:
                    continue
                await ctx.notify(
                    approver,
                    f"remind:{step.id}:{approver}:{seen.isoformat()}",
                    "approvals/reminder.json.j2",
                    card=card,
                    request_id=request.id,
                    days=waited,
                )
            await ctx.audit(request, "reminded", step=step.name)
            sent += 1
    if sent:
        deps.outbox.kick()
    return sent


# ---- what a person sees: lists and timelines -------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Overview:
    waiting: list[dict[str, Any]]
    mine: list[dict[str, Any]]
    decided: list[dict[str, Any]]


async def overview(deps: Deps, user: str) -> Overview:
    """ "Waiting on me", "my requests" and my recent decisions, for /gtm requests."""
    async with deps.db.reads() as session:
        return await overview_in(Context(deps, session, deps.clock(), user))


async def overview_in(ctx: Context) -> Overview:
    """`overview` for `ctx.actor`, read in the caller's session (App Home reads all its parts in one):
    three queries of rows, then the accounts they are about in one."""
    deps, user = ctx.deps, ctx.actor
    waiting_rows = await ctx.repo.waiting_on(user)
    mine_rows = await ctx.repo.by_requester(user)
    decided_rows = await ctx.repo.recent_decided_by(user)
    await ctx.read_accounts([*waiting_rows, *mine_rows, *decided_rows])
    waiting = []
    for r in waiting_rows:
        flow = _flow_or_plain(deps, r.kind)
        waiting.append(
            (
                r,
                {
                    "id": r.id,
                    "summary": r.summary,
                    "status": r.status,
                    "step": r.step_name,
                    "role": step_role(flow, r.step_name),
                    "since": r.step_since,
                    "step_id": r.step_id,
                    "needs_override": r.needs_override,
                    "card": flow.card(r),
                },
            )
        )
    mine = [
        (
            r,
            {
                "id": r.id,
                "summary": r.summary,
                "status": r.status,
                "since": r.created_at,
                "open": Status(r.status).open,
            },
        )
        for r in mine_rows
    ]
    decided = [
        (
            r,
            {
                "id": r.id,
                "summary": r.summary,
                "status": r.status,
                "verb": past_tense(_flow_or_plain(deps, r.kind), r.step_name, Verdict(r.decision)),
                "at": r.at,
            },
        )
        for r in decided_rows
    ]
    # A public-sector account the viewer may not see (an older request, say) is not named.
    viewer = await ctx.directory.person(user)
    return Overview(
        *[[await ctx.shown_to(viewer, r, row) for r, row in rows] for rows in (waiting, mine, decided)]
    )


@dataclass(frozen=True, slots=True)
class Decidable:
    """A pending step the actor may decide now: what a reason modal may show them."""

    request_id: int
    step_id: int
    step_name: str
    summary: str


async def decidable(deps: Deps, *, request_id: int, step_id: int, actor: str) -> Decidable | Refused:
    """Whether `actor` may decide this step now (the rule `decide` applies), before a modal shows anything
    of the request: a forged button with someone else's request id learns nothing."""
    async with deps.db.reads() as session:
        ctx = Context(deps, session, deps.clock(), actor)
        request = await ctx.repo.get(request_id)
        step = await ctx.repo.step(step_id) if request else None
        if request is None or step is None or step.request_id != request.id:
            return Refused("that request doesn't exist (any more)")
        person = await ctx.directory.person(actor)
        own_step = step.name in getattr(flow_for(deps, request.kind), "requester_steps", ())
        allowed = may_decide(
            actor,
            requester="" if own_step else request.requester,
            approvers=await ctx.repo.approvers(step.id),
            decided={d.actor: Verdict(d.decision) for d in await ctx.repo.decisions(step.id)},
            step_state=StepState(step.state),
            actor_is_admin=person is not None and person.role is Role.ADMIN,
        )
        summary = await ctx.shown_to(person, request, request.summary)  # e.g. the CRO, on a public-sector one
    if not allowed:
        return allowed
    return Decidable(request.id, step.id, step.name, summary)


async def timeline(
    deps: Deps, request_id: int, viewer: str
) -> tuple[RequestRow, list[dict[str, Any]]] | Refused:
    """A request's story, one row per human act (one actor, one moment): who, when, what in plain words.
    Visible to the people involved (a public-sector account named only to those who may see it) and to
    staff who may see the account."""
    async with deps.db.reads() as session:
        ctx = Context(deps, session, deps.clock(), viewer)
        request = await ctx.repo.get(request_id)
        if request is None:
            return Refused("no such request")
        events = await ctx.repo.timeline(request_id)
        # A refused click (someone else's button) doesn't make a bystander one of the people involved.
        involved = {request.requester, *(e.actor for e in events if not e.action.startswith("refused"))}
        for step in await ctx.repo.steps(request_id):
            involved.update(await ctx.repo.approvers(step.id))
        person = await ctx.directory.person(viewer)
        staff = person is not None and person.role in (Role.ADMIN, Role.SALES_OPS, Role.CRO)
        staff = staff and await ctx.may_see_request(person, request)
        if viewer not in involved and not staff and viewer not in request.payload.get("watchers", []):
            return Refused("no such request")
        flow = flow_for(deps, request.kind)
        rows: list[dict[str, Any]] = []
        for (actor, at), group in itertools.groupby(events, key=lambda e: (e.actor, e.at)):
            acts = list(group)
            told = any(e.detail.get("why") and e.action not in _STATUS_ACTIONS for e in acts)
            parts: list[dict[str, str]] = []
            extra: list[dict[str, str]] = []
            for e in acts:
                if told and e.action in _DECISIONS and e.detail.get("step"):
                    # the flow's own sentence ("Sally keeps it: ...") says it better; keep a reason it omits
                    reason = e.detail.get("override_reason") or e.detail.get("reason") or ""
                    if reason and not any(reason in str(x.detail.get("why", "")) for x in acts):
                        extra.append(_t(f" Reason: {reason}."))
                    continue
                said = _sentence(flow, e.action, e.detail)
                if said:
                    parts += ([{"text": " "}] if parts else []) + said
            if parts:
                rows.append({"at": at, "actor": actor, "parts": parts + extra})
        if not await ctx.may_see_request(person, request):
            session.expunge(request)  # the copy below is for this viewer's eyes only, never written
            request.summary = await ctx.shown_to(person, request, request.summary)
            rows = await ctx.shown_to(person, request, rows)
    return request, rows


_DECISIONS = {"approved", "rejected_step"}
_STATUS_ACTIONS = {s.value for s in Status} - {"approved"}


def _t(text: str) -> dict[str, str]:
    return {"text": text}


def _people(ids: Iterable[str]) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    for i, user in enumerate(dict.fromkeys(ids)):
        out += ([_t(", ")] if i else []) + [{"user": user}]
    return out


def _sentence(flow: Flow, action: str, d: dict[str, Any]) -> list[dict[str, str]]:
    """One audit event in plain words, people as mentions; [] for what nobody needs to read."""
    reason = d.get("override_reason") or d.get("reason") or ""
    because = f": {reason}" if reason else "."
    if action == "requested":
        return [_t(f"asked: {d.get('summary', '')}.")]
    if action == "step_opened":
        return [
            _t("Now waiting on "),
            *_people(d.get("approvers") or []),
            _t(f" ({step_role(flow, d['step'])})."),
        ]
    if action in _DECISIONS and d.get("step"):
        verdict = Verdict.APPROVE if action == "approved" else Verdict.REJECT
        words = past_tense(flow, d["step"], verdict)
        if d.get("override_reason"):
            words += " with an override"
        behalf = (
            [_t(" for "), {"user": d["on_behalf_of"]}, _t(" (as an admin)")] if d.get("on_behalf_of") else []
        )
        return [_t(words), *behalf, _t(because)]
    if action == Status.APPLIED.value and d.get("new_owner"):
        moved = (
            [_t("The account moved from "), {"user": d["old_owner"]}]
            if d.get("old_owner")
            else [_t("The account moved")]
        )
        return [*moved, _t(" to "), {"user": d["new_owner"]}, _t(".")]
    if action == "cancelled":
        return [_t("cancelled the request.")]
    if action in _STATUS_ACTIONS or action == "approved":
        why = d.get("why") or reason
        return [
            _t(f"The request is {STATUS_WORDS.get(Status(action), action)}" + (f": {why}." if why else "."))
        ]
    if action == "reminded":
        return [_t(f"reminded {step_role(flow, d.get('step', ''))}.")]
    if action == "refused_by_rules":
        return [_t(f"That decision breaks a rule: {d.get('why', '')}.")]
    if action.startswith("refused"):
        return []  # a bystander's click or a retry: kept in the audit, not the story
    if d.get("why"):
        return [_t(str(d["why"]).rstrip(".") + ".")]
    return [_t(action.replace("_", " ") + because)]
