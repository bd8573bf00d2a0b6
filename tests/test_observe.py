"""The request context's listener names and the log redaction, table-driven."""

from __future__ import annotations

import json
import logging

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from bot import observe
from bot.app import build_app
from bot.deps import Deps
from bot.server import MAX_BODY, AccessLog, create_web_app
from bot.standin.web_api import SlackStandIn
from tests.conftest import SIGNING_SECRET
from tests.slack.client import SlackClient

REQUESTS = "gtm_bot.requests"


@pytest.mark.parametrize(
    ("body", "listener"),
    [
        ({"command": "/gtm", "text": "owner Globex"}, "/gtm"),
        ({"type": "block_actions", "actions": [{"action_id": "approval.reject"}]}, "action:approval.reject"),
        ({"type": "view_submission", "view": {"callback_id": "ownership.claim"}}, "view:ownership.claim"),
        ({"type": "view_closed", "view": {"callback_id": "x"}}, "view:x"),
        ({"type": "shortcut", "callback_id": "gtm.owner"}, "shortcut:gtm.owner"),
        ({"type": "event_callback", "event": {"type": "app_home_opened"}}, "event:app_home_opened"),
        ({"type": "url_verification"}, "url_verification"),
        ({}, "unknown"),
    ],
)
def test_a_request_is_named_by_what_slack_asked(body: dict, listener: str) -> None:  # type: ignore[type-arg]
    assert observe.listener_of(body) == listener


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("token xoxb-123-456-abcDEF", "token [redacted]"),
        ("app xapp-1-A0-123-abc", "app [redacted]"),
        ("user xoxp-9-9-zz", "user [redacted]"),
        ("sig v0=" + "a1" * 32, "sig [redacted]"),
        ("the secret is s3cr3t-value", "the secret is [redacted]"),
        ("password hunter2pw in a url", "password [redacted] in a url"),
        ("nothing to hide: v0 and xox", "nothing to hide: v0 and xox"),
    ],
)
def test_log_lines_never_carry_tokens_secrets_or_signatures(text: str, shown: str) -> None:
    redact = observe._Redactor(["s3cr3t-value", "hunter2pw", "", "abc"])  # too short to redact: "abc"
    record = logging.LogRecord("t", logging.INFO, __file__, 1, "%s", (text,), None)
    assert observe.TextFormatter(redact).format(record).endswith(shown)
    assert json.loads(observe.JsonFormatter(redact).format(record))["message"] == shown


async def test_a_slack_request_is_one_info_line_and_a_refused_one_keeps_its_access_line(
    deps: Deps, standin: SlackStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    """Through the real server with serve's access log: an answered Slack post is logged once at INFO, by its
    handler (listener, user, outcome, HTTP status); its access line only at DEBUG. A post refused before
    any handler (too large: 413) still has its INFO access line, the only line that tells of it."""
    web_app = create_web_app(deps, build_app(deps), migrate=False, scheduler=False)
    web_app.on_cleanup.clear()  # the db fixture owns the engine
    server = TestServer(web_app, host="127.0.0.1")
    await server.start_server(access_log_class=AccessLog)  # as `gtm-bot serve` runs it
    caplog.set_level(logging.DEBUG)
    try:
        async with aiohttp.ClientSession() as session:
            slack = SlackClient(str(server.make_url("/")), SIGNING_SECRET, standin, session)
            assert (await slack.command("help", "U0AE1")).status == 200
            too_big = "x" * (MAX_BODY + 1)
            refused = await slack.post(too_big, "application/x-www-form-urlencoded")
            assert refused.status == 413
    finally:
        await server.close()
        await deps.outbox.stop()
    ours = [r for r in caplog.records if r.name == REQUESTS or "/slack/events" in r.getMessage()]
    info = [r for r in ours if r.levelno >= logging.INFO]  # (the stand-in in this process logs its own)
    [handled] = [r for r in info if r.name == REQUESTS]
    assert handled.getMessage().startswith("/gtm help from U0AE1: ok (200) in ")
    assert handled.http_status == 200 and handled.outcome == "ok"  # type: ignore[attr-defined]
    [access] = [r for r in info if r.name == "aiohttp.access"]
    assert '"POST /slack/events" 413' in access.getMessage()
    quiet = [r for r in ours if r.name == "aiohttp.access" and r.levelno == logging.DEBUG]
    assert any('"POST /slack/events" 200' in r.getMessage() for r in quiet)
