"""The aiohttp app: POST /slack/events into Bolt, GET /healthz."""

from __future__ import annotations

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp

from bot.deps import Deps
from bot.scheduler import Scheduler

MAX_BODY = 256 * 1024  # Slack's payloads are far smaller; anything bigger is refused with 413

DEPS: web.AppKey[Deps] = web.AppKey("deps", Deps)


def create_web_app(
    deps: Deps, bolt: AsyncApp, *, migrate: bool = True, scheduler: bool = True
) -> web.Application:
    web_app = web.Application(client_max_size=MAX_BODY)
    web_app[DEPS] = deps
    jobs = Scheduler(deps, deps.settings.scheduler_poll_seconds) if scheduler else None

    async def slack_events(request: web.Request) -> web.Response:
        bolt_request = await to_bolt_request(request)
        return await to_aiohttp_response(await bolt.async_dispatch(bolt_request))

    async def healthz(_request: web.Request) -> web.Response:
        database = await deps.db.ping()
        # 200 either way: the body says whether the database answers (load balancers read "ok").
        return web.json_response({"ok": database, "database": "up" if database else "down"})

    async def on_startup(_app: web.Application) -> None:
        if migrate:
            await deps.db.upgrade()
        for hook in deps.startup:
            await hook(deps)
        deps.outbox.start()
        if jobs is not None:
            jobs.start()

    async def on_cleanup(_app: web.Application) -> None:
        if jobs is not None:
            await jobs.stop()
        await deps.outbox.stop()
        for hook in deps.shutdown:
            await hook()
        await deps.db.dispose()

    web_app.router.add_post("/slack/events", slack_events)
    web_app.router.add_get("/healthz", healthz)
    web_app.on_startup.append(on_startup)
    web_app.on_cleanup.append(on_cleanup)
    return web_app
