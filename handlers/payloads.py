"""What Slack sends, typed: the pieces every feature's payload parsers are built from.

Each handler module has one small dataclass per modal or action it answers (`ClaimSubmission.parse(body)`,
`StepClick.parse(body)`...), built from these, so no listener digs into payload dicts. A parser never
raises for a forged or odd payload: a value the bot didn't write parses to None (or ""), and the listener
answers that as a tampered form.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from bot.inputs import parse_id


def parse_ids(value: str) -> tuple[int, int] | None:
    """`"12:34"` -> (request 12, step 34); anything else (a tampered value) -> None."""
    request, sep, step = (value or "").partition(":")
    request_id, step_id = parse_id(request), parse_id(step)
    if not sep or request_id is None or step_id is None or request.startswith("#") or step.startswith("#"):
        return None
    return request_id, step_id


def parse_date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def json_object(text: str | None) -> dict[str, Any] | None:
    """A view's private metadata written as a JSON object, or None for anything else."""
    try:
        data = json.loads(text or "")
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


@dataclass(frozen=True, slots=True)
class Modal:
    """The modal an action was clicked in (empty for a message or App Home)."""

    id: str | None = None
    hash: str | None = None
    external_id: str = ""
    metadata: str = ""

    @classmethod
    def parse(cls, view: dict[str, Any] | None) -> Modal:
        view = view or {}
        return cls(
            id=view.get("id"),
            hash=view.get("hash"),
            external_id=str(view.get("external_id") or ""),
            metadata=str(view.get("private_metadata") or ""),
        )


@dataclass(frozen=True, slots=True)
class Click:
    """A button, select or picker: who clicked, what it carries, where to answer."""

    user_id: str
    value: str  # a button's value
    picked: str  # a select's option value, or a user picker's user
    trigger_id: str
    response_url: str  # "" in App Home and in modals
    modal: Modal

    @classmethod
    def parse(cls, body: dict[str, Any]) -> Click:
        action = (body.get("actions") or [{}])[0]
        return cls(
            user_id=body["user"]["id"],
            value=str(action.get("value") or ""),
            picked=str(
                (action.get("selected_option") or {}).get("value") or action.get("selected_user") or ""
            ),
            trigger_id=str(body.get("trigger_id") or ""),
            response_url=str(body.get("response_url") or ""),
            modal=Modal.parse(body.get("view")),
        )


@dataclass(frozen=True, slots=True)
class StepClick:
    """A button on an approval card naming its request and step ("12:34"); `step` is None if forged."""

    click: Click
    step: tuple[int, int] | None

    @classmethod
    def parse(cls, body: dict[str, Any]) -> StepClick:
        click = Click.parse(body)
        return cls(click, parse_ids(click.value))


class Fields:
    """A submitted modal's inputs by block id; an input's action id is "value" unless said otherwise."""

    __slots__ = ("values",)

    def __init__(self, view: dict[str, Any]) -> None:
        self.values: dict[str, Any] = view["state"]["values"]

    def get(self, block: str, key: str, action: str = "value") -> Any:
        return ((self.values.get(block) or {}).get(action) or {}).get(key)

    def text(self, block: str, action: str = "value") -> str:
        return str(self.get(block, "value", action) or "")

    def user(self, block: str, action: str = "value") -> str | None:
        return self.get(block, "selected_user", action) or None

    def option(self, block: str, action: str = "value") -> str | None:
        return (self.get(block, "selected_option", action) or {}).get("value")

    def options(self, block: str) -> list[str]:
        return [o["value"] for o in (self.get(block, "selected_options") or [])]

    def date(self, block: str) -> date | None:
        return parse_date(self.get(block, "selected_date"))

    def time(self, block: str) -> datetime | None:
        picked = self.get(block, "selected_date_time")
        try:
            return datetime.fromtimestamp(int(picked), UTC) if picked is not None else None
        except (TypeError, ValueError, OverflowError, OSError):
            return None


@dataclass(frozen=True, slots=True)
class Submission:
    """A submitted modal: who submitted it, its inputs, and the metadata the bot wrote when opening it."""

    user_id: str
    fields: Fields
    metadata: str

    @classmethod
    def parse(cls, body: dict[str, Any]) -> Submission:
        view = body["view"]
        return cls(body["user"]["id"], Fields(view), str(view.get("private_metadata", "")))
