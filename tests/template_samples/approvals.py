"""Samples for templates/approvals."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

from bot.approvals.service import Card, Overview
from bot.features.holdovers.service import Listing
from bot.features.home.service import Home
from tests.template_samples import HOSTILE

CARD = Card(
    title=f"Ava to own {HOSTILE}",
    fields=[
        ("Account", HOSTILE),
        ("Reason", "x" * 5000),
        ("Territory rep", {"user": "U0SAL2", "name": HOSTILE}),  # a mention
        ("Global owner", {"user": "005X", "name": HOSTILE}),  # someone Slack doesn't know: the name
        ("Typed", "U0AE2"),  # text that looks like an id is text
    ],
    note=HOSTILE,
)
BASE = {
    "request_id": 12,
    "step_id": 34,
    "kind": "Ownership request",
    "card": CARD,
    "requester": HOSTILE,
    "approver": "U0SAL1",
    "step": "current owner",
    "role": "the account's owner",
    "status": "pending",
    "finished": False,
    "outcome": "pending",
}
AT = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)

SAMPLES = {
    "approvals/card.json.j2": [
        {**BASE, "state": "pending", "needs_override": False, "decisions": []},
        {**BASE, "state": "pending", "needs_override": True, "decisions": []},
        {
            **BASE,
            "card": Card(
                title=HOSTILE,
                actions=[("approve", HOSTILE * 3), ("keep", "Keep…")],
            ),
            "state": "pending",
            "needs_override": False,
            "decisions": [],
        },
        {
            **BASE,
            "state": "rejected",
            "needs_override": False,
            "status": "rejected",
            "finished": True,
            "outcome": "closed without the change",
            "decisions": [{"by": HOSTILE, "verb": "kept it", "approved": False, "reason": HOSTILE, "at": AT}],
        },
        {
            **BASE,
            "state": "approved",
            "needs_override": False,
            "decisions": [{"by": HOSTILE, "verb": "approved", "approved": True, "reason": "", "at": AT}],
        },
        {  # as cards are stored now: people as keys, a name only for someone Slack doesn't know
            **BASE,
            "requester": "U0AE1",
            "state": "approved",
            "needs_override": False,
            "decisions": [
                {
                    "by": "U0SAL1",
                    "verb": "approved",
                    "approved": True,
                    "reason": "",
                    "at": AT,
                },
                {
                    "by": {"name": HOSTILE},  # someone Salesforce alone knows
                    "verb": "approved",
                    "approved": True,
                    "reason": "",
                    "at": AT,
                },
            ],
        },
    ],
    "approvals/reminder.json.j2": [
        {"card": CARD, "request_id": 3, "days": 1},
        {"card": CARD, "request_id": 3, "days": 4},
    ],
    "approvals/reject_modal.json.j2": [
        {
            "callback_id": "approval.reject_reason",
            "request_id": 1,
            "step_id": 2,
            "summary": HOSTILE,
            "title": "Reject request",
            "label": "Why?",
            "submit": "Reject",
        }
    ],
    "approvals/outcome.json.j2": [{"text": HOSTILE, "icon": ":no_entry:"}, {"text": "ok", "icon": ""}],
}

OVERVIEW = Overview(
    waiting=[
        {
            "id": 1,
            "summary": HOSTILE,
            "status": "pending",
            "step": "current owner",
            "role": HOSTILE,
            "card": CARD,
            "since": AT,
            "step_id": 2,
            "needs_override": False,
        }
    ]
    * 20,
    mine=[{"id": 3, "summary": HOSTILE, "status": "applied", "since": AT, "open": False}] * 10
    + [{"id": 8, "summary": HOSTILE, "status": "pending", "since": AT, "open": True}] * 12,
    decided=[{"id": 4, "summary": HOSTILE, "status": "rejected", "verb": "rejected", "at": AT}],
)
EMPTY = Overview([], [], [])
HELD = {
    "name": HOSTILE,
    "opportunity_id": "O-1",
    "original_owner": HOSTILE,
    "new_owner": "Tom",
    "status": "running",
    "ends_on": "2027-03-30",
}
HOLDOVERS = Listing([HELD] * 12, [HELD] * 12)
SLA = {"id": 4, "account": HOSTILE, "kind": "Contact Us", "due_at": AT, "state": "due soon"}
ESCALATING = Overview(
    waiting=[
        {
            "id": 5,
            "summary": HOSTILE,
            "status": "pending",
            "step": "global owner",
            "role": "the global account owner",
            "card": Card(title=HOSTILE, actions=[("reassign", HOSTILE), ("disagree", "Disagree…")]),
            "since": AT,
            "step_id": 9,
            "needs_override": False,
        }
    ],
    mine=[],
    decided=[],
)
REQUEST = SimpleNamespace(id=7, summary=HOSTILE, status="pending")
EVENTS = [
    {"at": AT, "actor": HOSTILE, "parts": [{"text": HOSTILE}, {"user": "U0SAL1"}, {"user": HOSTILE}]}
] * 40

SAMPLES |= {
    "approvals/overview.json.j2": [{"overview": OVERVIEW}, {"overview": EMPTY}],
    "approvals/timeline.json.j2": [
        {"request": REQUEST, "events": EVENTS, "can_cancel": True},
        {"request": REQUEST, "events": [], "can_cancel": False},
    ],
    "approvals/home.json.j2": [
        {"home": Home(OVERVIEW, HOLDOVERS, [SLA] * 12)},
        {"home": Home(ESCALATING, Listing([], []), [])},
        {"home": Home(EMPTY, Listing([], []), [])},
    ],
}
SAMPLES["approvals/closed_note.json.j2"] = [{"request": REQUEST}]
