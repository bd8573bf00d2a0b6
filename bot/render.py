"""The one Jinja2 renderer: templates/<feature>/<name>.json.j2 -> Block Kit as Python data."""

from __future__ import annotations

import json
import re
from collections.abc import MutableMapping
from datetime import UTC, date, datetime, time
from importlib.resources import files
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateError

# Slack turns these into pings or links even without angle brackets in some clients; break them visibly.
_BARE_PINGS = re.compile(r"@(channel|here|everyone)\b", re.IGNORECASE)


def mrkdwn_escape(value: object) -> str:
    """Escape user text for mrkdwn: no `<!channel>`, `<@U1>` or `<http://x|y>` can survive."""
    text = "" if value is None else str(value)
    # `in` tests and replaces: str.translate with multi-character values takes a slow path, about 5x this
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    return _BARE_PINGS.sub("@\u200b\\1", text) if "@" in text else text  # most text has no "@" to look at


def truncate(value: object, length: int) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= length else text[: max(0, length - 1)] + "…"


def capfirst(value: object) -> str:
    """Start a sentence with a capital, whatever the rule text began with."""
    text = "" if value is None else str(value)
    return text[:1].upper() + text[1:]


_SLACK_ID = re.compile(r"[UW][A-Z0-9]{2,31}")  # whole: fullmatch (a `$` would let "U1\n" through)


def is_slack_user(key: object) -> bool:
    """A person key that is a Slack user id (people from Salesforce alone are keyed by their User id)."""
    return isinstance(key, str) and _SLACK_ID.fullmatch(key) is not None


def someone(key: str | None, name: str | None) -> str | dict[str, str]:
    """A person for a message's context (stored as JSON in the outbox): their Slack user id, which `person`
    shows as a mention, or `{"name": ...}` for someone Slack doesn't know (no name can pass for an id)."""
    if is_slack_user(key):
        return key or ""
    return {"name": name or key or "nobody"}


def person(key: object, name: object = None) -> str:
    """Someone as Slack shows them: their key as a mention when it is a Slack user id (each reader's client
    shows their current name), else their `name` (or the key) escaped. Only the key, which the bot chose,
    can become a mention: a name is never read as one. `someone`'s `{"name": ...}` is a name; any other
    text (a name in a message stored before people were keys) is shown as text unless it is a Slack id."""
    if isinstance(key, dict):  # {"user": SLACK_ID} (a card's field) or `someone`'s {"name": ...}
        if "user" in key:
            return person(key["user"], key.get("name"))
        return mrkdwn_escape(str(key.get("name") or ""))
    text = "" if key is None else str(key)
    if _SLACK_ID.fullmatch(text):
        return f"<@{text}>"
    return mrkdwn_escape(str(name) if name else text)


def slack_date(value: object, fmt: str = "{date_short_pretty} {time}", fallback: str = "") -> str:
    """A moment in Slack's date formatting, so every reader sees their own time zone; the UTC text is the
    fallback for clients that can't. Dates without a time read as the date alone."""
    if value is None or value == "":
        return ""
    given = fallback
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, date) and not isinstance(value, datetime):
        moment = datetime.combine(value, time(12), tzinfo=UTC)  # midday UTC: the same day everywhere
        fmt, fallback = "{date_short_pretty}", value.isoformat()
    else:
        assert isinstance(value, datetime)
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        fallback = moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(moment.timestamp())}^{fmt}|{given or fallback}>"


def slack_day(value: object, fmt: str = "{date_long}") -> str:
    """A calendar date (a `date` or ISO text) in Slack's date formatting, e.g. "Monday, March 2nd, 2026";
    the ISO date is the fallback for clients that can't."""
    if value is None or value == "":
        return ""
    day = value if isinstance(value, date) else date.fromisoformat(str(value))
    if isinstance(day, datetime):
        day = day.date()
    moment = datetime.combine(day, time(12), tzinfo=UTC)  # midday UTC: the same day everywhere
    return f"<!date^{int(moment.timestamp())}^{fmt}|{day.isoformat()}>"


