"""What Slack sends, typed: the pieces every feature's payload parsers are built from.

Each handler module declares one small dataclass per modal or action it answers, its fields saying where
each value comes from (`reason: str = text("reason")`, `new_owner: str | None = user("new_owner")`,
`step: tuple[int, int] | None = step_in_metadata()`), and parses with `ClaimSubmission.parse(body)`, so
no listener digs into payload dicts.

A parser never raises for a forged or odd payload: a value the bot didn't write parses to None (or ""),
and the listener answers that as a tampered form.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime
from typing import Any, Self

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
    action_id: str
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
            action_id=str(action.get("action_id") or ""),
            value=str(action.get("value") or ""),
            picked=str(
                (action.get("selected_option") or {}).get("value") or action.get("selected_user") or ""
            ),
            trigger_id=str(body.get("trigger_id") or ""),
            response_url=str(body.get("response_url") or ""),
            modal=Modal.parse(body.get("view")),
        )

    @property
    def metadata(self) -> str:
        """The private metadata of the modal clicked in."""
        return self.modal.metadata


@dataclass(frozen=True, slots=True)
class StepClick:
    """A button on an approval card naming its request and step ("12:34"); `step` is None if forged."""

    click: Click
    step: tuple[int, int] | None

    @classmethod
    def parse(cls, body: dict[str, Any]) -> StepClick:
        click = Click.parse(body)
        return cls(click, parse_ids(click.value))


class Submission:
    """A submitted modal: who submitted it, its inputs by block id (an input's action id is "value" unless
    said otherwise), and the metadata the bot wrote when opening it."""

    __slots__ = ("user_id", "values", "metadata")

    def __init__(self, body: dict[str, Any]) -> None:
        view = body["view"]
        self.user_id: str = body["user"]["id"]
        self.values: dict[str, Any] = view["state"]["values"]
        self.metadata = str(view.get("private_metadata", ""))

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


# ---- declared payloads: a field says where its value comes from -------------------------------------------
Source = Any  # a Submission (for Submitted) or a Click (for Clicked)


def read(reader: Callable[[Source], Any]) -> Any:
    """A field whose value `reader` takes from the parsed submission or click."""
    return field(metadata={"read": reader})


def submitter() -> Any:
    """Who submitted the modal, or clicked."""
    return read(lambda source: source.user_id)


def metadata(limit: int | None = None) -> Any:
    """The private metadata the bot wrote when opening the modal (capped at `limit` characters)."""
    return read(lambda source: source.metadata[:limit])


def step_in_metadata() -> Any:
    """The "request:step" the bot wrote in the modal's metadata; None if tampered with."""
    return read(lambda source: parse_ids(source.metadata))


def text(block: str, action: str = "value") -> Any:
    return read(lambda source: source.text(block, action))


def user(block: str, action: str = "value") -> Any:
    return read(lambda source: source.user(block, action))


def option(block: str, action: str = "value") -> Any:
    return read(lambda source: source.option(block, action))


def day(block: str) -> Any:
    return read(lambda source: source.date(block))


def selection() -> Any:
    """A select's option value, or a user picker's user."""
    return read(lambda source: source.picked)


class Submitted:
    """Base of a modal's declared submission: `parse(body)` reads every field from where it says."""

    __slots__ = ()

    @classmethod
    def parse(cls, body: dict[str, Any]) -> Self:
        return _declared(cls, Submission(body))


@dataclass(frozen=True, slots=True)
class AccountSubmission(Submitted):
    """A modal opened for one account (its id in the metadata), submitted."""

    user_id: str = submitter()
    account_id: str = metadata(limit=64)


class Clicked:
    """Base of an action's declared payload: `parse(body)` reads every field from the Click."""

    __slots__ = ()

    @classmethod
    def parse(cls, body: dict[str, Any]) -> Self:
        return _declared(cls, Click.parse(body))


def _declared(cls: Any, source: Source) -> Any:
    return cls(**{f.name: f.metadata["read"](source) for f in fields(cls)})
