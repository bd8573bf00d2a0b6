"""RequestRepository: requests, steps, approvers, decisions and the audit trail. Never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import (
    LABEL_STYLE_TABLENAME_PLUS_COL,
    Row,
    String,
    bindparam,
    cast,
    desc,
    exists,
    func,
    inspect,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from storage import batched, core
from storage.models import (
    AccountRow,
    AuditRow,
    DecisionRow,
    DirectoryVersionRow,
    OutboxRow,
    RequestRow,
    StepApproverRow,
    StepRow,
)
from storage.outbox import OutboxRepository

_Row = TypeVar("_Row", RequestRow, StepRow, DecisionRow)


class RequestRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        # Read once per transaction: a decision asks for a step's approvers and decisions several times
        # (checks, the cards, the flow); add_decision adds to what was read.
        self._approvers: dict[int, list[str]] = {}
        self._decisions: dict[int, list[DecisionRow]] = {}
        self._steps: dict[int, list[StepRow]] = {}  # by request, once read with `steps_to_decide`
        # Messages (ref keys) whose presence in the outbox `steps_to_decide` read, and those present
        self._refs_read: set[str] = set()
        self._posted: set[str] = set()
        # The directory's "org" version as `steps_to_decide` read it (absent: not read; None: never bumped)
        self.versions: dict[str, str | None] = {}

    async def lock(self, request_id: int) -> RequestRow | None:
        """Take the request's write lock first (a version bump), so decisions on it run one at a time
        on PostgreSQL (row lock) and SQLite (the writer lock, taken before anything is read).

        The row as locked comes back in the same statement, a Core one (the ORM's bulk UPDATE with
        RETURNING an entity cost a click more CPU than the database's work), and becomes the session's
        RequestRow as if loaded: changes to it are flushed as usual."""
        found = await core.rows(self.session, _LOCK, {"request_id": request_id})
        return self._as_loaded(RequestRow, found[0]._asdict()) if found else None

    def _as_loaded(self, model: type[_Row], values: dict[str, Any]) -> _Row:
        """The session's object for this row of `model`'s table (Core: every column, by attribute name),
        as if the ORM had loaded it with populate_existing: one this transaction holds already is refreshed
        to these values, else a new one joins the session unchanged. Changes to it are flushed as usual."""
        loaded = self.session.sync_session.identity_map.get(identity_key(model, (values["id"],)))
        if loaded is not None:
            for name, value in values.items():
                set_committed_value(loaded, name, value)
            return loaded  # type: ignore[no-any-return]
        row = model(**values)
        make_transient_to_detached(row)
        self.session.add(row)
        return row

    async def write(self, row: RequestRow | StepRow, **values: Any) -> None:
        """Set these columns of a loaded request or step and write them at once, in a Core UPDATE built
        once per table and columns: the row reads as written and is not flushed again (the ORM's unit of
        work cost a click more CPU than the statement itself)."""
        if inspect(row).pending:  # added in this transaction and not written yet: it needs its id
            await self.session.flush()
        table = type(row).__table__
        key = (table.name, *values)
        stmt = _writes.get(key)
        if stmt is None:
            stmt = _writes[key] = (
                update(table)
                .where(table.c.id == bindparam("row_id"))
                .values({name: bindparam(f"new_{name}") for name in values})
            )
        await core.write(self.session, stmt, {"row_id": row.id, **{f"new_{n}": v for n, v in values.items()}})
        for name, value in values.items():
            set_committed_value(row, name, value)

    async def get(self, request_id: int) -> RequestRow | None:
        """The request; one this transaction holds already (the one it locked) is answered from the
        session's identity map without a pass through the async layer (a click asks for it per message)."""
        loaded = self.session.sync_session.identity_map.get(identity_key(RequestRow, (request_id,)))
        if loaded is not None and not inspect(loaded).expired:
            return loaded
        return await self.session.get(RequestRow, request_id)

    async def add_request(self, row: RequestRow) -> RequestRow:
        self.session.add(row)
        await self.session.flush()
        return row

    async def add_step(self, step: StepRow, approvers: Sequence[str]) -> StepRow:
        self.session.add(step)
        await self.session.flush()
        self.session.add_all(StepApproverRow(step_id=step.id, approver=a) for a in dict.fromkeys(approvers))
        await self.session.flush()
        if step.request_id in self._steps:
            self._steps[step.request_id].append(step)
        self._approvers[step.id] = list(dict.fromkeys(approvers))
        self._decisions[step.id] = []
        return step

    async def step(self, step_id: int) -> StepRow | None:
        return await self.session.get(StepRow, step_id, populate_existing=True)

    async def steps_to_decide(self, request_id: int) -> list[StepRow]:
        """Every step of a request with each one's approvers and decisions, in one query (a click reads
        them all: its step to decide, and every step's cards when the request finishes); later asks for
        them in this transaction are answered from what was read. The same query reads which of the
        request's cards and requester's copy were posted (for `posted_refs` when it finishes) and the
        directory's "org" version (`versions`: the people cache's key), so a click asks neither again."""
        rows = await core.rows(
            self.session,
            _steps_to_decide(self.session.get_bind().dialect.name),
            {"request_id": request_id, "requested": requested_ref(request_id), "org": "org"},
        )
        return self._read_steps(request_id, rows)

    async def lock_to_decide(self, request_id: int) -> tuple[RequestRow | None, list[StepRow]]:
        """`lock`, then `steps_to_decide`, in one statement.

        On SQLite a write transaction holds the database's writer lock from its BEGIN IMMEDIATE
        (storage/db.py), so decisions already run one at a time and the version bump would only cost a
        statement: the request is read with its steps.

        On PostgreSQL the version bump (the row lock) is a CTE of the statement that reads the steps. Those
        reads see the statement's snapshot, taken before any wait for the lock, so the statement also reads
        the version that snapshot holds: one less than the bumped one means nobody wrote the request between
        the two (every decision takes this lock first), and the steps are current. Otherwise another
        decision committed while this one waited, and the steps are read again, after it."""
        dialect = self.session.get_bind().dialect.name
        params = {"request_id": request_id, "requested": requested_ref(request_id), "org": "org"}
        rows = await core.rows(self.session, _steps_to_decide(dialect, with_request=True), params)
        if not rows:
            return None, []
        request = self._as_loaded(RequestRow, dict(zip(_REQUEST_KEYS, rows[0], strict=False)))
        if dialect == "sqlite":
            return request, self._read_steps(request_id, [row[len(_REQUEST_KEYS) :] for row in rows])
        if rows[0][-1] != request.version - 1:  # the version this statement's snapshot saw
            return request, await self.steps_to_decide(request_id)
        return request, self._read_steps(request_id, [row[len(_REQUEST_KEYS) : -1] for row in rows])

    def _read_steps(self, request_id: int, rows: Sequence[Sequence[Any]]) -> list[StepRow]:
        """`steps_to_decide`'s rows (Core: a step's columns, its decision's, then the aggregates) as the
        session's StepRows and DecisionRows, each made once (a step repeats on each of its decisions)."""
        steps: dict[int, StepRow] = {}
        for row in rows:
            step_id, decision_id = row[_STEP_ID], row[_DECISION_ID]
            if step_id is None:  # the request's row without any step (the outer join)
                continue
            step = steps.get(step_id)
            if step is None:
                step = steps[step_id] = self._as_loaded(StepRow, dict(zip(_STEP_KEYS, row, strict=False)))
                approvers, posted, requested, org = row[_DECISION_END:]
                self._approvers[step_id] = sorted(approvers.split(" ")) if approvers else []
                self._decisions[step_id] = []
                cards = {card_ref(step_id, a) for a in self._approvers[step_id]}
                self._refs_read |= cards | {requested_ref(request_id)}
                self._posted |= {card_ref(step_id, a) for a in (posted.split(" ") if posted else ())}
                self._posted |= {requested_ref(request_id)} if requested else set()
                self.versions["org"] = org
            if decision_id is not None:
                values = dict(zip(_DECISION_KEYS, row[_STEP_END:_DECISION_END], strict=True))
                self._decisions[step_id].append(self._as_loaded(DecisionRow, values))
        self._steps[request_id] = list(steps.values())
        return list(steps.values())

    async def steps(self, request_id: int) -> list[StepRow]:
        if request_id in self._steps:
            return list(self._steps[request_id])
        rows = await self.session.scalars(
            select(StepRow).where(StepRow.request_id == request_id).order_by(StepRow.position)
        )
        return list(rows)

    async def current_step(self, request_id: int) -> StepRow | None:
        return await self.session.scalar(
            select(StepRow)
            .where(StepRow.request_id == request_id, StepRow.state == "pending")
            .order_by(StepRow.position)
            .limit(1)
        )

    async def decisions(self, step_id: int) -> list[DecisionRow]:
        if step_id not in self._decisions:
            rows = await self.session.scalars(
                select(DecisionRow).where(DecisionRow.step_id == step_id).order_by(DecisionRow.id)
            )
            self._decisions[step_id] = list(rows)
        return list(self._decisions[step_id])

    async def add_decision(self, decision: DecisionRow) -> None:
        """Written with the transaction's other new rows in one statement when it commits (no flush of the
        session's unit of work): a second decision by the same approver on the step (a double click that
        raced the lock) fails the commit with an IntegrityError, and nothing of the transaction is kept.
        This transaction reads its decisions through `decisions`, which sees it at once."""
        known = await self.decisions(decision.step_id)  # read before: the queued row is not in the table yet
        row = {c: getattr(decision, c) for c in _DECISION_COLUMNS}
        batched.add(self.session, _DECISIONS, {**row, "reason": row["reason"] or ""})
        self._decisions[decision.step_id] = [*known, decision]

    async def audit(
        self, request_id: int | None, actor: str, action: str, detail: dict[str, Any], at: datetime
    ) -> None:
        """Written with the transaction's other audit events in one statement when it commits."""
        row = {"request_id": request_id, "actor": actor, "action": action, "detail": detail, "at": at}
        batched.add(self.session, AuditRow.__table__, row)

    async def timeline(self, request_id: int) -> list[AuditRow]:
        rows = await self.session.scalars(
            select(AuditRow).where(AuditRow.request_id == request_id).order_by(AuditRow.id)
        )
        return list(rows)

    # ---- lists --------------------------------------------------------------------------------------
    async def waiting_on(self, approver: str, limit: int = 20) -> Sequence[Row[Any]]:
        """Open steps this person may decide, oldest first: each a request's columns plus its step's
        (`step_id`, `step_name`, `step_since`, `needs_override`), as rows, not loaded objects (App Home
        reads this on every refresh)."""
        return (await self.session.execute(_WAITING_ON, {"user": approver, "limit": limit})).all()

    async def by_requester(self, requester: str, limit: int = 20) -> Sequence[Row[Any]]:
        """This person's newest requests, as rows of a request's columns."""
        return (await self.session.execute(_BY_REQUESTER, {"user": requester, "limit": limit})).all()

    async def recent_decided_by(self, actor: str, limit: int = 10) -> Sequence[Row[Any]]:
        """This person's newest decisions: each a request's columns plus `decision`, `at` and the step's
        name (`step_name`), in one query."""
        return (await self.session.execute(_DECIDED_BY, {"user": actor, "limit": limit})).all()

    async def open_for_subject(self, kind: str, subject_id: str) -> list[RequestRow]:
        rows = await self.session.scalars(
            select(RequestRow).where(
                RequestRow.kind == kind,
                RequestRow.subject_id == subject_id,
                or_(RequestRow.status == "pending", RequestRow.status == "escalated"),
            )
        )
        return list(rows)

    async def in_flight_for_account(self, account_id: str) -> list[RequestRow]:
        """Ownership and escalation requests on an account that may still move it (pending, escalated, or
        approved and waiting for its date). Takes the account's row lock first (PostgreSQL; SQLite's writer
        lock already serializes), so two requests for one account can't both pass this check."""
        await self.session.execute(
            select(AccountRow.account_id).where(AccountRow.account_id == account_id).with_for_update()
        )
        rows = await self.session.scalars(
            select(RequestRow).where(
                RequestRow.kind.in_(("ownership", "escalation")),
                RequestRow.subject_id == account_id,
                RequestRow.status.in_(("pending", "escalated", "approved")),
            )
        )
        return list(rows)

    async def posted_refs(self, ref_keys: list[str]) -> set[str]:
        """Which of `ref_keys` name a message that was (or will be) posted, so it can be updated: what
        `steps_to_decide` read, with what this transaction queued; the outbox is asked about the rest."""
        wanted = set(ref_keys)
        read = wanted & self._refs_read
        queued = {row["ref_key"] for row in batched.queued(self.session, _OUTBOX)} if read else set()
        found = read & (self._posted | queued)
        if wanted - read:
            found |= await OutboxRepository(self.session).with_refs(wanted - read)
        return found

    async def approvers(self, step_id: int) -> list[str]:
        if step_id not in self._approvers:
            rows = await self.session.scalars(
                select(StepApproverRow.approver).where(StepApproverRow.step_id == step_id)
            )
            self._approvers[step_id] = list(rows)
        return list(self._approvers[step_id])

    # ---- reminders ----------------------------------------------------------------------------------
    async def due_reminders(self, now: datetime, limit: int = 100) -> list[StepRow]:
        rows = await self.session.scalars(
            select(StepRow)
            .where(StepRow.state == "pending", StepRow.remind_at.is_not(None), StepRow.remind_at <= now)
            .order_by(StepRow.remind_at)
            .limit(limit)
        )
        return list(rows)

    async def claim_reminder(self, step_id: int, seen: datetime, next_at: datetime) -> bool:
        """Move the reminder on only if nobody else did (several replicas may look at once)."""
        result = await self.session.execute(
            update(StepRow)
            .where(StepRow.id == step_id, StepRow.remind_at == seen, StepRow.state == "pending")
            .values(remind_at=next_at)
        )
        return bool(result.rowcount)


def card_ref(step_id: int, approver: str) -> str:
    """The ref key of an approver's card of a step (its post and every update of it)."""
    return f"card:{step_id}:{approver}"


def requested_ref(request_id: int) -> str:
    """The ref key of the requester's copy of a request (rewritten when it finishes)."""
    return f"requested:{request_id}"


_writes: dict[tuple[str, ...], Any] = {}  # `write`'s statements
_REQUESTS = RequestRow.__table__
_LOCK = (
    update(_REQUESTS)
    .where(_REQUESTS.c.id == bindparam("request_id"))
    .values(version=_REQUESTS.c.version + 1)
    .returning(*_REQUESTS.c)
)
_OUTBOX = OutboxRow.__table__
_DECISIONS = DecisionRow.__table__
_DECISION_COLUMNS = ("step_id", "actor", "on_behalf_of", "decision", "reason", "at")
_STEPS = StepRow.__table__
# steps_to_decide's rows: [the request's columns], the step's, the decision's, then its aggregates
_REQUEST_KEYS = tuple(c.key for c in _REQUESTS.c)
_STEP_KEYS = tuple(c.key for c in _STEPS.c)
_DECISION_KEYS = tuple(c.key for c in _DECISIONS.c)
_STEP_END = len(_STEP_KEYS)
_DECISION_END = _STEP_END + len(_DECISION_KEYS)
_STEP_ID, _DECISION_ID = _STEP_KEYS.index("id"), _STEP_END + _DECISION_KEYS.index("id")
_statements: dict[str, Any] = {}
# The lists of what a person sees (App Home, /gtm requests): ORM columns (the session flushes first),
# rows without loaded objects, built once.
_REQUEST_COLUMNS = [getattr(RequestRow, column.key) for column in _REQUESTS.c]
_WAITING_ON = (
    select(
        *_REQUEST_COLUMNS,
        StepRow.id.label("step_id"),
        StepRow.name.label("step_name"),
        StepRow.created_at.label("step_since"),
        StepRow.needs_override,
    )
    .join(StepRow, StepRow.request_id == RequestRow.id)
    .join(StepApproverRow, StepApproverRow.step_id == StepRow.id)
    .outerjoin(DecisionRow, (DecisionRow.step_id == StepRow.id) & (DecisionRow.actor == bindparam("user")))
    .where(StepApproverRow.approver == bindparam("user"), StepRow.state == "pending")
    .where(DecisionRow.id.is_(None))  # an all-must-agree step I already approved isn't waiting on me
    .order_by(StepRow.created_at)
    .limit(bindparam("limit"))
)
_BY_REQUESTER = (
    select(*_REQUEST_COLUMNS)
    .where(RequestRow.requester == bindparam("user"))
    .order_by(desc(RequestRow.updated_at), desc(RequestRow.id))
    .limit(bindparam("limit"))
)
_DECIDED_BY = (
    select(*_REQUEST_COLUMNS, DecisionRow.decision, DecisionRow.at, StepRow.name.label("step_name"))
    .join(StepRow, StepRow.request_id == RequestRow.id)
    .join(DecisionRow, DecisionRow.step_id == StepRow.id)
    .where(DecisionRow.actor == bindparam("user"))
    .order_by(desc(DecisionRow.at), desc(DecisionRow.id))
    .limit(bindparam("limit"))
)


def _steps_to_decide(dialect: str, *, with_request: bool = False) -> Any:
    """Steps joined to their decisions, each step's approvers aggregated into one space-separated column
    (Slack ids have no spaces), and those of them whose card is in the outbox (card_ref); whether the
    requester's copy is (`requested`, requested_ref) and the directory version named `org`. Built once
    per dialect: a reused statement skips SQLAlchemy's per-call work. `with_request`: the request first,
    joined to its steps (a row of Nones for a request without any); on PostgreSQL the request as locked,
    and last the version the statement's snapshot holds (`lock_to_decide`)."""
    key = f"{dialect}:request" if with_request else dialect
    if key not in _statements:
        concat = func.string_agg if dialect == "postgresql" else func.group_concat
        sa, versions = StepApproverRow.__table__.c, DirectoryVersionRow.__table__.c
        approvers = (
            select(concat(sa.approver, literal(" "))).where(sa.step_id == _STEPS.c.id).scalar_subquery()
        )
        card = literal("card:") + cast(sa.step_id, String) + literal(":") + sa.approver  # card_ref, in SQL
        posted = (
            select(concat(sa.approver, literal(" ")))
            .where(sa.step_id == _STEPS.c.id)
            .where(exists().where(_OUTBOX.c.ref_key == card))
            .scalar_subquery()
        )
        requested = exists().where(_OUTBOX.c.ref_key == bindparam("requested"))
        org = select(versions.token).where(versions.name == bindparam("org")).scalar_subquery()
        # Core: the tables' columns as plain values, made into the session's objects by _as_loaded (the
        # ORM's loading of three entities cost a click more CPU than the statement's database work).
        columns = (*_STEPS.c, *_DECISIONS.c, approvers, posted, requested, org)
        if with_request and dialect == "sqlite":
            stmt = (
                select(*_REQUESTS.c, *columns)
                .outerjoin(_STEPS, _STEPS.c.request_id == _REQUESTS.c.id)
                .where(_REQUESTS.c.id == bindparam("request_id"))
            )
        elif with_request:  # the request as locked (_LOCK, a CTE), then the version the snapshot holds
            locked = _LOCK.cte("locked")
            seen = select(_REQUESTS.c.version).where(_REQUESTS.c.id == bindparam("request_id"))
            stmt = select(*locked.c, *columns, seen.scalar_subquery()).outerjoin(
                _STEPS, _STEPS.c.request_id == locked.c.id
            )
        else:
            stmt = select(*columns).where(_STEPS.c.request_id == bindparam("request_id"))
        _statements[key] = (
            stmt.outerjoin(_DECISIONS, _DECISIONS.c.step_id == _STEPS.c.id)
            .order_by(_STEPS.c.position, _DECISIONS.c.id)
            .set_label_style(LABEL_STYLE_TABLENAME_PLUS_COL)
        )
    return _statements[key]
