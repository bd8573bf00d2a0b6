"""The Slack Web API client the outbox and features share, over one pooled HTTP session.

slack_sdk's AsyncWebClient without a `session` opens a new aiohttp ClientSession (and TCP connection) for
every call and closes it after: the outbox's profile showed a connect, accept and close per Slack call.
This client makes one ClientSession on its first call, inside the running event loop (a session is bound
to the loop it was made in, and Deps is built before serve's loop runs), and reuses its connections.

The session is kept out of the client's public `session` attribute on purpose: Bolt copies that attribute
into the client it makes per request, and deep-copies a request's context (with that client) for lazy
listeners, which a live ClientSession does not survive. Instead handlers/edge.py hands every listener this
client itself, in place of Bolt's per-request one (which opens a ClientSession, a TCP and TLS connection,
for each call: a modal's views.open paid a handshake inside the trigger's 3 s); a deep copy of it is itself.

A plain JSON POST (every outbox call but the history look-up) skips slack_sdk's generic request building
(headers, URL and arguments rebuilt per call, retry-handler bookkeeping): the outbox profile showed it cost
about as much as aiohttp's own request. Anything else, and a connection that broke before Slack answered,
goes through slack_sdk's path (its retry handlers decide whether to try again).

Bolt's `respond` (a reply to a command's or a click's `response_url`) opens a ClientSession per reply, and
closes it after: a TCP and, against Slack, a TLS connection made for one POST. `PooledRespond` sends the same
message over this client's pooled session (handlers/edge.py puts it in every request's context).
"""

from __future__ import annotations

import asyncio
import json as jsonlib
from typing import Any

import aiohttp
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_bolt.context.respond.internals import _build_message
from slack_sdk.http_retry.builtin_async_handlers import AsyncConnectionErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_internal_utils import _request_with_session
from slack_sdk.web.async_slack_response import AsyncSlackResponse
from slack_sdk.web.internal_utils import _get_url, get_user_agent
from slack_sdk.webhook.async_client import AsyncWebhookClient, WebhookResponse


class SharedSessionWebClient(AsyncWebClient):
    """AsyncWebClient whose calls share one ClientSession per event loop; `close()` when the process stops."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._shared: aiohttp.ClientSession | None = None
        self.sessions_opened = 0  # how many ClientSessions this client made (tests: one, not one per call)
        self._urls: dict[str, str] = {}
        self._json_headers: tuple[str | None, dict[str, str]] = (None, {})  # for this token

    def __deepcopy__(self, memo: dict[int, Any]) -> SharedSessionWebClient:
        """Shared, never copied: Bolt deep-copies a request's context (holding this) for lazy listeners."""
        return self

    async def api_call(  # type: ignore[override]
        self, api_method: str, *, http_verb: str = "POST", json: dict[str, Any] | None = None, **kwargs: Any
    ) -> AsyncSlackResponse:
        """slack_sdk's api_call; a plain JSON POST takes the short path (`_post_json`)."""
        if self._plain(http_verb, json, kwargs):
            return await self._post_json(api_method, json)  # type: ignore[arg-type]
        return await super().api_call(api_method, http_verb=http_verb, json=json, **kwargs)

    def _plain(self, http_verb: str, json: dict[str, Any] | None, other: dict[str, Any]) -> bool:
        """A JSON POST with nothing else (no files, form data, URL parameters, extra headers, a token of its
        own, default parameters) and no retry handler but slack_sdk's default one for broken connections."""
        return (
            http_verb == "POST"
            and json is not None
            and "token" not in json
            and all(v is None for v in other.values())
            and not self.default_params
            and all(isinstance(h, AsyncConnectionErrorRetryHandler) for h in self.retry_handlers)
        )

    async def _post_json(self, api_method: str, payload: dict[str, Any]) -> AsyncSlackResponse:
        url = self._urls.get(api_method)
        if url is None:
            url = self._urls[api_method] = _get_url(self.base_url, api_method)
        headers = self._headers()
        try:
            async with self._session().post(
                url,
                json=payload,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=self.timeout),
                ssl=self.ssl,
                proxy=self.proxy,
            ) as res:
                data: dict[str, Any] = {}
                if res.content_type == "application/json":
                    data = jsonlib.loads(await res.read())
                status, res_headers = res.status, res.headers
        except (aiohttp.ServerConnectionError, aiohttp.ClientOSError):  # no answer: slack_sdk's retries
            return await super().api_call(api_method, json=payload)
        return AsyncSlackResponse(
            client=self,
            http_verb="POST",
            api_url=url,
            req_args={"headers": headers, "json": payload},
            data=data,
            headers=res_headers,  # type: ignore[arg-type]
            status_code=status,
        ).validate()

    def _headers(self) -> dict[str, str]:
        """The headers of a JSON call as slack_sdk sends them, built once per token."""
        token, headers = self._json_headers
        if token != self.token or not headers:
            headers = {"Content-Type": "application/json;charset=utf-8", "User-Agent": get_user_agent()}
            if self.token:
                headers["Authorization"] = f"Bearer {self.token}"
            headers.update(self.headers)
            self._json_headers = (self.token, headers)
        return headers

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


class PooledRespond(AsyncRespond):
    """Bolt's `respond`, sending over `client`'s pooled session instead of a ClientSession per reply."""

    timeout = 30.0  # seconds, slack_sdk's webhook default: Bolt's own session per reply ends there

    def __init__(self, client: SharedSessionWebClient, response_url: str | None) -> None:
        super().__init__(response_url=response_url, proxy=client.proxy, ssl=client.ssl)
        self.client = client

    def __deepcopy__(self, memo: dict[int, Any]) -> PooledRespond:
        """Bolt deep-copies a request's context for its lazy listeners: they reply over the same pool."""
        return self

    async def __call__(self, text: str | dict[str, Any] = "", **fields: Any) -> WebhookResponse:  # type: ignore[override]
        if self.response_url is None:
            raise ValueError("respond is unsupported here as there is no response_url")
        message = _build_message(**text) if isinstance(text, dict) else _build_message(text=text, **fields)
        hook = AsyncWebhookClient(
            url=self.response_url, proxy=self.proxy, ssl=self.ssl, session=self.client._session()
        )
        async with asyncio.timeout(self.timeout):  # the shared session's own time-out is far longer
            return await hook.send_dict(message)
