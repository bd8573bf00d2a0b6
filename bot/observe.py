"""The Slack request being handled (who, which listener, which approval request), for logs and metrics, and
the log formats: text, or LOG_FORMAT=json (one object per line). Both redact tokens, secrets and request
signatures, whoever logs them."""

from __future__ import annotations

import json
import logging
import re
import secrets
import sys
from collections.abc import Iterable
from contextvars import ContextVar, Token
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Slack tokens (bot, user, app, refresh, config) and v0 request signatures, wherever they appear.
_SECRET_SHAPES = re.compile(r"\bxox[a-z]-[A-Za-z0-9-]+|\bxapp-[A-Za-z0-9-]+|\bv0=[0-9a-f]{16,}")
REDACTED = "[redacted]"


@dataclass
class RequestContext:
    request_id: str = field(default_factory=lambda: secrets.token_hex(8))  # uuid4's hex cost 3x more
    listener: str = "unknown"
    user: str | None = None
    approval_request: int | None = None


_CURRENT: ContextVar[RequestContext | None] = ContextVar("gtm_request", default=None)


def current() -> RequestContext | None:
    return _CURRENT.get()


def begin(body: dict[str, Any]) -> tuple[RequestContext, Token[RequestContext | None]]:
    """A context for one Slack request; lazy work spawned from it shares it (contextvars are copied)."""
    context = RequestContext(listener=listener_of(body), user=user_of(body))
    return context, _CURRENT.set(context)


def end(token: Token[RequestContext | None]) -> None:
    _CURRENT.reset(token)


def note(*, listener: str | None = None, approval_request: int | None = None) -> None:
    """What only a listener knows (the subcommand, the approval request), for the request's log lines."""
    context = _CURRENT.get()
    if context is None:
        return
    if listener is not None:
        context.listener = listener
    if approval_request is not None:
        context.approval_request = approval_request


def listener_of(body: dict[str, Any]) -> str:
    """A bounded name for what Slack asked: the command, action_id, view callback_id or event type."""
    if body.get("command"):
        return str(body["command"])  # the router refines it with the subcommand
    kind = body.get("type")
    if kind == "block_actions":
        actions = body.get("actions") or [{}]
        return f"action:{actions[0].get('action_id', '?')}"
    if kind in ("view_submission", "view_closed"):
        return f"view:{(body.get('view') or {}).get('callback_id', '?')}"
    if kind in ("shortcut", "message_action"):
        return f"shortcut:{body.get('callback_id', '?')}"
    if kind == "event_callback":
        return f"event:{(body.get('event') or {}).get('type', '?')}"
    return str(kind or "unknown")


def user_of(body: dict[str, Any]) -> str | None:
    user = body.get("user_id") or (body.get("user") or {}).get("id") or (body.get("event") or {}).get("user")
    return str(user) if user else None


class _Redactor:
    def __init__(self, secrets: Iterable[str]) -> None:
        self.secrets = sorted({s for s in secrets if s and len(s) >= 6}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return _SECRET_SHAPES.sub(REDACTED, text)


class TextFormatter(logging.Formatter):
    def __init__(self, redact: _Redactor) -> None:
        super().__init__(TEXT_FORMAT)
        self.redact = redact

    def format(self, record: logging.LogRecord) -> str:
        return self.redact(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the request's context, and the extras."""

    EXTRAS = ("duration_ms", "outcome", "http_status")

    def __init__(self, redact: _Redactor) -> None:
        super().__init__()
        self.redact = redact

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        context = getattr(record, "gtm_request", None)
        if isinstance(context, RequestContext):
            entry["request_id"] = context.request_id
            entry["listener"] = context.listener
            entry["user"] = context.user
            if context.approval_request is not None:
                entry["approval_request_id"] = context.approval_request
        for name in self.EXTRAS:
            if hasattr(record, name):
                entry[name] = getattr(record, name)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return self.redact(json.dumps(entry, ensure_ascii=False, default=str))


class _WithContext(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "gtm_request"):
            record.gtm_request = _CURRENT.get()
        return True


def configure_logging(level: str, log_format: str, secrets: Iterable[str] = ()) -> None:
    """The root handler on stderr, in the chosen format; every record carries the request it belongs to."""
    redact = _Redactor(secrets)
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_WithContext())
    handler.setFormatter(JsonFormatter(redact) if log_format == "json" else TextFormatter(redact))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())


def announce(message: str) -> None:
    """A line the operator must see whatever LOG_LEVEL is ("listening on ..."), in the log's format."""
    handlers = logging.getLogger().handlers
    if not handlers:
        print(message, file=sys.stderr)
        return
    record = logging.LogRecord("gtm_bot", logging.INFO, __file__, 0, message, None, None)
    for handler in handlers:
        handler.handle(record)
