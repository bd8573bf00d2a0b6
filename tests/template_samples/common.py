"""Samples for templates/common."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

HOSTILE = "<!channel> <@U123> <http://evil.example|click> & @here"  # same as the package's

SAMPLES: dict[str, list[dict[str, Any]]] = {
    "common/help.json.j2": [
        {"subcommands": [SimpleNamespace(usage="/gtm help", summary="List commands")], "unknown": ""},
        {"subcommands": [SimpleNamespace(usage="/gtm help", summary="List commands")], "unknown": HOSTILE},
    ],
    "common/error.json.j2": [
        {"unavailable": True},
        {"unavailable": False},
        {"unavailable": True, "busy": True},
    ],
}
