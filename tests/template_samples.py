"""A sample context for every template, so each one is rendered and checked in tests/test_templates.py.

Add an entry with every new template (the test fails for a template without one). Samples carry hostile
user text on purpose: it must come out escaped.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

HOSTILE = "<!channel> <@U123> <http://evil.example|click> & @here"

SAMPLES: dict[str, list[dict[str, Any]]] = {
    "common/help.json.j2": [
        {"subcommands": [SimpleNamespace(usage="/gtm help", summary="List commands")], "unknown": ""},
        {"subcommands": [SimpleNamespace(usage="/gtm help", summary="List commands")], "unknown": HOSTILE},
    ],
    "common/error.json.j2": [{"unavailable": True}, {"unavailable": False}],
}
