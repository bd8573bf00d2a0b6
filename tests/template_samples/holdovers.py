"""Samples for templates/holdovers."""

from __future__ import annotations

from datetime import date

from bot.features.holdovers.service import Detail, ExtensionForm, Listing
from bot.handbook.directory import Opportunity
from bot.handbook.holdover import Holdover, weekly_reports
from tests.template_samples import HOSTILE

ROW = {
    "id": 7,
    "opportunity_id": "O-1002",
    "name": HOSTILE,
    "account_id": "A-1",
    "original_owner": HOSTILE,
    "new_owner": HOSTILE,
    "ends_on": "2027-03-30",
    "deadline": "2027-01-29",
    "day": 54,
    "status": "running",
    "extension": "",
    "extension_why": HOSTILE,
}
HELD = [
    Holdover(Opportunity(f"O{i}", HOSTILE, "A", "U1", "", kind), f"00{i % 2}", "U2", date(2027, 3, i + 1))
    for i, kind in enumerate(["New Business", "Renewal", None] * 10)
]

SAMPLES = {
    "holdovers/list.json.j2": [
        {"listing": Listing([ROW] * 25, [ROW] * 25)},
        {"listing": Listing([], [])},
    ],
    "holdovers/detail.json.j2": [
        {"detail": Detail(ROW, True)},
        {"detail": Detail({**ROW, "extension": "granted"}, False)},
        {"detail": Detail({**ROW, "extension_why": ""}, False)},
    ],
    "holdovers/extension_modal.json.j2": [
        {"form": ExtensionForm(7, HOSTILE, "2027-02-15", "2027-01-29")},
        {"form": ExtensionForm(7, "x", "", "2027-01-29")},
    ],
    "holdovers/extension_sent.json.j2": [{"request_id": 9, "new_owner": HOSTILE}],
    "holdovers/notice.json.j2": [
        {
            "what": what,
            "opportunity": HOSTILE,
            "opportunity_id": "O-1",
            "original_owner": HOSTILE,
            "new_owner": HOSTILE,
            "ends_on": "2027-03-30",
            "deadline": "2027-01-29",
            "day": 120,
            "late": late,
            "reason": reason,
            "request_id": 4 if what == "extended" else None,
        }
        for what, late, reason in [
            ("reminder", False, None),
            ("reminder", True, None),
            ("transferred", False, None),
            ("transferred", False, HOSTILE),
            ("extended", False, None),
        ]
    ],
    "holdovers/report.json.j2": [
        {
            "reports": weekly_reports(HELD, date(2027, 2, 1)),
            "people": {"000": "U0SAL1", "001": {"name": HOSTILE}},  # a Slack user; someone Slack doesn't know
            "today": date(2027, 2, 1),
        },
        {"reports": weekly_reports([], date(2027, 2, 1)), "people": {}, "today": date(2027, 2, 1)},
    ],
}
