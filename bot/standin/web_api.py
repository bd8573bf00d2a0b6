"""A local stand-in for Slack's Web API: records every call and answers like Slack.

The tests point the bot's SLACK_API_URL at it, and the playground serves it beside the bot.
It also receives `response_url` posts. Faults (500, 429 with Retry-After, hangs) can be queued per method.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

BOT_USER_ID = "UBOT000001"
BOT_ID = "BBOT000001"
TEAM_ID = "T0GTMBOT1"


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    at: float = field(default_factory=time.monotonic)


@dataclass
class Fault:
    status: int = 500
    retry_after: int | None = None
    delay: float = 0.0
    error: str | None = None  # ok:false with this error, status 200
    # Do the call as Slack would, then answer only after `delay` (past the client's time-out, say).
    slow: bool = False


class SlackStandIn:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.users: dict[str, dict[str, Any]] = {}
        self.messages: dict[str, list[dict[str, Any]]] = defaultdict(list)  # channel -> messages
        self.ephemeral: list[dict[str, Any]] = []
        self.responses: list[dict[str, Any]] = []  # response_url posts
        self.peers: set[Any] = set()  # the client ends of the TCP connections calls and posts came over
        self.views: dict[str, dict[str, Any]] = {}
        self.home: dict[str, dict[str, Any]] = {}
        # The playground's additions: who holds which trigger_id, each user's modal stack, and hooks that
        # hear every recorded call. The tests leave them empty, and nothing else changes for them.
        self.triggers: dict[str, str] = {}  # trigger_id -> user id
        self.modal_stacks: dict[str, list[str]] = {}  # user id -> view ids, top last
        self.hooks: list[Callable[[Call], None]] = []
        self.faults: dict[str, list[Fault]] = defaultdict(list)
        self.hung_channels: dict[str, float] = {}  # channel (as the caller names it) -> seconds to hang
        self.hanging = 0  # calls hanging on a hung channel right now
        self.latency = 0.0  # seconds every Web API call takes (tests that need work to overlap)
        self._ts = itertools.count(1)
        self._view_ids = itertools.count(1)
        self._changed = asyncio.Condition()
        self.base_url = ""

    # ---- test helpers -------------------------------------------------------------------------------
    def fail_next(self, method: str, fault: Fault | None = None, times: int = 1) -> None:
        self.faults[method].extend([fault or Fault()] * times)

    def add_user(self, user_id: str, name: str, email: str) -> None:
        """A workspace member that users.info and users.lookupByEmail find."""
        self.users[user_id] = {"id": user_id, "name": name, "real_name": name, "profile": {"email": email}}

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    async def wait_for(
        self,
        method: str,
        predicate: Callable[[Call], bool] = lambda _c: True,
        count: int = 1,
        within: float = 5.0,
    ) -> list[Call]:
        """Wait until `count` recorded calls to `method` match; the bot's listeners run after the ack."""

        def matching() -> list[Call]:
            return [c for c in self.calls_to(method) if predicate(c)]

        await self.wait_until(lambda: len(matching()) >= count, within)
        return matching()

    async def wait_until(self, done: Callable[[], bool], within: float = 5.0) -> None:
        """Wait until `done()` holds over what the stand-in has recorded (calls, messages, views...)."""
        async with asyncio.timeout(within), self._changed:
            await self._changed.wait_for(done)

    def response_url(self, key: str = "r") -> str:
        return f"{self.base_url}respond/{key}"

    def reset(self) -> None:
        self.calls.clear()
        self.messages.clear()
        self.ephemeral.clear()
        self.responses.clear()
        self.views.clear()
        self.home.clear()
        self.triggers.clear()
        self.modal_stacks.clear()
        self.faults.clear()
        self.hung_channels.clear()

    # ---- the HTTP surface ---------------------------------------------------------------------------
    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/api/{method}", self._api)
        app.router.add_get("/api/{method}", self._api)
        app.router.add_post("/respond/{key}", self._respond)
        return app

    async def _record(self, call: Call) -> None:
        async with self._changed:
            self.calls.append(call)
            for hook in self.hooks:
                hook(call)
            self._changed.notify_all()

    async def _hang(self, seconds: float) -> None:
        async with self._changed:
            self.hanging += 1
            self._changed.notify_all()
        try:
            await asyncio.sleep(seconds)
        finally:
            async with self._changed:
                self.hanging -= 1
                self._changed.notify_all()

    async def _args(self, request: web.Request) -> dict[str, Any]:
        args: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            if request.content_type == "application/json":
                args.update(await request.json())
            else:
                args.update(dict(await request.post()))
        for key in ("blocks", "view", "attachments", "users", "unfurls"):
            if isinstance(args.get(key), str) and args[key][:1] in "[{":
                args[key] = json.loads(args[key])
        return args

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = await self._args(request)
        self._peer(request)
        hang = self.hung_channels.get(str(args.get("channel", "")))
        if hang:
            await self._hang(hang)
        if self.faults.get(method) and self.faults[method][0].slow:
            fault = self.faults[method].pop(0)
            answer = self._answer(method, args, request.headers.get("Authorization", ""))
            await self._record(Call(method, {**args, "_slow": fault.delay}))
            await asyncio.sleep(fault.delay)
            return web.json_response(answer)
        if self.faults.get(method):
            fault = self.faults[method].pop(0)
            await self._record(Call(method, {**args, "_fault": fault.status}))
            if fault.delay:
                await asyncio.sleep(fault.delay)
            if fault.error:
                return web.json_response({"ok": False, "error": fault.error})
            headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
            return web.json_response({"ok": False, "error": "fault"}, status=fault.status, headers=headers)
        if self.latency:
            await asyncio.sleep(self.latency)
        answer = self._answer(method, args, request.headers.get("Authorization", ""))
        await self._record(Call(method, args))
        return web.json_response(answer)

    async def _respond(self, request: web.Request) -> web.Response:
        body = await request.json()
        entry = {"key": request.match_info["key"], **body}
        self.responses.append(entry)
        self._peer(request)
        await self._record(Call("response_url", entry))
        return web.Response(text="ok")

    def _peer(self, request: web.Request) -> None:
        if request.transport is not None:
            self.peers.add(request.transport.get_extra_info("peername"))

    def _next_ts(self) -> str:
        return f"{int(time.time())}.{next(self._ts):06d}"

    def next_ts(self) -> str:
        """A message timestamp after every one handed out so far (the playground's messages use it too)."""
        return self._next_ts()

    def _answer(self, method: str, args: dict[str, Any], auth: str) -> dict[str, Any]:
        if not auth.startswith("Bearer "):
            return {"ok": False, "error": "not_authed"}
        match method:
            case "auth.test":
                return {
                    "ok": True,
                    "url": "https://gtm.example/",
                    "team": "GTM",
                    "user": "gtm-bot",
                    "team_id": TEAM_ID,
                    "user_id": BOT_USER_ID,
                    "bot_id": BOT_ID,
                }
            case "chat.postMessage":
                channel = str(args.get("channel", ""))
                if not channel:
                    return {"ok": False, "error": "channel_not_found"}
                if channel.startswith("U"):
                    channel = "D" + channel[1:]
                message = {
                    "ts": self._next_ts(),
                    "text": args.get("text", ""),
                    "blocks": args.get("blocks", []),
                    "user": BOT_USER_ID,
                    "bot_id": BOT_ID,
                    "thread_ts": args.get("thread_ts"),
                }
                if isinstance(args.get("metadata"), dict):
                    message["metadata"] = args["metadata"]
                self.messages[channel].append(message)
                return {"ok": True, "channel": channel, "ts": message["ts"], "message": message}
            case "chat.update":
                channel, ts = str(args.get("channel", "")), str(args.get("ts", ""))
                for message in self.messages.get(channel, []):
                    if message["ts"] == ts:
                        message.update(text=args.get("text", ""), blocks=args.get("blocks", []))
                        return {"ok": True, "channel": channel, "ts": ts}
                return {"ok": False, "error": "message_not_found"}
            case "chat.delete":
                channel, ts = str(args.get("channel", "")), str(args.get("ts", ""))
                kept = [m for m in self.messages.get(channel, []) if m["ts"] != ts]
                if len(kept) == len(self.messages.get(channel, [])):
                    return {"ok": False, "error": "message_not_found"}
                self.messages[channel] = kept
                return {"ok": True, "channel": channel, "ts": ts}
            case "chat.postEphemeral":
                entry = {
                    "channel": args.get("channel"),
                    "user": args.get("user"),
                    "text": args.get("text", ""),
                    "blocks": args.get("blocks", []),
                    "ts": self._next_ts(),
                }
                self.ephemeral.append(entry)
                return {"ok": True, "message_ts": entry["ts"]}
            case "views.open" | "views.push":
                view_id = f"V{next(self._view_ids):08d}"
                view = {**args.get("view", {}), "id": view_id}
                self.views[view_id] = view
                user = self.triggers.get(str(args.get("trigger_id", "")))
                if user is not None:
                    stack = self.modal_stacks.get(user, []) if method == "views.push" else []
                    self.modal_stacks[user] = [*stack, view_id][-3:]  # Slack keeps at most 3
                return {"ok": True, "view": view}
            case "views.update":
                view_id = str(args.get("view_id", ""))
                if not view_id and args.get("external_id"):
                    found = [k for k, v in self.views.items() if v.get("external_id") == args["external_id"]]
                    view_id = found[0] if found else ""
                if view_id not in self.views:
                    return {"ok": False, "error": "not_found"}
                self.views[view_id] = {**args.get("view", {}), "id": view_id}
                return {"ok": True, "view": self.views[view_id]}
            case "views.publish":
                self.home[str(args.get("user_id"))] = args.get("view", {})
                return {"ok": True, "view": {**args.get("view", {}), "id": "VHOME"}}
            case "conversations.history":
                # Newest first, after `oldest`; metadata only with include_all_metadata, as Slack does.
                channel = str(args.get("channel", ""))
                if not channel.startswith(("C", "D", "G")):
                    return {"ok": False, "error": "channel_not_found"}
                oldest = float(args.get("oldest") or 0)
                limit = int(args.get("limit") or 100)
                with_metadata = str(args.get("include_all_metadata", "")).lower() in ("1", "true")
                found = [m for m in self.messages.get(channel, []) if float(m["ts"]) > oldest]
                found = sorted(found, key=lambda m: float(m["ts"]), reverse=True)[:limit]
                messages = [
                    {"type": "message", **{k: v for k, v in m.items() if with_metadata or k != "metadata"}}
                    for m in found
                ]
                return {"ok": True, "messages": messages, "has_more": False}
            case "conversations.open":
                users = str(args.get("users", "")).split(",")
                return {"ok": True, "channel": {"id": "D" + users[0][1:]}}
            case "chat.unfurl":
                if not args.get("channel") or not args.get("ts") or not isinstance(args.get("unfurls"), dict):
                    return {"ok": False, "error": "invalid_arguments"}
                return {"ok": True}
            case "users.lookupByEmail":
                email = str(args.get("email", "")).strip().lower()
                for profile in self.users.values():
                    if str(profile.get("profile", {}).get("email", "")).lower() == email:
                        return {"ok": True, "user": profile}
                return {"ok": False, "error": "users_not_found"}
            case "users.info":
                user = str(args.get("user", ""))
                profile = self.users.get(user)
                if profile is None:
                    return {"ok": False, "error": "user_not_found"}
                return {"ok": True, "user": profile}
        return {"ok": False, "error": "unknown_method"}
