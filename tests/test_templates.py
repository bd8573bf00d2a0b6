"""Every template renders, parses as Slack's models accept, stays in Slack's limits and escapes user text."""

from __future__ import annotations

import json

import pytest

from bot.render import Renderer, mrkdwn_escape, person, someone
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


@pytest.mark.parametrize(
    ("key", "name", "shown"),
    [
        ("U0AE1", "Ava Cole", "<@U0AE1>"),  # a Slack user: a mention, each reader's client names them
        ("W0ENT1", None, "<@W0ENT1>"),  # an Enterprise Grid user
        ("005000000000001AAA", "Sam <Salesforce>", "Sam &lt;Salesforce&gt;"),  # Salesforce alone: the name
        (None, "nobody", "nobody"),
        ("u0ae1", "lower", "lower"),  # not a Slack id
        ("U0AE1>|<!channel", "x", "x"),  # only a whole id is one
        ("U0AE1\n", "newline", "newline"),
        ("ULTRA VIOLET", None, "ULTRA VIOLET"),
        ("<!here>", None, "&lt;!here&gt;"),
        ({"name": "WEI"}, None, "WEI"),  # `someone`'s name for a person Slack doesn't know: never a mention
    ],
)
def test_person_is_a_mention_only_for_a_slack_user_id(key: object, name: str | None, shown: str) -> None:
    assert person(key, name) == shown


@pytest.mark.parametrize(
    ("key", "name", "stored"),
    [
        ("U0AE1", "Ava Cole", "U0AE1"),
        ("005000000000001AAA", "WEI", {"name": "WEI"}),
        ("005000000000001AAA", None, {"name": "005000000000001AAA"}),
        (None, None, {"name": "nobody"}),
    ],
)
def test_someone_keeps_a_slack_id_and_only_the_name_of_anyone_else(
    key: str | None, name: str | None, stored: object
) -> None:
    assert someone(key, name) == stored
    assert person(stored) == ("<@U0AE1>" if key == "U0AE1" else mrkdwn_escape(stored["name"]))
