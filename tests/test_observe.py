"""The request context's listener names and the log redaction, table-driven."""

from __future__ import annotations

import json
import logging

import pytest

from bot import observe


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
