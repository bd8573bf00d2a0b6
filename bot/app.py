"""build_app(settings, deps) -> AsyncApp, and nothing else."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import BoltResponse
from slack_bolt.async_app import AsyncApp
from slack_bolt.logger import get_bolt_app_logger
from slack_bolt.request.async_request import AsyncBoltRequest

from bot import features
from bot.deps import Deps
from bot.web_client import SharedSessionWebClient
from handlers import FEATURES, edge
from handlers import errors as error_handler
from handlers.router import CommandRouter
from handlers.router import register as register_router
from storage.db import lock_wait_limit

# Slack gives up on an answer after 3 s. Lock waits in the answer stop here, leaving time to say so.
LOCK_WAIT_SECONDS = 2.0


class GtmApp(AsyncApp):
    """Bolt's app, with every request's database lock waits bounded while its answer is pending (HTTP,
    Socket Mode and the playground all dispatch here). Lazy listeners run after the answer, unbounded.

    Every request's context holds the process's pooled client (bot/web_client.py), which Bolt's
    authorization and every listener then use: Bolt makes an AsyncWebClient per request, so that a
    middleware may change its token (none of ours does, and the one of Bolt's that would, for custom
    workflow steps, is off), and that was about 3 % of `serve`'s CPU under a `/glossary` burst."""

    def __init__(self, *, shared_client: SharedSessionWebClient | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._shared_client = shared_client
        self._request_logger = get_bolt_app_logger(app_name=self.name, base_logger=self._base_logger)

    async def async_dispatch(self, req: AsyncBoltRequest) -> BoltResponse:
        with lock_wait_limit(LOCK_WAIT_SECONDS):
            return await super().async_dispatch(req)

    def _init_context(self, req: AsyncBoltRequest) -> None:
        """Bolt's own (slack_bolt 1.21-1.30), with the shared client and logger instead of new ones."""
        if self._shared_client is None:
            super()._init_context(req)
            return
        req.context["logger"] = self._request_logger
        req.context["token"] = self._token
        req.context["client"] = self._shared_client
        req.context["listener_runner"] = self.listener_runner


class _NoTokenWarning(logging.Filter):
    """Bolt warns that SLACK_BOT_TOKEN is unused when it is given a client: the client carries that token."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


def build_app(deps: Deps) -> AsyncApp:
    bolt_log = logging.getLogger("gtm_bot.bolt")
    if not any(isinstance(f, _NoTokenWarning) for f in bolt_log.filters):
        bolt_log.addFilter(_NoTokenWarning())
    shared = deps.client if isinstance(deps.client, SharedSessionWebClient) else None
    app = GtmApp(
        shared_client=shared,
        signing_secret=deps.settings.signing_secret,
        client=deps.client,
        # Custom workflow steps (none here) would have it swap the request's client's token: the client is
        # the process's own (see GtmApp).
        attaching_function_token_enabled=False,
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
