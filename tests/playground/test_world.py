"""Table tests: what the playground's Slack does with a view_submission's ack (Slack's response_action)."""

from __future__ import annotations

from typing import Any

import pytest

from bot.playground.world import Playground
from bot.standin.web_api import SlackStandIn

USER = "U0AE1"
NEW = {"type": "modal", "title": {"type": "plain_text", "text": "Next"}, "blocks": []}


def world(stack: list[str]) -> Playground:
    playground = Playground(SlackStandIn(), "secret")
    for view_id in stack:
        playground.standin.views[view_id] = {"type": "modal", "id": view_id, "blocks": []}
    playground.standin.modal_stacks[USER] = list(stack)
    playground.errors = {v: {"old": "error"} for v in stack}
    return playground


@pytest.mark.parametrize(
    ("stack", "answer", "shown", "errors"),
    [
        (["V1"], {}, [], {}),
        (["V1", "V2"], {}, ["V1"], {"V1": {"old": "error"}}),
        (
            ["V1"],
            {"response_action": "errors", "errors": {"reason": "Say why"}},
            ["V1"],
            {"V1": {"reason": "Say why"}},
        ),
        (["V1"], {"response_action": "update", "view": NEW}, ["V1"], {}),
        (["V1"], {"response_action": "push", "view": NEW}, ["V1", "NEW"], {}),
        (
            ["V0", "V1", "V2"],
            {"response_action": "push", "view": NEW},
            ["V1", "V2", "NEW"],
            {"V0": {"old": "error"}, "V1": {"old": "error"}},
        ),
        (["V1", "V2"], {"response_action": "clear"}, [], {}),
    ],
)
def test_each_response_action_changes_the_modal_stack_like_slack(
    stack: list[str], answer: dict[str, Any], shown: list[str], errors: dict[str, Any]
) -> None:
    playground = world(stack)
    playground.apply_answer(USER, stack[-1], answer)
    got = playground.standin.modal_stacks[USER]
    assert [("NEW" if v not in stack else v) for v in got] == shown
    assert playground.errors == errors
    if answer.get("response_action") in ("update", "push"):
        assert playground.standin.views[got[-1]]["title"]["text"] == "Next"
        assert playground.standin.views[got[-1]]["id"] == got[-1]
