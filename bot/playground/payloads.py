"""Pure helpers: what Slack would send when someone clicks an element or submits a modal the page drew.

The page sends a reference to the element it drew (block index, element index) and the raw value the person
picked; these functions look the element up in the blocks the bot sent and build Slack's payloads from it,
so a payload always matches the element's real type, action_id and block_id.
"""

from __future__ import annotations

from typing import Any

from bot.standin.web_api import TEAM_ID

APP_ID = "A0GTMBOT1"

# Elements that carry a value in view state (input blocks, and actions blocks inside a view).
STATEFUL = {
    "plain_text_input",
    "number_input",
    "email_text_input",
    "url_text_input",
    "static_select",
    "external_select",
    "multi_static_select",
    "users_select",
    "multi_users_select",
    "conversations_select",
    "channels_select",
    "datepicker",
    "timepicker",
    "checkboxes",
    "radio_buttons",
}


class UnknownElement(LookupError):
    """The page referred to an element the blocks do not have (stale page, or a wrong index)."""


def block_id_of(block: dict[str, Any], index: int) -> str:
    """Slack gives a block without block_id a generated one; ours is stable: b<index>."""
    return str(block.get("block_id") or f"b{index}")


def action_id_of(element: dict[str, Any], index: int) -> str:
    return str(element.get("action_id") or f"a{index}")


def element_at(blocks: list[dict[str, Any]], block_index: int, element_index: int) -> dict[str, Any]:
    """The interactive element at (block, element): actions' elements[i], a section's accessory, an
    input's element. Raises UnknownElement."""
    if not 0 <= block_index < len(blocks):
        raise UnknownElement(f"no block {block_index}")
    block = blocks[block_index]
    match block.get("type"):
        case "actions":
            elements = block.get("elements", [])
            if 0 <= element_index < len(elements):
                return elements[element_index]
        case "section" if "accessory" in block and element_index == 0:
            return block["accessory"]
        case "input" if "element" in block and element_index == 0:
            return block["element"]
    raise UnknownElement(f"no element {element_index} in block {block_index}")


def _options(element: dict[str, Any]) -> list[dict[str, Any]]:
    options = list(element.get("options", []))
    for group in element.get("option_groups", []):
        options.extend(group.get("options", []))
    return options


def _option(element: dict[str, Any], value: str) -> dict[str, Any]:
    for option in _options(element):
        if option.get("value") == value:
            return {"text": option.get("text"), "value": option.get("value")}
    raise UnknownElement(f"{value!r} is not an option of {element.get('action_id')!r}")


def _as_list(raw: Any) -> list[str]:
    if raw is None or raw == "":
        return []
    return [str(v) for v in raw] if isinstance(raw, list) else [str(raw)]


def selection(element: dict[str, Any], raw: Any) -> dict[str, Any]:
    """The keys Slack sends for an element's current value, from the raw value the page collected."""
    kind = element.get("type")
    match kind:
        case "button":
            return {"value": element["value"]} if "value" in element else {}
        case "plain_text_input" | "number_input" | "email_text_input" | "url_text_input":
            return {"value": None if raw in (None, "") else str(raw)}
        case "static_select" | "external_select" | "radio_buttons" | "overflow":
            values = _as_list(raw)
            return {"selected_option": _option(element, values[0]) if values else None}
        case "multi_static_select" | "checkboxes":
            return {"selected_options": [_option(element, v) for v in _as_list(raw)]}
        case "users_select":
            return {"selected_user": (_as_list(raw) or [None])[0]}
        case "multi_users_select":
            return {"selected_users": _as_list(raw)}
        case "conversations_select":
            return {"selected_conversation": (_as_list(raw) or [None])[0]}
        case "channels_select":
            return {"selected_channel": (_as_list(raw) or [None])[0]}
        case "datepicker":
            return {"selected_date": (_as_list(raw) or [None])[0]}
        case "timepicker":
            return {"selected_time": (_as_list(raw) or [None])[0]}
    raise UnknownElement(f"the playground does not know element type {kind!r}")


