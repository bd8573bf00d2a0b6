"""Build signed Slack requests (slash commands, block_actions, view_submission) as Slack sends them."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import secrets
import time
from typing import Any
from urllib.parse import urlencode

_RUN = secrets.token_hex(4)
_NEXT = itertools.count(1)


def new_trigger_id() -> str:
    """Unique per interaction, as Slack's are (the replay guard tells interactions apart by it)."""
    return f"{next(_NEXT)}.{_RUN}.trigger"


def signature(signing_secret: str, timestamp: str, body: str) -> str:
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(signing_secret.encode(), base, hashlib.sha256).hexdigest()


def signed_headers(signing_secret: str, body: str, *, timestamp: int | None = None) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature(signing_secret, ts, body)}


def command_body(
    command: str,
    text: str,
    user_id: str,
    *,
    channel_id: str = "C0GENERAL1",
    response_url: str = "",
    trigger_id: str | None = None,
    team_id: str = "T0GTMBOT1",
) -> tuple[str, str]:
    """(body, content type) of a slash command."""
    form = {
        "token": "legacy",
        "team_id": team_id,
        "channel_id": channel_id,
        "channel_name": "general",
        "user_id": user_id,
        "user_name": user_id.lower(),
        "command": command,
        "text": text,
        "response_url": response_url,
        "trigger_id": trigger_id or new_trigger_id(),
        "api_app_id": "A0GTMBOT1",
    }
    return urlencode(form), "application/x-www-form-urlencoded"


def interaction_body(payload: dict[str, Any]) -> tuple[str, str]:
    return urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"


def block_action_payload(
    user_id: str,
    action_id: str,
    value: str,
    *,
    block_id: str = "b",
    channel_id: str | None = "C0GENERAL1",
    message_ts: str | None = None,
    response_url: str = "",
    view: dict[str, Any] | None = None,
    trigger_id: str | None = None,
    team_id: str = "T0GTMBOT1",
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "type": "block_actions",
        "team": {"id": team_id},
        "user": {"id": user_id, "team_id": team_id},
        "api_app_id": "A0GTMBOT1",
        "trigger_id": trigger_id or new_trigger_id(),
        "response_url": response_url,
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": block_id,
                "value": value,
                "action_ts": str(time.time()),
            }
        ],
    }
    if channel_id:
        payload["channel"] = {"id": channel_id}
        payload["container"] = {
            "type": "message",
            "channel_id": channel_id,
            "message_ts": message_ts or "1.1",
        }
        payload["message"] = {"ts": message_ts or "1.1", "blocks": []}
    if view is not None:
        payload["view"] = view
        payload["container"] = {"type": "view", "view_id": view.get("id", "V1")}
    return payload


def view_submission_payload(
    user_id: str,
    callback_id: str,
    values: dict[str, dict[str, Any]],
    *,
    private_metadata: str = "",
    view_id: str = "V00000001",
    team_id: str = "T0GTMBOT1",
) -> dict[str, Any]:
    """`values` is Slack's state shape: {block_id: {action_id: {"type": ..., "value": ...}}}."""
    return {
        "type": "view_submission",
        "team": {"id": team_id},
        "user": {"id": user_id, "team_id": team_id},
        "api_app_id": "A0GTMBOT1",
        "trigger_id": new_trigger_id(),
        "view": {
            "id": view_id,
            "type": "modal",
            "callback_id": callback_id,
            "private_metadata": private_metadata,
            "state": {"values": values},
            "hash": "h1",
        },
    }


def message_action_payload(
    user_id: str,
    callback_id: str,
    text: str,
    *,
    channel_id: str = "C0GENERAL1",
    message_ts: str = "1.1",
    author: str = "U0SOMEONE",
    response_url: str = "",
    trigger_id: str = "trig-3",
    team_id: str = "T0GTMBOT1",
) -> dict[str, Any]:
    """A message shortcut on a message of `author` that says `text` (Slack's `message_action`)."""
    return {
        "type": "message_action",
        "callback_id": callback_id,
        "team": {"id": team_id},
        "user": {"id": user_id, "team_id": team_id},
        "api_app_id": "A0GTMBOT1",
        "trigger_id": trigger_id,
        "response_url": response_url,
        "action_ts": str(time.time()),
        "message_ts": message_ts,
        "channel": {"id": channel_id},
        "message": {"type": "message", "user": author, "ts": message_ts, "text": text},
    }
