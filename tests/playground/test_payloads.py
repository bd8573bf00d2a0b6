"""Table tests: what Slack sends for a click or a pick, built from the element the bot drew."""

from __future__ import annotations

from typing import Any

import pytest

from bot.playground import payloads
from bot.playground.payloads import UnknownElement

T = {"type": "plain_text", "text": "x"}
OPTS = [
    {"text": {"type": "plain_text", "text": "One"}, "value": "1"},
    {"text": {"type": "plain_text", "text": "Two"}, "value": "2"},
]
ONE = {"text": OPTS[0]["text"], "value": "1"}
TWO = {"text": OPTS[1]["text"], "value": "2"}


@pytest.mark.parametrize(
    ("element", "raw", "expected"),
    [
        ({"type": "button", "value": "v"}, None, {"value": "v"}),
        ({"type": "button"}, None, {}),
        ({"type": "plain_text_input"}, "hello", {"value": "hello"}),
        ({"type": "plain_text_input"}, "", {"value": None}),
        ({"type": "plain_text_input"}, None, {"value": None}),
        ({"type": "number_input"}, "12", {"value": "12"}),
        ({"type": "static_select", "options": OPTS}, "2", {"selected_option": TWO}),
        ({"type": "static_select", "options": OPTS}, None, {"selected_option": None}),
        (
            {"type": "static_select", "option_groups": [{"label": T, "options": OPTS}]},
            "1",
            {"selected_option": ONE},
        ),
        ({"type": "overflow", "options": OPTS}, "1", {"selected_option": ONE}),
        ({"type": "radio_buttons", "options": OPTS}, "1", {"selected_option": ONE}),
        ({"type": "multi_static_select", "options": OPTS}, ["1", "2"], {"selected_options": [ONE, TWO]}),
        ({"type": "checkboxes", "options": OPTS}, [], {"selected_options": []}),
        ({"type": "checkboxes", "options": OPTS}, "2", {"selected_options": [TWO]}),
        ({"type": "users_select"}, "U0RD1", {"selected_user": "U0RD1"}),
        ({"type": "users_select"}, None, {"selected_user": None}),
        ({"type": "multi_users_select"}, ["U1", "U2"], {"selected_users": ["U1", "U2"]}),
        ({"type": "conversations_select"}, "C1", {"selected_conversation": "C1"}),
        ({"type": "channels_select"}, "C1", {"selected_channel": "C1"}),
        ({"type": "datepicker"}, "2026-12-01", {"selected_date": "2026-12-01"}),
        ({"type": "timepicker"}, "09:30", {"selected_time": "09:30"}),
    ],
)
def test_selection_is_what_slack_sends_for_each_element_type(
    element: dict[str, Any], raw: Any, expected: dict[str, Any]
) -> None:
    assert payloads.selection(element, raw) == expected


@pytest.mark.parametrize(
    ("element", "raw"),
    [
        ({"type": "static_select", "options": OPTS}, "3"),
        ({"type": "checkboxes", "options": OPTS}, ["1", "9"]),
        ({"type": "video"}, None),
    ],
)
def test_a_value_that_is_not_an_option_or_an_unknown_element_is_refused(
    element: dict[str, Any], raw: Any
) -> None:
    with pytest.raises(UnknownElement):
        payloads.selection(element, raw)


BUTTON = {"type": "button", "action_id": "go", "text": T, "value": "v"}
SELECT = {"type": "static_select", "action_id": "pick", "options": OPTS}
BLOCKS = [
    {"type": "section", "text": T, "accessory": BUTTON},
    {"type": "actions", "block_id": "acts", "elements": [BUTTON, SELECT]},
    {
        "type": "input",
        "block_id": "name",
        "label": T,
        "element": {"type": "plain_text_input", "action_id": "n"},
    },
    {"type": "divider"},
    {"type": "input", "label": T, "element": {"type": "users_select"}},
]