def action(
    element: dict[str, Any], block_id: str, action_id: str, raw: Any, *, action_ts: str
) -> dict[str, Any]:
    """One entry of a block_actions payload's `actions`."""
    entry: dict[str, Any] = {
        "type": element.get("type"),
        "action_id": action_id,
        "block_id": block_id,
        "action_ts": action_ts,
    }
    if element.get("type") == "button" and "text" in element:
        entry["text"] = element["text"]
    entry.update(selection(element, raw))
    return entry


def view_state(blocks: list[dict[str, Any]], raw: dict[int, Any]) -> dict[str, dict[str, Any]]:
    """Slack's `view.state.values` for the blocks, given raw values by block index (input blocks, and
    stateful elements of actions blocks). Elements the page sent nothing for are sent empty, as Slack does."""
    values: dict[str, dict[str, Any]] = {}
    for i, block in enumerate(blocks):
        if block.get("type") == "input" and "element" in block:
            elements = [(0, block["element"])]
        elif block.get("type") == "actions":
            elements = list(enumerate(block.get("elements", [])))
        else:
            continue
        for j, element in elements:
            if element.get("type") not in STATEFUL:
                continue
            got = raw.get(i)
            if isinstance(got, dict):  # actions blocks: {element index: raw}
                got = got.get(j, got.get(str(j)))
            state = {"type": element["type"], **selection(element, got)}
            values.setdefault(block_id_of(block, i), {})[action_id_of(element, j)] = state
    return values


def _interaction(kind: str, user_id: str, **fields: Any) -> dict[str, Any]:
    """An interaction payload as Slack sends it: its type, team, user and app, then `fields`."""
    return {
        "type": kind,
        "team": {"id": TEAM_ID, "domain": "gtm"},
        "user": {"id": user_id, "team_id": TEAM_ID},
        "api_app_id": APP_ID,
        **fields,
    }


def block_actions_payload(
    user_id: str,
    actions: list[dict[str, Any]],
    *,
    trigger_id: str,
    response_url: str | None,
    channel_id: str | None = None,
    message: dict[str, Any] | None = None,
    is_ephemeral: bool = False,
    view: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A block_actions payload from a message (channel_id + message) or a view (view, with its state)."""
    payload = _interaction("block_actions", user_id, token="legacy", trigger_id=trigger_id, actions=actions)
    if view is not None:
        payload["container"] = {"type": "view", "view_id": view.get("id")}
        payload["view"] = view
    elif channel_id is not None and message is not None:
        payload["container"] = {
            "type": "message",
            "message_ts": message.get("ts"),
            "channel_id": channel_id,
            "is_ephemeral": is_ephemeral,
        }
        payload["channel"] = {"id": channel_id}
        if not is_ephemeral:  # Slack leaves the message out of ephemeral clicks
            payload["message"] = message
    if response_url:
        payload["response_url"] = response_url
    return payload


def view_submission_payload(
    user_id: str, view: dict[str, Any], values: dict[str, dict[str, Any]], *, trigger_id: str
) -> dict[str, Any]:
    return _interaction(
        "view_submission",
        user_id,
        token="legacy",
        trigger_id=trigger_id,
        view={**view, "state": {"values": values}, "hash": view.get("hash", "h1")},
        response_urls=[],
    )


def view_closed_payload(user_id: str, view: dict[str, Any]) -> dict[str, Any]:
    return _interaction("view_closed", user_id, view=view, is_cleared=False)


def app_home_opened_event(user_id: str, *, event_ts: str, view: dict[str, Any] | None) -> dict[str, Any]:
    event: dict[str, Any] = {
        "type": "app_home_opened",
        "user": user_id,
        "channel": "D" + user_id[1:],
        "tab": "home",
        "event_ts": event_ts,
    }
    if view is not None:
        event["view"] = view
    return {
        "token": "legacy",
        "team_id": TEAM_ID,
        "api_app_id": APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": f"Ev{event_ts.replace('.', '')}",
        "event_time": int(float(event_ts)),
        "authorizations": [{"team_id": TEAM_ID, "user_id": "UBOT000001", "is_bot": True}],
    }
