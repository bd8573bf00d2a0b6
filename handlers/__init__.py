"""The Slack surface: one module per feature, each with `register(app, deps, router)`."""

from __future__ import annotations

from handlers import (
    approvals,
    escalations,
    glossary,
    help,
    holdovers,
    ownership,
    requests,
    reviews,
    salesforce,
    sla,
    sponsorship,
    stages,
)

FEATURES = [
    help,
    approvals,
    requests,
    glossary,
    stages,
    ownership,
    escalations,
    holdovers,
    reviews,
    sponsorship,
    sla,
    salesforce,
]
