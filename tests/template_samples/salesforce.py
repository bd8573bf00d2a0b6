"""Samples for templates/salesforce."""

from __future__ import annotations

from tests.template_samples import HOSTILE

LINE = {
    "account": HOSTILE,
    "account_id": "001SI0000000000001",
    "old_owner": HOSTILE,
    "new_owner": HOSTILE,
    "reasons": [HOSTILE, "the hierarchy is Large; Ava Cole works Mid-Market"],
    "since": "2026-11-24",
}
URL = "https://handbook.example/#changing-account-ownership"

SAMPLES = {
    "salesforce/conflict.json.j2": [
        {"request_id": 7, "record": "Account 001X", "decided": HOSTILE, "salesforce_owner": HOSTILE},
        {"request_id": None, "record": "Opportunity 006X", "decided": "a", "salesforce_owner": "b"},
        {
            "request_id": 8,
            "record": "Account 001Y",
            "decided": "U0AE1",
            "salesforce_owner": {"name": HOSTILE},
        },
    ],
    "salesforce/drift.json.j2": [
        {"lines": [LINE] * 25, "heading": HOSTILE, "section_url": URL},
        {"lines": [LINE], "heading": "Drift", "section_url": URL},
        {
            "lines": [{**LINE, "old_owner": "U0AE2", "new_owner": {"name": HOSTILE}}],
            "heading": "D",
            "section_url": URL,
        },
        {
            "lines": [{**LINE, "account": "a public-sector account", "account_id": "", "reasons": []}],
            "heading": "D",
            "section_url": URL,
        },
        {"lines": [], "heading": "Drift", "section_url": URL},
    ],
}
