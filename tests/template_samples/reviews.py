"""Samples for templates/reviews, templates/sponsorship and templates/sla, with hostile user text."""

from __future__ import annotations

from bot.features.reviews.export import split_csv, to_csv
from tests.template_samples import HOSTILE

ROW = {
    "id": 7,
    "status": "approved",
    "region": HOSTILE,
    "account_id": "A1",
    "account": HOSTILE,
    "review": "employees",
    "current": HOSTILE,
    "proposed": "2,400 employees",
    "segment_before": "Mid-Market",
    "segment_after": "Large",
    "source_url": "https://news.example.com/" + HOSTILE,
    "requested_by": HOSTILE,
    "requester": HOSTILE,
    "requested_at": "2026-11-24",
    "summary": HOSTILE,
    "effective_on": "2027-02-01",
    "step_id": None,
    "may_decide": False,
}
BIG = [
    ROW | {"id": i, "status": "pending" if i % 2 else "approved", "may_decide": bool(i % 3)}
    for i in range(60)
]
CHUNKS = split_csv(to_csv(["id", "account", "note"], [[i, HOSTILE, "x" * 200] for i in range(400)]))
SLA = {
    "id": 3,
    "account": HOSTILE,
    "kind": "Contact Us",
    "received": "Wed 25 Nov 15:00 UTC",
    "due": "Fri 27 Nov 15:00 UTC",
    "note": HOSTILE,
    "escalated": False,
}
RUNNING = [{"account": HOSTILE, "sponsor": HOSTILE, "ends_on": "2027-11-24"} for _ in range(10)]

SAMPLES = {
    "reviews/modal.json.j2": [
        {
            "account_id": "A1",
            "account_name": HOSTILE,
            "segment": "Large",
            "region": HOSTILE,
            "own_count": HOSTILE,
            "address": HOSTILE,
            "review": review,
        }
        for review in ("employees", "address")
    ],
    "reviews/submitted.json.j2": [
        {"request_id": 1, "summary": HOSTILE, "explanation": HOSTILE, "queued_until": ""},
        {"request_id": 1, "summary": HOSTILE, "explanation": HOSTILE, "queued_until": "2026-11-01"},
    ],
    "reviews/outcome.json.j2": [
        {"request_id": 1, "summary": HOSTILE, "outcome": o, "note": HOSTILE, "effective": "2027-02-01"}
        for o in ("approved", "rejected", "applied")
    ],
    "reviews/approved_ops.json.j2": [{"request_id": 1, "summary": HOSTILE, "effective": "2027-02-01"}],
    "reviews/owner_changed.json.j2": [
        {
            "request_id": 1,
            "summary": HOSTILE,
            "accounts": [{"account": HOSTILE, "what": HOSTILE, "failed": [HOSTILE, HOSTILE]}] * 30,
            "section_url": "https://handbook.example/#x",
        },
        {
            "request_id": 1,
            "summary": "s",
            "accounts": [{"account": "a", "what": "segment SMB → Mid-Market", "failed": []}],
            "section_url": "https://handbook.example/#x",
        },
    ],
    "reviews/queue.json.j2": [
        {"rows": BIG, "by_region": [(HOSTILE, 3, 4), ("EMEA", 0, 1)]},
        {"rows": [], "by_region": []},
    ],
    "reviews/export.json.j2": [
        {"parts": CHUNKS.parts, "rows_shown": CHUNKS.rows_shown, "rows_left_out": CHUNKS.rows_left_out},
        {"parts": ["id\n1"], "rows_shown": 1, "rows_left_out": 0},
    ],
    "sponsorship/modal.json.j2": [{"account_id": "A1", "account_name": HOSTILE, "running": 3, "cap": 10}],
    "sponsorship/submitted.json.j2": [
        {"request_id": 1, "sponsor": {"name": HOSTILE}, "account_name": HOSTILE},
        {"request_id": 1, "sponsor": "U0VP2", "account_name": HOSTILE},
    ],
    "sponsorship/full.json.j2": [{"reason": HOSTILE, "running": RUNNING}],
    "sponsorship/full_modal.json.j2": [{"reason": HOSTILE, "running": RUNNING}],
    "sponsorship/notice.json.j2": [
        {
            "request_id": 1,
            "summary": HOSTILE,
            "what": what,
            "text": HOSTILE if what == "declined" else "",
            "account": HOSTILE,
            "sponsor": HOSTILE,
            "ends_on": "2027-02-01" if what in ("confirmed", "ending") else "",
        }
        for what in ("declined", "agreed", "confirmed", "ending", "ended")
    ],
    "sponsorship/list.json.j2": [
        {"running": RUNNING, "nominations": [{"id": 1, "summary": HOSTILE}], "cap": 10},
        {"running": [], "nominations": [], "cap": 10},
    ],
    "sla/modal.json.j2": [
        {
            "account_id": "A1",
            "account_name": HOSTILE,
            "owner_id": "005X",
            "owner_name": HOSTILE,
            "now_ts": 1795100400,
        },
        {
            "account_id": "A1",
            "account_name": "a",
            "owner_id": "U0SAL1",
            "owner_name": "b",
            "now_ts": 1795100400,
        },
    ],
    "sla/logged.json.j2": [
        {"sla_id": 1, "account_name": HOSTILE, "owner": {"name": HOSTILE}, "due": "Fri 27 Nov 15:00 UTC"},
        {"sla_id": 2, "account_name": "a", "owner": "U0SAL1", "due": "Fri 27 Nov 15:00 UTC"},
    ],
    "sla/notice.json.j2": [
        {"what": w, "sla": SLA, "by": by, "owner_name": owner}
        for w in ("logged", "reminder", "overdue", "escalated")
        for by, owner in ((HOSTILE, HOSTILE), ("U0AE1", {"name": HOSTILE}), ({"name": HOSTILE}, "U0SAL1"))
    ],
    "sla/list.json.j2": [
        {
            "rows": [
                SLA | {"owner": HOSTILE, "state": s, "mine": True}
                for s in ("open", "due soon", "overdue") * 12
            ]
        },
        {"rows": []},
    ],
}
