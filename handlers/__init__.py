"""The Slack surface: one module per feature, each with `register(app, deps, router)`."""

from __future__ import annotations

from handlers import approvals, escalations, glossary, help, holdovers, ownership, requests, stages

FEATURES = [help, approvals, requests, glossary, stages, ownership, escalations, holdovers]
