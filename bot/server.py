"""The aiohttp app: POST /slack/events into Bolt, GET /healthz, GET /metrics."""

from __future__ import annotations

import logging
import re
import time

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_sdk.signature import SignatureVerifier

from bot import observe
from bot.deps import Deps
from bot.metrics import CONTENT_TYPE
from bot.scheduler import Scheduler
from bot.serving import freeze_startup_heap

MAX_BODY = 256 * 1024  # Slack's payloads are far smaller; anything bigger is refused with 413

DEPS: web.AppKey[Deps] = web.AppKey("deps", Deps)
TIMESTAMP = re.compile(r"[0-9]{1,12}")
log = logging.getLogger("gtm_bot.server")
_OUTCOMES = {200: "ok", 401: "unauthorized", 404: "unhandled", 413: "too_large"}
requests_log = logging.getLogger("gtm_bot.requests")
# Logged at DEBUG, not INFO, when they succeed: polled every second by the playground page or by monitoring,
# or (Slack's posts) logged already by their handler, with the listener, user and outcome (`requests_log`).
QUIET_PATHS = frozenset({"/playground/api/state", "/healthz", "/metrics", "/slack/events"})


class AccessLog(AbstractAccessLogger):
    """One line per HTTP request; the polled paths and Slack's answered posts only at DEBUG (a second INFO
    line for every Slack request cost about 20 µs of its CPU, and said nothing its handler's line doesn't)."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        quiet = request.path in QUIET_PATHS and response.status < 400
        level = logging.DEBUG if quiet else logging.INFO
        if self.logger.isEnabledFor(level):
            self.logger.log(
                level,
                '%s "%s %s" %s %.1f ms',
                request.remote,
                request.method,
                request.path,
                response.status,
                time * 1000,
                extra={"http_status": response.status, "duration_ms": round(time * 1000, 1)},
            )


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
    deps: Deps, bolt: AsyncApp, *, migrate: bool = True, scheduler: bool = True, long_running: bool = False
) -> web.Application:
    """The aiohttp app Slack posts to. `long_running` (`gtm-bot serve`): once started, the database pool's
    connections are opened (storage/db.py open_pool) and what start-up built is frozen out of the garbage
    collector's way (bot/serving.py freeze_startup_heap)."""
    web_app = web.Application(client_max_size=MAX_BODY)
    web_app[DEPS] = deps
    jobs = Scheduler(deps, deps.settings.scheduler_poll_seconds) if scheduler else None
    verifier = SignatureVerifier(deps.settings.signing_secret)

    async def slack_events(request: web.Request) -> web.Response:
        started = time.perf_counter()
        # Verified here, before Bolt parses anything: an unsigned request gets 401 and reaches no listener,
        # no error handler, no database and no Web API call.
        body = await request.read()
        timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
        if not is_signed(verifier, body, timestamp, request.headers.get("X-Slack-Signature", "")):
            log.warning("refused a request from %s: missing, stale or wrong signature", request.remote)
            # Nothing in an unsigned body is trusted, not even to name the listener.
            deps.metrics.observe_request("unsigned", "unauthorized", time.perf_counter() - started)
            return web.Response(status=401, text="invalid signature")
        bolt_request = await to_bolt_request(request)
        context, token = observe.begin(bolt_request.body)
        outcome, status = "error", 500
        try:
            with deps.outbox.answering():  # meanwhile the outbox sends cards only (DMs follow a burst)
                bolt_response = await bolt.async_dispatch(bolt_request)
            status = bolt_response.status
            outcome = _OUTCOMES.get(status, "error" if status >= 500 else "refused")
            return await to_aiohttp_response(bolt_response)
        finally:
            seconds = time.perf_counter() - started
            deps.metrics.observe_request(context.listener, outcome, seconds)
            requests_log.info(
                "%s from %s: %s (%d) in %.1f ms",
                context.listener,
                context.user,
                outcome,
                status,
                seconds * 1000,
                extra={"duration_ms": round(seconds * 1000, 1), "outcome": outcome, "http_status": status},
            )
            observe.end(token)

    async def metrics(_request: web.Request) -> web.Response:
        body = await deps.metrics.exposition(deps.db, deps.clock())
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})

    async def healthz(_request: web.Request) -> web.Response:
        database = await deps.db.ping()
        templates = deps.renderer.ready()
        # 200 either way: the body says whether the database answers (load balancers read "ok").
        return web.json_response(
            {
                "ok": database and templates,
                "database": "up" if database else "down",
                "templates": "ok" if templates else "missing",
            }
        )

    async def on_startup(_app: web.Application) -> None:
        if migrate:
            await deps.db.upgrade()
        for hook in deps.startup:
            await hook(deps)
        if long_running:
            await deps.db.open_pool()
            freeze_startup_heap()
        deps.outbox.start()
        if jobs is not None:
            jobs.start()

    async def on_cleanup(_app: web.Application) -> None:
        if jobs is not None:
            await jobs.stop()
        await deps.outbox.stop()
        await deps.settle()
        for hook in deps.shutdown:
            await hook()
        await deps.db.dispose()

    web_app.router.add_post("/slack/events", slack_events)
    web_app.router.add_get("/healthz", healthz)
    web_app.router.add_get("/metrics", metrics)
    web_app.on_startup.append(on_startup)
    web_app.on_cleanup.append(on_cleanup)
    return web_app
