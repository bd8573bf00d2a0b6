"""The Slack surface: one module per feature, each with `register(app, deps, router)`.

How a module reads, top to bottom:
- its payloads: one small dataclass per modal or action it answers, with `parse(body)` (built from
  handlers/payloads.py), so listeners never dig into Slack's dicts;
- its listeners: module-level, named async functions, as in Slack's own Bolt samples. Each takes what Bolt
  injects by parameter name (`ack`, `body`, `client`, `respond`) and `deps: Deps`: the edge middleware
  (handlers/edge.py) puts the process's Deps into every request's context, and Bolt hands any context key
  to a listener that names it (lazy listeners too: Deps is shared, not copied, when Bolt copies a request);
- slash-command work: `answer(deps, inv)` and `lazy(deps, inv, client, respond)` functions, which
  handlers/router.py calls with the same Deps;
- `register(app, deps, router)`, which only wires: `app.action(ID)(fn)`, `app.view(ID)(fn)`,
  `router.add(Subcommand(..., verbs=(Verb(...), ...)))`, and the feature's flows and jobs into deps.

Shared answers (one-line replies, "no such account", modal errors) live in handlers/replies.py.
"""

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
