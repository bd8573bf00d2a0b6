"""build_app(settings, deps) -> AsyncApp, and nothing else."""

from __future__ import annotations

import logging

from slack_bolt import BoltResponse
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest

from bot import features
from bot.deps import Deps
from handlers import FEATURES, edge
from handlers import errors as error_handler
from handlers.router import CommandRouter
from handlers.router import register as register_router
from storage.db import lock_wait_limit

# Slack gives up on an answer after 3 s. Lock waits in the answer stop here, leaving time to say so.
LOCK_WAIT_SECONDS = 2.0


class GtmApp(AsyncApp):
    """Bolt's app, with every request's database lock waits bounded while its answer is pending (HTTP,
    Socket Mode and the playground all dispatch here). Lazy listeners run after the answer, unbounded."""

    async def async_dispatch(self, req: AsyncBoltRequest) -> BoltResponse:
        with lock_wait_limit(LOCK_WAIT_SECONDS):
            return await super().async_dispatch(req)


class _NoTokenWarning(logging.Filter):
    """Bolt warns that SLACK_BOT_TOKEN is unused when it is given a client: the client carries that token."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


def build_app(deps: Deps) -> AsyncApp:
    bolt_log = logging.getLogger("gtm_bot.bolt")
    if not any(isinstance(f, _NoTokenWarning) for f in bolt_log.filters):
        bolt_log.addFilter(_NoTokenWarning())
    app = GtmApp(
        signing_secret=deps.settings.signing_secret,
        client=deps.client,
        # Listeners run before the HTTP response: the ack can carry the answer itself, and slow work goes to
        # lazy listeners. This also skips Bolt's 10 ms ack-polling loop.
        process_before_response=True,
        # server.py checks every request's signature before Bolt parses it (and refuses with 401); Bolt's own
        # check would repeat the same HMAC on every request.
        request_verification_enabled=False,
        logger=bolt_log,
    )
    features.wire(deps)  # flows, jobs and outbox builders: before the Slack surface that uses them
    router = CommandRouter()
    edge.register(app, deps, router)  # before any listener: replays dropped, free text cleaned
    # Bolt tries listeners in registration order, building each matcher's arguments as it goes (~30 us
    # each): the slash-command listener goes first, so a command doesn't walk every action and view.
    register_router(app, router)
    for feature in FEATURES:
        feature.register(app, deps, router)
    error_handler.register(app, deps)
    return app