# What a card's verbs (bot/approvals/service.py Card.actions) are on Slack: the action id its button sends
# (the listeners in handlers/) and the button's style.
BUTTONS: dict[str, tuple[str, str]] = {
    "approve": ("approval.approve", "primary"),
    "override": ("approval.approve_override", "primary"),  # approve with a written override reason
    "reject": ("approval.reject", "danger"),
    "reassign": ("escalation.reassign", "primary"),  # a named account: propose the transfer date first
    "keep": ("escalation.reason", "danger"),  # keep and disagree ask for the reason the others read
    "disagree": ("escalation.reason", "danger"),
}


# One encoder for every `tojson` in the templates: json.dumps with any argument builds a JSONEncoder per call
# (0.79 µs for a short string against 0.14 µs here), and a card renders about ten of them.
_tojson = json.JSONEncoder(ensure_ascii=False).encode


def default_templates_dir() -> Path:
    """The templates shipped as the `templates` package: the checkout's folder, or the installed wheel's."""
    return Path(str(files("templates")))


class TemplatesBroken(Exception):
    """The templates can't be loaded (not installed, or one fails to compile); the message says which."""


class _FlatGlobals(Environment):
    """Each template's globals as one plain dict, not Jinja's ChainMap over the environment's: a render
    copies them into its context, and copying the ChainMap cost ~12 µs a render where a dict costs 0.4.
    The renderer sets its globals before any template loads, so nothing is missed."""

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        return {**self.globals, **(d or {})}


class Renderer:
    def __init__(self, templates_dir: Path | None = None) -> None:
        self.templates_dir = templates_dir or default_templates_dir()
        self.env = _FlatGlobals(
            loader=FileSystemLoader(str(self.templates_dir)),
            undefined=StrictUndefined,
            autoescape=False,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
            # Compiled once per process (check() compiles them all at start): re-checking each file's
            # modification time on every render was a stat() per message. A template edit needs a restart.
            auto_reload=False,
        )
        self.env.filters["mrkdwn_escape"] = mrkdwn_escape
        self.env.filters["truncate_to"] = truncate
        self.env.filters["capfirst"] = capfirst
        self.env.filters["tojson"] = _tojson
        self.env.filters["person"] = person
        self.env.filters["slack_date"] = slack_date
        self.env.filters["slack_day"] = slack_day
        self.env.globals["BUTTONS"] = BUTTONS
        self.env.policies["json.dumps_function"] = json.dumps

    def check(self) -> int:
        """Compile every template (at start-up): a missing or broken one stops the process, not a request."""
        names = [n for n in self.env.list_templates() if n.endswith(".j2")]
        if "common/help.json.j2" not in names:
            raise TemplatesBroken(f"no templates found in {self.templates_dir} (is the package whole?)")
        for name in names:
            try:
                self.env.get_template(name)
            except TemplateError as exc:
                raise TemplatesBroken(f"template {name} does not compile: {exc}") from exc
        return len(names)

    def ready(self) -> bool:
        """Whether the help template loads (for /healthz; cached by Jinja after the first load)."""
        try:
            self.env.get_template("common/help.json.j2")
        except (TemplateError, OSError):
            return False
        return True

    def render(self, name: str, **context: Any) -> Any:
        """Render a template and parse it, so a broken template fails here, not at Slack."""
        source = self.env.get_template(name).render(**context)
        try:
            return json.loads(source)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{name} rendered invalid JSON: {exc}") from exc

    def message(self, name: str, **context: Any) -> dict[str, Any]:
        """A message template renders {"text": fallback, "blocks": [...]}."""
        rendered = self.render(name, **context)
        if not isinstance(rendered, dict) or "text" not in rendered:
            raise ValueError(f"{name} must render an object with a 'text' fallback")
        return rendered
