"""Samples for templates/escalations, with hostile text where people type or the directory speaks."""

from __future__ import annotations

from bot.features.escalations import considerations, stand_alone_reasons
from tests.template_samples import HOSTILE

SAMPLES = {
    "escalations/request_modal.json.j2": [
        {
            "account_id": "A-1",
            "account_name": HOSTILE,
            "global_owner": owner,
            "named": named,
            "considerations": considerations(),
            "stand_alone": stand_alone_reasons(),
        }
        for named, owner in ((True, {"name": HOSTILE}), (False, "U0SAL1"))
    ],
    "escalations/handoff_modal.json.j2": [
        {"account_id": "A-1", "account_name": HOSTILE, "rep_id": "U0SAL2", "named": True},
        {"account_id": "A-1", "account_name": "x" * 400, "rep_id": "", "named": False},
    ],
    "escalations/reason_modal.json.j2": [
        {
            "metadata": "1:2",
            "title": "Keep the account (a very long title)",
            "submit": "Keep it",
            "label": HOSTILE,
            "hint": HOSTILE,
            "summary": HOSTILE,
        }
    ],
    "escalations/date_modal.json.j2": [{"metadata": "1:2", "summary": HOSTILE, "today": "2026-11-24"}],
    "escalations/sent.json.j2": [
        {"request_id": 3, "applied": False, "waiting_on": [{"name": HOSTILE}, "U0RD1"]},
        {"request_id": 3, "applied": True, "waiting_on": []},
    ],
    "escalations/update.json.j2": [
        {"request_id": 3, "headline": HOSTILE, "body": HOSTILE * 100},  # as stored before: text
        {
            "request_id": 4,
            "headline": [
                {"user": "U0SAL2", "name": HOSTILE},
                " asked ",
                {"name": HOSTILE},
                f" for {HOSTILE}",
            ],
            "body": "",
        },
    ],
}
