"""RequestRepository: requests, steps, approvers, decisions, the audit trail and reminders."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import exc

from storage.db import Database
from storage.models import DecisionRow
from storage.outbox import OutboxRepository
from storage.requests import RequestRepository, card_ref, requested_ref
from tests import rows
from tests.conftest import START


async def test_a_request_keeps_its_steps_in_order_and_the_first_pending_one_is_current(db: Database) -> None:
    async with db.sessions.begin() as session:
        repo = RequestRepository(session)
        request = await repo.add_request(rows.request())
        second = await repo.add_step(rows.step(request.id, 1), ["U0RD1"])
        first = await repo.add_step(rows.step(request.id, 0, state="approved"), ["U0ASM3", "U0ASM3"])
        assert [s.id for s in await repo.steps(request.id)] == [first.id, second.id]
        assert (await repo.current_step(request.id)).id == second.id
        assert await repo.approvers(first.id) == ["U0ASM3"]  # a repeated approver is stored once
        assert (await repo.step(second.id)).name == "step 1"


async def test_lock_bumps_the_version_and_misses_an_unknown_request(db: Database) -> None:
    async with db.sessions.begin() as session:
        repo = RequestRepository(session)
        request = await repo.add_request(rows.request())
        assert (await repo.lock(request.id)).version == 1
        assert (await repo.lock(request.id)).version == 2
        assert await repo.lock(request.id + 1000) is None
        assert (await repo.get(request.id)).requester == "U0AE1"


async def test_a_decision_is_seen_at_once_and_takes_the_step_off_the_approvers_list(db: Database) -> None:
    async with db.sessions.begin() as session:
        repo = RequestRepository(session)
        request = await repo.add_request(rows.request())
        step = await repo.add_step(rows.step(request.id), ["U0ASM3", "U0RD1"])
        assert [r.id for r in await repo.waiting_on("U0ASM3")] == [request.id]
        assert await repo.decisions(step.id) == []  # read, and kept for this transaction
        await repo.add_decision(DecisionRow(step_id=step.id, actor="U0ASM3", decision="approve", at=START))
        assert [d.actor for d in await repo.decisions(step.id)] == ["U0ASM3"]
    async with db.sessions.begin() as session:  # written when that transaction committed
        repo = RequestRepository(session)
        assert [d.actor for d in await repo.decisions(step.id)] == ["U0ASM3"]
        assert await repo.waiting_on("U0ASM3") == []
        assert [r.id for r in await repo.waiting_on("U0RD1")] == [request.id]
        assert [(r.id, r.decision) for r in await repo.recent_decided_by("U0ASM3")] == [
            (request.id, "approve")
        ]


async def test_a_second_decision_by_one_approver_fails_the_commit_and_keeps_nothing(db: Database) -> None:
    """What `decide` answers "you have already decided this step" to: the unique constraint, checked when
    the queued decision is written at commit, rolls back everything the transaction did."""
    async with db.sessions.begin() as session:
        repo = RequestRepository(session)
        request = await repo.add_request(rows.request())
        step = await repo.add_step(rows.step(request.id), ["U0ASM3", "U0RD1"])
        await repo.add_decision(DecisionRow(step_id=step.id, actor="U0ASM3", decision="approve", at=START))
    with pytest.raises(exc.IntegrityError):
        async with db.sessions.begin() as session:
            repo = RequestRepository(session)
            await repo.add_decision(DecisionRow(step_id=step.id, actor="U0RD1", decision="approve", at=START))
            await repo.audit(request.id, "U0ASM3", "approved", {}, START)
            fresh = RequestRepository(session)  # another repository: it reads what the table has
            await fresh.add_decision(
                DecisionRow(step_id=step.id, actor="U0ASM3", decision="reject", reason="x", at=START)
            )
    async with db.sessions.begin() as session:
        repo = RequestRepository(session)
        assert [(d.actor, d.decision) for d in await repo.decisions(step.id)] == [("U0ASM3", "approve")]
        assert await repo.timeline(request.id) == []


async def test_steps_to_decide_reads_every_step_with_its_approvers_and_decisions_once(db: Database) -> None:
    async with db.sessions.begin() as session:
        repo = RequestRepository(session)
        request = await repo.add_request(rows.request())
        first = await repo.add_step(rows.step(request.id, 0, state="approved"), ["U0RD1", "U0ASM3"])
        second = await repo.add_step(rows.step(request.id, 1), ["U0RD1"])
        for actor in ("U0RD1", "U0ASM3"):
            await repo.add_decision(DecisionRow(step_id=first.id, actor=actor, decision="approve", at=START))
    async with db.sessions.begin() as session:
        repo = RequestRepository(session)
        assert [s.id for s in await repo.steps_to_decide(request.id)] == [first.id, second.id]
        assert await repo.approvers(first.id) == ["U0ASM3", "U0RD1"]
        assert [d.actor for d in await repo.decisions(first.id)] == ["U0RD1", "U0ASM3"]  # in order
        assert (await repo.approvers(second.id), await repo.decisions(second.id)) == (["U0RD1"], [])
        third = await repo.add_step(rows.step(request.id, 2), ["U0AE2"])  # seen by what was read
        assert [s.id for s in await repo.steps(request.id)] == [first.id, second.id, third.id]
        assert await repo.steps_to_decide(request.id + 1000) == []


async def test_write_stores_columns_at_once_and_leaves_nothing_to_flush(db: Database) -> None:
    async with db.sessions.begin() as session:
        repo = RequestRepository(session)
        request = await repo.add_request(rows.request())
        step = rows.step(request.id)
        session.add(step)  # not written yet: write() flushes it first, for its id
        await repo.write(step, state="approved", decided_at=START, remind_at=None)
        await repo.write(request, status="applied", updated_at=START + timedelta(hours=1))
        assert (step.state, request.status) == ("approved", "applied")
        assert not session.dirty
    async with db.sessions.begin() as session:
        repo = RequestRepository(session)
        assert ((await repo.step(step.id)).state, (await repo.get(request.id)).status) == (
            "approved",
            "applied",
        )
        assert (await repo.get(request.id)).updated_at == START + timedelta(hours=1)


async def test_lock_to_decide_reads_the_request_with_its_steps_and_what_was_posted(db: Database) -> None:
    async with db.sessions.begin() as session:
        repo = RequestRepository(session)
        request = await repo.add_request(rows.request())
        bare = await repo.add_request(rows.request())
        step = await repo.add_step(rows.step(request.id), ["U0RD1", "U0ASM3"])
        await repo.add_decision(DecisionRow(step_id=step.id, actor="U0RD1", decision="approve", at=START))
        OutboxRepository(session).add(
            key="k", method="chat.postMessage", payload={}, now=START, ref_key=card_ref(step.id, "U0RD1")
        )
    async with db.sessions.begin() as session:
        repo = RequestRepository(session)
        locked, steps = await repo.lock_to_decide(request.id)
        assert (locked.id, [s.id for s in steps]) == (request.id, [step.id])
        assert [d.actor for d in await repo.decisions(step.id)] == ["U0RD1"]
        assert await repo.approvers(step.id) == ["U0ASM3", "U0RD1"]
        cards = [card_ref(step.id, "U0RD1"), card_ref(step.id, "U0ASM3"), requested_ref(request.id)]
        assert await repo.posted_refs(cards) == {card_ref(step.id, "U0RD1")}  # as read, no query
        assert (await repo.lock_to_decide(bare.id))[0].id == bare.id
        assert await repo.lock_to_decide(bare.id + 1000) == (None, [])


async def test_what_lock_to_decide_reads_is_the_sessions_own_and_changes_to_it_are_written(
    db: Database,
) -> None:
    """Its rows come back as plain values and become the session's objects (a flow changes a step's
    state or the request's payload and relies on the commit to write it): one the transaction read before
    is refreshed to the row as locked, not duplicated."""
    async with db.sessions.begin() as session:
        repo = RequestRepository(session)
        request = await repo.add_request(rows.request())
        step = await repo.add_step(rows.step(request.id), ["U0RD1"])
        await repo.add_decision(DecisionRow(step_id=step.id, actor="U0RD1", decision="approve", at=START))
    async with db.sessions.begin() as session:
        repo = RequestRepository(session)
        before = await repo.step(step.id)
        locked, steps = await repo.lock_to_decide(request.id)
        assert steps == [before]
        assert (await repo.get(request.id)) is locked and (await repo.decisions(step.id))[0].reason == ""
        steps[0].state, locked.payload = "escalated", {"no_longer_fits": ["a rule"]}
    async with db.sessions.begin() as session:
        repo = RequestRepository(session)
        assert (await repo.step(step.id)).state == "escalated"
        assert (await repo.get(request.id)).payload == {"no_longer_fits": ["a rule"]}


async def test_by_requester_lists_the_latest_change_first(db: Database) -> None:
    async with db.sessions.begin() as session:
        repo = RequestRepository(session)
        old = await repo.add_request(rows.request(updated_at=START))
        new = await repo.add_request(rows.request(updated_at=START + timedelta(hours=1)))
        await repo.add_request(rows.request(requester="U0AE2"))
        assert [r.id for r in await repo.by_requester("U0AE1")] == [new.id, old.id]
        assert [r.id for r in await repo.by_requester("U0AE1", limit=1)] == [new.id]


async def test_open_and_in_flight_requests_for_an_account_count_only_live_ones(
    db: Database, directory
) -> None:
    async with db.sessions.begin() as session:
        repo = RequestRepository(session)
        ids = {}
        for kind, status in (
            ("ownership", "pending"),
            ("ownership", "approved"),
            ("ownership", "rejected"),
            ("escalation", "escalated"),
            ("segment_review", "pending"),
        ):
            ids[kind, status] = (await repo.add_request(rows.request(kind, status=status))).id
        assert {r.id for r in await repo.open_for_subject("ownership", "A-HOOLI")} == {
            ids["ownership", "pending"]
        }
        assert {r.id for r in await repo.in_flight_for_account("A-HOOLI")} == {
            ids["ownership", "pending"],
            ids["ownership", "approved"],
            ids["escalation", "escalated"],
        }
        assert await repo.in_flight_for_account("A-ACME") == []


async def test_the_timeline_is_the_audit_trail_in_the_order_written(db: Database) -> None:
    async with db.sessions.begin() as session:
        repo = RequestRepository(session)
        request = await repo.add_request(rows.request())
        await repo.audit(request.id, "U0AE1", "requested", {"to": "U0AE1"}, START)
        await repo.audit(request.id, "U0ASM3", "approved", {}, START)
        await repo.audit(None, "U0ADM1", "imported", {}, START)
    async with db.sessions() as session:  # audit events are written in one statement at commit
        assert [(a.actor, a.action) for a in await RequestRepository(session).timeline(request.id)] == [
            ("U0AE1", "requested"),
            ("U0ASM3", "approved"),
        ]


async def test_a_due_reminder_is_claimed_once(db: Database) -> None:
    async with db.sessions.begin() as session:
        repo = RequestRepository(session)
        request = await repo.add_request(rows.request())
        due = await repo.add_step(rows.step(request.id, remind_at=START), ["U0ASM3"])
        await repo.add_step(rows.step(request.id, 1, remind_at=START + timedelta(days=1)), ["U0RD1"])
        assert [s.id for s in await repo.due_reminders(START)] == [due.id]
        later = START + timedelta(days=2)
        assert await repo.claim_reminder(due.id, START, later)
        assert not await repo.claim_reminder(due.id, START, later)  # someone else moved it on
        assert [s.id for s in await repo.due_reminders(START)] == []
