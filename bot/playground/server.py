"""The playground's aiohttp app: the bot's own routes, the Slack stand-in, the page and its JSON API.

GET  /                              the page (static/index.html)
GET  /playground/api/state?user=U   people, channels, timelines (messages, DMs, ephemerals), modal, home
POST /playground/api/command        {user, channel, command, text} -> the ack (the ephemeral answer)
POST /playground/api/action         {user, surface, block, element, value, channel, ts, view_id, state}
POST /playground/api/submit         {user, view_id, state} -> errors shown inline, update, push, close
POST /playground/api/close          {user, view_id}
POST /playground/api/home           {user}: sends app_home_opened
     /playground/slack/api/METHOD   the stand-in answering the bot's Web API calls
     /playground/slack/respond/KEY  response_url posts
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from aiohttp import web
from slack_bolt.async_app import AsyncApp

from bot.crm.standin import SalesforceStandIn
from bot.deps import Deps
from bot.features.salesforce import jobs as sf_wiring
from bot.playground.world import Outcome, Playground, PlaygroundError
from bot.server import create_web_app
from storage.directory import DirectoryRepository

STATIC = Path(__file__).resolve().parent / "static"
PLAYGROUND: web.AppKey[Playground] = web.AppKey("playground", Playground)
log = logging.getLogger("gtm_bot.playground")


async def load_people(deps: Deps) -> list[dict[str, Any]]:
    async with deps.db.sessions() as session:
        people = await DirectoryRepository(session).people()
    return [
        {"id": p.slack_id, "name": p.name, "role": p.role.value, "region": p.region}
        for p in sorted(people.values(), key=lambda p: (p.role.value, p.name))
    ]


def _outcome(outcome: Outcome | None) -> web.Response:
    if outcome is None:
        return web.json_response({"status": 200, "answer": {}})
    return web.json_response({"status": outcome.status, "answer": outcome.json})


def create_playground_app(
    deps: Deps,
    bolt: AsyncApp,
    playground: Playground,
    *,
    migrate: bool = True,
    scheduler: bool = True,
    salesforce: SalesforceStandIn | None = None,
) -> web.Application:
    web_app = create_web_app(deps, bolt, migrate=migrate, scheduler=scheduler)
    web_app[PLAYGROUND] = playground
    web_app.add_subapp("/playground/slack/", playground.standin.app())
    if salesforce is not None:
        # "Salesforce: local stand-in": the bot syncs from it and writes every decision back to it.
        # Its first sync waits for the samples and the people's emails (below), not the scheduler's start.
        if sf_wiring.on_startup in deps.startup:
            deps.startup.remove(sf_wiring.on_startup)
        web_app.add_subapp("/playground/salesforce/", salesforce.app())

    async def body(request: web.Request) -> dict[str, Any]:
        try:
            data = await request.json()
        except ValueError:
            raise web.HTTPBadRequest(text="send JSON") from None
        if not isinstance(data, dict) or not str(data.get("user", "")).strip():
            raise web.HTTPBadRequest(text="say who you are: user")
        return data

    async def page(_request: web.Request) -> web.FileResponse:
        return web.FileResponse(STATIC / "index.html")

    async def state(request: web.Request) -> web.Response:
        if not playground.people:
            playground.set_people(await load_people(deps))
        answer = playground.state(request.query.get("user", ""))
        if salesforce is not None:
            answer["salesforce"] = "local stand-in"
        return web.json_response(answer)

    async def salesforce_records(request: web.Request) -> web.Response:
        """What "Salesforce" holds now: each account or opportunity with its owner's name."""
        if salesforce is None:
            raise web.HTTPNotFound(text="Salesforce is not configured")
        sobject = request.query.get("object", "Account")
        users = salesforce.records["User"]
        rows = [
            {"id": r["Id"], "name": r.get("Name"), "owner": users.get(r.get("OwnerId") or "", {}).get("Name")}
            for r in salesforce.records.get(sobject, {}).values()
        ]
        written = [{"object": o, "id": i, **b} for o, i, b in salesforce.patches]
        return web.json_response({"object": sobject, "records": rows, "written": written})

    async def command(request: web.Request) -> web.Response:
        data = await body(request)
        name = str(data.get("command", "/gtm"))
        if name not in ("/gtm", "/glossary"):
            return web.json_response({"status": 404, "answer": {"text": f"{name} is not a command here"}})
        outcome = await playground.command(
            data["user"], str(data.get("channel") or "C0GENERAL1"), name, str(data.get("text", ""))
        )
        return _outcome(outcome)

    async def action(request: web.Request) -> web.Response:
        data = await body(request)
        state = {int(k): v for k, v in (data.get("state") or {}).items()}
        try:
            outcome = await playground.click(
                data["user"],
                surface=str(data.get("surface", "")),
                block=int(data.get("block", -1)),
                element=int(data.get("element", 0)),
                value=data.get("value"),
                channel=str(data.get("channel", "")),
                ts=str(data.get("ts", "")),
                view_id=str(data.get("view_id", "")),
                state=state,
            )
        except PlaygroundError as exc:
            raise web.HTTPNotFound(text=str(exc)) from None
        return _outcome(outcome)

    async def submit(request: web.Request) -> web.Response:
        data = await body(request)
        state = {int(k): v for k, v in (data.get("state") or {}).items()}
        try:
            outcome = await playground.submit(data["user"], str(data.get("view_id", "")), state)
        except PlaygroundError as exc:
            raise web.HTTPNotFound(text=str(exc)) from None
        return _outcome(outcome)

    async def close(request: web.Request) -> web.Response:
        data = await body(request)
        try:
            outcome = await playground.close_modal(data["user"], str(data.get("view_id", "")))
        except PlaygroundError as exc:
            raise web.HTTPNotFound(text=str(exc)) from None
        return _outcome(outcome)

    async def home(request: web.Request) -> web.Response:
        data = await body(request)
        return _outcome(await playground.open_home(data["user"]))

    async def on_startup(_app: web.Application) -> None:
        playground.set_people(await load_people(deps))
        if salesforce is not None:
            # Salesforce Users find their Slack ids by email (users.lookupByEmail), as in a workspace.
            async with deps.db.sessions() as session:
                people = await DirectoryRepository(session).people()
            for person in people.values():
                member = playground.standin.users.get(person.slack_id)
                if member is not None:
                    member["profile"]["email"] = person.email
            await sf_wiring.on_startup(deps)  # the first sync pass, due now

    async def on_cleanup(_app: web.Application) -> None:
        await playground.close()

    web_app.router.add_get("/", page)
    web_app.router.add_static("/playground/static/", STATIC)
    web_app.router.add_get("/playground/api/state", state)
    web_app.router.add_post("/playground/api/command", command)
    web_app.router.add_post("/playground/api/action", action)
    web_app.router.add_post("/playground/api/submit", submit)
    web_app.router.add_post("/playground/api/close", close)
    web_app.router.add_post("/playground/api/home", home)
    web_app.router.add_get("/playground/api/salesforce", salesforce_records)
    web_app.on_startup.append(on_startup)
    web_app.on_cleanup.insert(0, on_cleanup)
    return web_app
