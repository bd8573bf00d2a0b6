"""Every template renders, parses as Slack's models accept, stays in Slack's limits and escapes user text."""

from __future__ import annotations

import json

import pytest

from bot.render import Renderer, mrkdwn_escape
from bot.settings import PROJECT_ROOT
from tests.blockkit import check_message, check_options, check_view
from tests.template_samples import HOSTILE, SAMPLES

TEMPLATES = PROJECT_ROOT / "templates"
ALL = sorted(str(p.relative_to(TEMPLATES)) for p in TEMPLATES.rglob("*.json.j2"))
renderer = Renderer(TEMPLATES)


def test_every_template_has_a_sample() -> None:
    missing = [name for name in ALL if name not in SAMPLES]
    assert not missing, f"add samples in tests/template_samples.py for: {missing}"


@pytest.mark.parametrize("name", ALL)
def test_template_renders_valid_block_kit(name: str) -> None:
    for context in SAMPLES.get(name, []):
        rendered = renderer.render(name, **context)
        if isinstance(rendered, dict) and rendered.get("type") in ("modal", "home"):
            check_view(rendered, name)
        elif isinstance(rendered, dict) and "options" in rendered:
            check_options(rendered, name)
        else:
            check_message(rendered, name)
        dumped = json.dumps(rendered)
        if HOSTILE in json.dumps(context, default=str):
            for raw in ("<!channel>", "<@U123>", "<http://evil"):
                assert raw not in dumped, f"{name} let {raw!r} through"


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("<!channel>", "&lt;!channel&gt;"),
        ("a & b", "a &amp; b"),
        ("<@U123>", "&lt;@U123&gt;"),
        ("@here now", "@\u200bhere now"),
        ("plain", "plain"),
    ],
)
def test_mrkdwn_escape(text: str, escaped: str) -> None:
    assert mrkdwn_escape(text) == escaped