@pytest.mark.parametrize(
    ("block", "element", "expected"),
    [
        (0, 0, BUTTON),
        (1, 0, BUTTON),
        (1, 1, SELECT),
        (2, 0, BLOCKS[2]["element"]),
        (1, 2, None),
        (0, 1, None),
        (3, 0, None),
        (5, 0, None),
        (-1, 0, None),
    ],
)
def test_element_at_finds_accessories_actions_and_inputs(block: int, element: int, expected: Any) -> None:
    if expected is None:
        with pytest.raises(UnknownElement):
            payloads.element_at(BLOCKS, block, element)
    else:
        assert payloads.element_at(BLOCKS, block, element) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            {},
            {
                "acts": {"pick": {"type": "static_select", "selected_option": None}},
                "name": {"n": {"type": "plain_text_input", "value": None}},
                "b4": {"a0": {"type": "users_select", "selected_user": None}},
            },
        ),
        (
            {1: {"1": "2"}, 2: "Initech", 4: "U0RD1"},
            {
                "acts": {"pick": {"type": "static_select", "selected_option": TWO}},
                "name": {"n": {"type": "plain_text_input", "value": "Initech"}},
                "b4": {"a0": {"type": "users_select", "selected_user": "U0RD1"}},
            },
        ),
    ],
)
def test_view_state_has_every_stateful_element_keyed_by_block_and_action_id(
    raw: dict[int, Any], expected: dict[str, Any]
) -> None:
    assert payloads.view_state(BLOCKS, raw) == expected


@pytest.mark.parametrize(
    ("kwargs", "container", "has_message", "has_view"),
    [
        (
            {"channel_id": "C1", "message": {"ts": "1.2", "blocks": []}},
            {"type": "message", "message_ts": "1.2", "channel_id": "C1", "is_ephemeral": False},
            True,
            False,
        ),
        (
            {"channel_id": "C1", "message": {"ts": "1.2"}, "is_ephemeral": True},
            {"type": "message", "message_ts": "1.2", "channel_id": "C1", "is_ephemeral": True},
            False,
            False,
        ),
        ({"view": {"id": "V1", "type": "modal"}}, {"type": "view", "view_id": "V1"}, False, True),
    ],
)
def test_block_actions_payload_names_its_container(
    kwargs: dict[str, Any], container: dict[str, Any], has_message: bool, has_view: bool
) -> None:
    action = payloads.action(BUTTON, "acts", "go", None, action_ts="1.0")
    payload = payloads.block_actions_payload(
        "U0AE1", [action], trigger_id="t", response_url="http://r", **kwargs
    )
    assert payload["type"] == "block_actions"
    assert payload["user"]["id"] == "U0AE1"
    assert payload["container"] == container
    assert ("message" in payload) is has_message
    assert ("view" in payload) is has_view
    assert payload["actions"] == [
        {"type": "button", "action_id": "go", "block_id": "acts", "action_ts": "1.0", "text": T, "value": "v"}
    ]


def test_view_submission_carries_the_view_with_its_state() -> None:
    view = {"id": "V9", "type": "modal", "callback_id": "cb", "private_metadata": "m", "blocks": BLOCKS}
    payload = payloads.view_submission_payload("U0AE1", view, {"name": {}}, trigger_id="t")
    assert payload["type"] == "view_submission"
    assert payload["view"]["callback_id"] == "cb"
    assert payload["view"]["private_metadata"] == "m"
    assert payload["view"]["state"] == {"values": {"name": {}}}


def test_app_home_opened_is_an_event_callback_for_the_users_dm() -> None:
    event = payloads.app_home_opened_event("U0AE1", event_ts="1700000000.000100", view=None)
    assert event["type"] == "event_callback"
    assert event["event"] == {
        "type": "app_home_opened",
        "user": "U0AE1",
        "channel": "D0AE1",
        "tab": "home",
        "event_ts": "1700000000.000100",
    }
