"""The playground's Slack: people, channels, ephemerals and modals, driving the bot with signed requests.

Channel messages, modals and Home tabs live in the stand-in (the bot writes them through its Web API calls);
this class adds what Slack's client shows and the Web API doesn't hold: the ack bodies of slash commands,
`response_url` posts, each person's open modal and its inline errors.
"""

from __future__ import annotations

import itertools
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from bot.playground import payloads
from bot.standin import signer
from bot.standin.web_api import BOT_ID, BOT_USER_ID, Call, SlackStandIn

CHANNELS = {"C0GENERAL1": "general", "C0SALES01": "sales"}


class PlaygroundError(Exception):
    """A request the page made that refers to nothing (an unknown message, view or element)."""


@dataclass
class Outcome:
    """What the bot answered over HTTP: status and body (the ack)."""

    status: int
    body: str

    @property
    def json(self) -> dict[str, Any]:
        try:
            parsed = json.loads(self.body) if self.body else {}
        except json.JSONDecodeError:
            return {"text": self.body}
        return parsed if isinstance(parsed, dict) else {}


@dataclass
class Playground:
    standin: SlackStandIn
    signing_secret: str
    events_url: str = ""
    people: list[dict[str, Any]] = field(default_factory=list)
    ephemerals: list[dict[str, Any]] = field(default_factory=list)
    errors: dict[str, dict[str, str]] = field(default_factory=dict)  # view id -> {block_id: message}
    _triggers: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _run: str = field(default_factory=lambda: secrets.token_hex(4))
    _session: aiohttp.ClientSession | None = None

    def __post_init__(self) -> None:
        self.standin.hooks.append(self._heard)

    def bind(self, origin: str) -> None:
        """Point the stand-in's response_urls and our requests at the server at `origin`."""
        origin = origin.rstrip("/")
        self.standin.base_url = f"{origin}/playground/slack/"
        self.events_url = f"{origin}/slack/events"

    def set_people(self, people: list[dict[str, Any]]) -> None:
        self.people = people
        for person in people:
            known = self.standin.users.get(person["id"], {}).get("profile", {}).get("email")
            self.standin.users[person["id"]] = {
                "id": person["id"],
                "team_id": "T0GTMBOT1",
                "name": person["name"].split()[0].lower(),
                "real_name": person["name"],
                "tz": "America/New_York",
                "profile": {
                    "real_name": person["name"],
                    "display_name": person["name"],
                    "email": person.get("email") or known or "",
                },
                "is_bot": False,
            }

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    # ---- sending into the bot -----------------------------------------------------------------------
    def _trigger(self, user: str) -> str:
        trigger_id = f"{next(self._triggers)}.{user}.{self._run}.playground"  # unique across restarts
        self.standin.triggers[trigger_id] = user
        return trigger_id

    def _response_url(self, user: str, channel: str, ts: str = "") -> str:
        return self.standin.response_url("~".join(filter(None, (user, channel, ts))))

    async def _post(self, body: str, content_type: str) -> Outcome:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        headers = {"Content-Type": content_type, **signer.signed_headers(self.signing_secret, body)}
        async with self._session.post(self.events_url, data=body.encode(), headers=headers) as response:
            return Outcome(response.status, await response.text())

    async def _interact(self, payload: dict[str, Any]) -> Outcome:
        return await self._post(*signer.interaction_body(payload))

    async def command(self, user: str, channel: str, command: str, text: str) -> Outcome:
        body, content_type = signer.command_body(
            command,
            text,
            user,
            channel_id=channel,
            response_url=self._response_url(user, channel),
            trigger_id=self._trigger(user),
        )
        outcome = await self._post(body, content_type)
        answer = outcome.json if outcome.status == 200 else {}
        if answer.get("text") or answer.get("blocks"):
            shown = {"text": answer.get("text", ""), "blocks": answer.get("blocks", [])}
            if answer.get("response_type") == "in_channel":
                self._post_as_bot(channel, shown)
            else:
                self._add_ephemeral(user, channel, shown, command=f"{command} {text}".strip())
        return outcome

    async def click(
        self,
        user: str,
        *,
        surface: str,
        block: int,
        element: int,
        value: Any = None,
        channel: str = "",
        ts: str = "",
        view_id: str = "",
        state: dict[int, Any] | None = None,
    ) -> Outcome:
        """A click (or a pick in a select) on an element the page drew, as a block_actions payload."""
        trigger_id = self._trigger(user)
        action_ts = f"{time.time():.6f}"
        if surface in ("message", "ephemeral"):
            message, is_ephemeral = self._find_message(user, channel, ts, ephemeral=surface == "ephemeral")
            found = self._element(message.get("blocks", []), block, element)
            entry = payloads.action(*found, value, action_ts=action_ts)
            payload = payloads.block_actions_payload(
                user,
                [entry],
                trigger_id=trigger_id,
                response_url=self._response_url(user, channel, ts),
                channel_id=channel,
                message=message,
                is_ephemeral=is_ephemeral,
            )
        elif surface in ("view", "home"):
            view = self._view(user, view_id, home=surface == "home")
            blocks = view.get("blocks", [])
            found = self._element(blocks, block, element)
            entry = payloads.action(*found, value, action_ts=action_ts)
            with_state = {**view, "state": {"values": payloads.view_state(blocks, state or {})}}
            payload = payloads.block_actions_payload(
                user, [entry], trigger_id=trigger_id, response_url=None, view=with_state
            )
        else:
            raise PlaygroundError(f"unknown surface {surface!r}")
        return await self._interact(payload)

    async def submit(self, user: str, view_id: str, state: dict[int, Any]) -> Outcome:
        view = self._view(user, view_id)
        values = payloads.view_state(view.get("blocks", []), state)
        payload = payloads.view_submission_payload(user, view, values, trigger_id=self._trigger(user))
        outcome = await self._interact(payload)
        if outcome.status != 200:
            return outcome
        self.apply_answer(user, view_id, outcome.json)
        return outcome

    def apply_answer(self, user: str, view_id: str, answer: dict[str, Any]) -> None:
        """What Slack does with a view_submission's ack: errors inline, update in place, push, clear, or
        (an empty ack) close the submitted view and show the one under it."""
        stack = self.standin.modal_stacks.setdefault(user, [])
        self.errors.pop(view_id, None)
        match answer.get("response_action"):
            case "errors":
                self.errors[view_id] = {str(k): str(v) for k, v in answer.get("errors", {}).items()}
            case "update":
                self.standin.views[view_id] = {**answer.get("view", {}), "id": view_id}
            case "push":
                new_id = f"V{next(self.standin._view_ids):08d}"
                self.standin.views[new_id] = {**answer.get("view", {}), "id": new_id}
                stack.append(new_id)
                del stack[:-3]  # Slack keeps at most 3
            case "clear":
                for closed in stack:
                    self.errors.pop(closed, None)
                stack.clear()
            case _:
                if view_id in stack:
                    stack.remove(view_id)

    async def close_modal(self, user: str, view_id: str) -> Outcome | None:
        view = self._view(user, view_id)
        stack = self.standin.modal_stacks.get(user, [])
        if view_id in stack:
            stack.remove(view_id)
        self.errors.pop(view_id, None)
        if view.get("notify_on_close"):
            return await self._interact(payloads.view_closed_payload(user, view))
        return None

    async def open_home(self, user: str) -> Outcome:
        home = self.standin.home.get(user)
        view = {**home, "id": "VHOME"} if home else None
        event = payloads.app_home_opened_event(user, event_ts=f"{time.time():.6f}", view=view)
        return await self._post(json.dumps(event), "application/json")

    # ---- what the page shows ------------------------------------------------------------------------
    def state(self, user: str) -> dict[str, Any]:
        dm = "D" + user[1:] if user else ""
        names = dict(CHANNELS)
        names.update({c: c for c in self.standin.messages if not c.startswith("D") and c not in names})
        stack = self.standin.modal_stacks.get(user, [])
        modal = self.standin.views.get(stack[-1]) if stack else None
        home = self.standin.home.get(user)
        return {
            "me": user,
            "bot": {"id": BOT_USER_ID, "name": "gtm-bot"},
            "people": self.people,
            "channels": [{"id": c, "name": n} for c, n in names.items()],
            "conversations": {c: self._timeline(user, c) for c in [*names, dm] if c},
            "dm": dm,
            "modal": {**modal, "errors": self.errors.get(modal["id"], {})} if modal else None,
            "modal_depth": len(stack),
            "home": {**home, "id": "VHOME"} if home else None,
        }

    def _timeline(self, user: str, channel: str) -> list[dict[str, Any]]:
        items = [{**m, "kind": "message"} for m in self.standin.messages.get(channel, [])]
        items += [
            {**e, "kind": "ephemeral"}
            for e in self._all_ephemerals()
            if e["channel"] == channel and e["user"] == user
        ]
        return sorted(items, key=lambda m: float(m["ts"]))

    def _all_ephemerals(self) -> list[dict[str, Any]]:
        return self.ephemerals + self.standin.ephemeral

    # ---- bookkeeping -------------------------------------------------------------------------------
    def _add_ephemeral(self, user: str, channel: str, message: dict[str, Any], command: str = "") -> None:
        self.ephemerals.append(
            {
                "ts": self.standin.next_ts(),
                "user": user,
                "channel": channel,
                "text": message.get("text", ""),
                "blocks": message.get("blocks", []),
                "command": command,
            }
        )

    def _post_as_bot(self, channel: str, message: dict[str, Any]) -> None:
        self.standin.messages[channel].append(
            {
                "ts": self.standin.next_ts(),
                "text": message.get("text", ""),
                "blocks": message.get("blocks", []),
                "user": BOT_USER_ID,
                "bot_id": BOT_ID,
                "thread_ts": None,
            }
        )

    def _heard(self, call: Call) -> None:
        """Apply a response_url post the way Slack's client would show it; views.update clears old errors."""
        if call.method == "views.update":
            self.errors.pop(str(call.args.get("view_id", "")), None)
        if call.method != "response_url":
            return
        user, channel, ts = (call.args["key"].split("~") + ["", "", ""])[:3]
        body = call.args
        message = {"text": body.get("text", ""), "blocks": body.get("blocks", [])}
        original = self._locate(user, channel, ts) if ts else None
        if original is not None and body.get("delete_original"):
            original[0].remove(original[1])
            return
        if original is not None and body.get("replace_original"):
            original[1].update(message)
            return
        if body.get("response_type") == "in_channel":
            self._post_as_bot(channel, message)
        elif message["text"] or message["blocks"]:
            self._add_ephemeral(user, channel, message)

    def _locate(self, user: str, channel: str, ts: str) -> tuple[list[dict[str, Any]], dict[str, Any]] | None:
        for source in (self.ephemerals, self.standin.ephemeral, self.standin.messages.get(channel, [])):
            for item in source:
                if item["ts"] == ts and item.get("user") in (user, BOT_USER_ID):
                    return source, item
        return None

    def _find_message(
        self, user: str, channel: str, ts: str, *, ephemeral: bool
    ) -> tuple[dict[str, Any], bool]:
        sources = self._all_ephemerals() if ephemeral else self.standin.messages.get(channel, [])
        for item in sources:
            if item["ts"] == ts and (not ephemeral or (item["user"] == user and item["channel"] == channel)):
                if ephemeral:
                    return {"type": "message", "ts": ts, "text": item["text"], "blocks": item["blocks"]}, True
                return {"type": "message", **item}, False
        raise PlaygroundError(f"no message {ts} in {channel}")

    def _view(self, user: str, view_id: str, *, home: bool = False) -> dict[str, Any]:
        if home:
            view = self.standin.home.get(user)
            if view is None:
                raise PlaygroundError(f"{user} has no Home tab")
            return {**view, "id": "VHOME"}
        if view_id not in self.standin.modal_stacks.get(user, []):
            raise PlaygroundError(f"{user} has no open view {view_id}")
        return self.standin.views[view_id]

    @staticmethod
    def _element(blocks: list[dict[str, Any]], block: int, element: int) -> tuple[dict[str, Any], str, str]:
        try:
            found = payloads.element_at(blocks, block, element)
        except payloads.UnknownElement as exc:
            raise PlaygroundError(str(exc)) from exc
        return found, payloads.block_id_of(blocks[block], block), payloads.action_id_of(found, element)
