"""The Slack Web API client the outbox and features share, over one pooled HTTP session.

slack_sdk's AsyncWebClient without a `session` opens a new aiohttp ClientSession (and TCP connection) for
every call and closes it after: the outbox's profile showed a connect, accept and close per Slack call.
This client makes one ClientSession on its first call, inside the running event loop (a session is bound
to the loop it was made in, and Deps is built before serve's loop runs), and reuses its connections.

The session is kept out of the client's public `session` attribute on purpose: Bolt copies that attribute
into the client it makes per request, and deep-copies a request's context (with that client) for lazy
listeners, which a live ClientSession does not survive. Bolt's per-request clients (acks' views.open,
App Home on opening) keep slack_sdk's session per call; the outbox, which makes most calls, pools.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_internal_utils import _request_with_session


class SharedSessionWebClient(AsyncWebClient):
    """AsyncWebClient whose calls share one ClientSession per event loop; `close()` when the process stops."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._shared: aiohttp.ClientSession | None = None
        self.sessions_opened = 0  # how many ClientSessions this client made (tests: one, not one per call)

    async def _request(self, *, http_verb: str, api_url: str, req_args: dict[str, Any]) -> dict[str, Any]:
        # A shared session's own time-out is fixed when it is made; `self.timeout` may change (tests).
        req_args.setdefault("timeout", aiohttp.ClientTimeout(total=self.timeout))
        return await _request_with_session(
            current_session=self._session(),
            timeout=self.timeout,
            logger=self._logger,
            http_verb=http_verb,
            api_url=api_url,
            req_args=req_args,
            retry_handlers=self.retry_handlers,
        )

    def _session(self) -> aiohttp.ClientSession:
        """The running loop's shared session, made now if there is none (or it was closed)."""
        session = self._shared
        if session is None or session.closed or session._loop is not asyncio.get_running_loop():
            session = self._shared = aiohttp.ClientSession(trust_env=self.trust_env_in_session)
            self.sessions_opened += 1
        return session

    async def close(self) -> None:
        """Close the pooled connections (serve's shutdown, the end of a test or a CLI command)."""
        session, self._shared = self._shared, None
        if session is not None and not session.closed:
            await session.close()
