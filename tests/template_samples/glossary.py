"""Samples for templates/glossary."""

from __future__ import annotations

import json
from typing import Any

HOSTILE = "<!channel> <@U123> <http://evil.example|click> & @here"  # same as the package's
URL = "https://about.gitlab.com/handbook/sales/field-operations/gtm-resources/#glossary"


def _entry(
    term: str = "SAO", definition: str = "Sales Accepted Opportunity.", **extra: Any
) -> dict[str, Any]:
    return {
        "id": "sao",
        "term": term,
        "expansion": "",
        "definition": definition,
        "aliases": [],
        "url": URL,
    } | extra


SAO = _entry(expansion="Sales Accepted Opportunity", aliases=["Accepted Opportunity"])
EVIL = _entry(term=HOSTILE, definition=HOSTILE * 60, expansion=HOSTILE, id="channel-u123")  # ids are slugs
LONG = _entry(term="T" * 200, definition="d" * 5000, expansion="e" * 300)
LETTERS = [*"ABCDEFGHIJKLMNOPQRSTUVWXYZ", "#"]
# Modal inputs prefill with what the editor typed before; that is plain input text, not mrkdwn.
TRICKY = _entry(
    term='Quote " and \\ backslash', definition="Under 100 < employees & more", aliases=["a", "b"]
)

ADDED = _entry(term="PQL", definition="Product Qualified Lead.", id="pql", url="")  # no handbook section

SAMPLES: dict[str, list[dict[str, Any]]] = {
    "glossary/answer.json.j2": [
        {
            "query": "pql",
            "entries": [ADDED],
            "fuzzy": False,
            "suggestions": [],
            "undefined": None,
            "suggest_value": "pql",
        },
        {
            "query": "sao",
            "entries": [SAO],
            "fuzzy": False,
            "suggestions": [],
            "undefined": None,
            "suggest_value": "sao",
        },
        {
            "query": "Sales Acepted",
            "entries": [SAO],
            "fuzzy": True,
            "suggestions": [],
            "undefined": None,
            "suggest_value": "x",
        },
        {
            "query": HOSTILE,
            "entries": [EVIL, SAO, LONG],
            "fuzzy": False,
            "suggestions": [],
            "undefined": None,
            "suggest_value": "x",
        },
        {
            "query": HOSTILE,
            "entries": [],
            "fuzzy": False,
            "suggestions": [EVIL, SAO, LONG, SAO, SAO],
            "undefined": None,
            "suggest_value": "!channel",
        },
        {
            "query": "x" * 4000,
            "entries": [],
            "fuzzy": False,
            "suggestions": [],
            "suggest_value": "x" * 60,
            "undefined": {"note": HOSTILE, "urls": [URL]},
        },
        {
            "query": "roe",
            "entries": [SAO] * 12,
            "fuzzy": False,
            "suggestions": [],
            "undefined": None,
            "suggest_value": "roe",
        },
    ],
    "glossary/shared.json.j2": [
        {"entry": SAO, "sharer": "U0AE1"},
        {"entry": EVIL, "sharer": HOSTILE},
        {"entry": LONG, "sharer": "U0AE1"},
    ],
    "glossary/notice.json.j2": [{"text": "That entry is gone."}, {"text": HOSTILE * 100}],
    "glossary/denied.json.j2": [{"reason": "Only Sales Ops."}, {"reason": HOSTILE * 100}],
    "glossary/browse.json.j2": [
        {"letters": LETTERS, "letter": "A", "search": "", "entries": [SAO] * 30, "more": 12},
        {"letters": LETTERS[:3], "letter": "", "search": HOSTILE, "entries": [EVIL, LONG], "more": 0},
        {"letters": [], "letter": "Q", "search": "", "entries": [], "more": 0},
    ],
    "glossary/entry_modal.json.j2": [
        {"entry": None, "metadata": json.dumps({"id": ""})},
        {"entry": SAO, "metadata": json.dumps({"id": "sao"})},
        {"entry": TRICKY, "metadata": json.dumps({"id": "quote"})},
    ],
    "glossary/retire_modal.json.j2": [
        {"entry": SAO, "metadata": json.dumps({"id": "sao"})},
        {"entry": EVIL, "metadata": json.dumps({"id": "evil"})},
        {"entry": LONG, "metadata": json.dumps({"id": "long"})},
    ],
    "glossary/done_modal.json.j2": [
        {"action": "add", "entry": SAO, "reason": ""},
        {"action": "edit", "entry": EVIL, "reason": ""},
        {"action": "retire", "entry": LONG, "reason": ""},
        {"action": "suggested", "entry": {}, "reason": ""},
        {"action": "refused", "entry": {}, "reason": HOSTILE * 100},
    ],
    "glossary/suggest_modal.json.j2": [{"term": ""}, {"term": '!channel @U123 " quote'}],
    "glossary/suggestion_outcome.json.j2": [
        {"entry": SAO, "approved": True, "decided_by": "U0OPS1", "reason": ""},
        {"entry": EVIL, "approved": False, "decided_by": HOSTILE, "reason": HOSTILE * 30},
    ],
    "glossary/choose.json.j2": [
        {"verb": "edit", "query": "roe", "entries": [SAO, EVIL, LONG]},
        {"verb": "retire", "query": HOSTILE, "entries": []},
    ],
    "glossary/manage.json.j2": [{"unknown": ""}, {"unknown": HOSTILE}],
    "glossary/stats.json.j2": [
        {"asked": [("sao", 12), ("iacv", 3)], "missed": 2},
        {"asked": [], "missed": 0},
        {"asked": [("x" * 500, 1)], "missed": 1},
    ],
    "glossary/message_terms.json.j2": [
        {"entries": [], "more": 0},
        {"entries": [SAO, ADDED], "more": 0},
        {"entries": [EVIL, LONG] * 20, "more": 3},
    ],
    "glossary/ask.json.j2": [
        {"question": "", "answers": []},
        {"question": HOSTILE, "answers": []},
        {
            "question": "who owns a holdover?",
            "answers": [
                {
                    "title": "Holdover | Accounts",
                    "url": URL,
                    "text": f"{HOSTILE}\n• {HOSTILE}" * 80,
                    "trail": "",
                }
            ]
            * 3,
        },
        {
            "question": HOSTILE * 10,
            "answers": [
                {"title": "Opportunity Stages", "url": URL, "text": "A rule.", "trail": f"{HOSTILE} › _x_"},
                {"title": "Glossary", "url": URL, "text": "SAO: Sales Accepted Opportunity", "trail": ""},
            ],
        },
    ],
}
