"""The aiohttp app: POST /slack/events into Bolt, GET /healthz."""

from __future__ import annotations

import logging
import re

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_sdk.signature import SignatureVerifier

from bot.deps import Deps
from bot.scheduler import Scheduler

MAX_BODY = 256 * 1024  # Slack's payloads are far smaller; anything bigger is refused with 413

DEPS: web.AppKey[Deps] = web.AppKey("deps", Deps)
TIMESTAMP = re.compile(r"[0-9]{1,12}")
log = logging.getLogger("gtm_bot.server")


def is_signed(verifier: SignatureVerifier, body: bytes, timestamp: str, signature: str) -> bool:
    """Slack's signature over the raw body, within five minutes. Never raises: a timestamp that is not a
    number (which made Bolt's own check raise, and the error handler answer the body's user) or a body
    that is not UTF-8 is simply not signed."""
    if not TIMESTAMP.fullmatch(timestamp) or not signature:
        return False
    try:
        return verifier.is_valid(body=body, timestamp=timestamp, signature=signature)
    except (ValueError, UnicodeDecodeError):
        return False


def create_web_app(
    deps: Deps, bolt: AsyncApp, *, migrate: bool = True, scheduler: bool = True
) -> web.Application:
    web_app = web.Application(client_max_size=MAX_BODY)
    web_app[DEPS] = deps
    jobs = Scheduler(deps, deps.settings.scheduler_poll_seconds) if scheduler else None
    verifier = SignatureVerifier(deps.settings.signing_secret)

    async def slack_events(request: web.Request) -> web.Response:
        # Verified here, before Bolt parses anything: an unsigned request gets 401 and reaches no listener,
        # no error handler, no database and no Web API call.
        body = await request.read()
        timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
        if not is_signed(verifier, body, timestamp, request.headers.get("X-Slack-Signature", "")):
            log.warning("refused a request from %s: missing, stale or wrong signature", request.remote)
            return web.Response(status=401, text="invalid signature")
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
