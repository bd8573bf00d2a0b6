"""Samples for templates/ownership, built from real rule results over hostile directory data."""

from __future__ import annotations

from bot.handbook import ownership as rules
from bot.handbook.directory import Account, Address, Opportunity, Person, Region, Role, Segment
from tests.template_samples import HOSTILE

PARENT = Account("A1", HOSTILE, owner="U0SAL1", employees_datafox=80, datafox_address=Address("US", "NY"))
CHILD = Account("A2", "Child " + HOSTILE, parent_id="A1", employees_zoominfo=2400, named=True)
VIEW = rules.build_view("A2", {"A1": PARENT, "A2": CHILD}, [Region("US-East", ("US",), ("NY",))])
ME = Person("U0AE1", HOSTILE, role=Role.AE, region="US-East", segment=Segment.MID_MARKET)
ROUTING = rules.route_request(ME, ME, VIEW, [ME])
OPPS = [Opportunity(f"O{i}", HOSTILE, "A2", "U0SAL1", "3-Technical Evaluation") for i in range(15)]

SAMPLES = {
    "ownership/owner_card.json.j2": [
        {
            "view": VIEW,
            "opportunities": OPPS,
            "owner_name": HOSTILE,
            "may_reassign": rules.may_reassign(ME, VIEW),
            "segment_summary": VIEW.segment.summary("A2"),
            "section_url": rules.section("account_ownership"),
        },
        {
            "view": VIEW,
            "opportunities": [],
            "owner_name": "nobody",
            "may_reassign": rules.may_reassign(ME, VIEW),
            "segment_summary": "",
            "section_url": rules.section("account_ownership"),
        },
    ],
    "ownership/not_found.json.j2": [
        {"query": HOSTILE, "candidates": [PARENT, CHILD]},
        {"query": "x", "candidates": []},
    ],
    "ownership/segment.json.j2": [
        {"headline": HOSTILE, "detail": HOSTILE, "section_url": "https://x.example/#s"},
        {"headline": "250 employees is Mid-Market.", "detail": "", "section_url": "u"},
    ],
    "ownership/claim_modal.json.j2": [
        {
            "account_id": "A2",
            "external_id": "ownership.claim.U0AE1.0123456789ab",
            "account_name": HOSTILE,
            "owner_id": "005000000000001AAA",  # someone from Salesforce alone: shown by name
            "owner_name": HOSTILE,
            "new_owner": "U0AE1",
            "criteria": ROUTING.criteria,
            "explanation": ROUTING.explanation,
            "record_ownership": HOSTILE,
            "auto_apply": False,
            "needs_reason": False,
        },
        {
            "account_id": "A2",
            "external_id": "ownership.claim.U0AE1.0123456789ab",
            "account_name": "a",
            "owner_id": "U0SAL1",
            "owner_name": "b",
            "new_owner": "U0AE1",
            "criteria": ROUTING.criteria,
            "explanation": HOSTILE,
            "record_ownership": "Leads follow the account owner.",
            "auto_apply": True,
            "needs_reason": True,
        },
    ],
    "ownership/claim_result.json.j2": [
        {"applied": True, "request_id": 1, "approvers": [], "explanation": HOSTILE},
        {"applied": False, "request_id": 2, "approvers": [HOSTILE, "Dana"], "explanation": HOSTILE},
    ],
    "ownership/requested.json.j2": [
        {"request_id": 4, "summary": HOSTILE, "explanation": HOSTILE, "approvers": [HOSTILE]}
    ],
    "ownership/changed.json.j2": [
        {
            "request_id": 4,
            "account": HOSTILE,
            "children": 2,
            "old_owner": HOSTILE,
            "new_owner": HOSTILE,
            "by": HOSTILE,
            "holdovers": [
                {"name": HOSTILE, "ends_on": "2027-01-30", "moves_now": False},
                {"name": HOSTILE, "ends_on": "", "moves_now": True},
            ],
        },
        {
            "request_id": 4,
            "account": "a",
            "children": 0,
            "old_owner": "b",
            "new_owner": "c",
            "by": "d",
            "holdovers": [],
        },
    ],
    "ownership/rejected.json.j2": [{"request_id": 4, "summary": HOSTILE, "by": HOSTILE, "reason": HOSTILE}],
}

SAMPLES["ownership/pick_modal.json.j2"] = [{"external_id": "ownership.claim:U0AE1.abc"}]
SAMPLES["ownership/account_options.json.j2"] = [
    {"accounts": [PARENT, CHILD, Account("A" * 200, "x" * 300)] * 40},
    {"accounts": []},
]
