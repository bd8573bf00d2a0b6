"""`gtm-bot`: serve, socket, db upgrade, import org|accounts|opportunities FILE."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from pathlib import Path
from typing import TextIO

from bot.settings import DEFAULT_DATABASE_URL, Settings, SettingsError

PLAYGROUND_DATABASE_URL = "sqlite+aiosqlite:///gtm-bot-playground.db"


def _database_url() -> str:
    return os.environ.get("DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL


def _fail(message: str) -> int:
    print(f"gtm-bot: error: {message}", file=sys.stderr)
    return 2


def _local_mode() -> bool:
    """No Slack tokens at all: run the playground. One of the two alone is a mistake, reported as before."""
    return not any(os.environ.get(name, "").strip() for name in ("SLACK_SIGNING_SECRET", "SLACK_BOT_TOKEN"))


def _serve(
    host: str | None, port: int, playground_public: bool = False, salesforce_standin: bool = False
) -> int:
    from aiohttp import web

    from bot.app import build_app
    from bot.deps import Deps
    from bot.server import create_web_app

    if _local_mode():
        return _serve_playground(host or "127.0.0.1", port, playground_public, salesforce_standin)
    if playground_public:
        return _fail("--playground-public is for the playground only (no Slack tokens set)")
    settings = Settings.from_env()
    deps = Deps.build(settings)
    web.run_app(create_web_app(deps, build_app(deps)), host=host or "0.0.0.0", port=port, print=None)
    return 0


def _serve_playground(host: str, port: int, public: bool, salesforce_standin: bool = False) -> int:
    import secrets

    from aiohttp import web

    from bot.app import build_app
    from bot.deps import Deps
    from bot.playground.guard import PlaygroundRefused, claim_database, is_loopback
    from bot.playground.server import create_playground_app
    from bot.playground.world import Playground
    from bot.standin.web_api import SlackStandIn

    # In the playground anyone who reaches the page may act as anyone: loopback only, unless asked for.
    if not is_loopback(host) and not public:
        return _fail(
            f"the playground lets anyone act as anyone, so it listens on loopback only; --host {host} "
            "needs --playground-public (or set the Slack tokens to serve Slack)"
        )
    if not is_loopback(host):
        print(
            f"gtm-bot: warning: the playground listens on {host}: whoever reaches it may act as anyone",
            file=sys.stderr,
        )
    database_url = os.environ.get("DATABASE_URL", "").strip() or PLAYGROUND_DATABASE_URL
    try:
        asyncio.run(claim_database(database_url))
    except PlaygroundRefused as exc:
        return _fail(str(exc))
    reach = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    origin = f"http://{reach}:{port}"
    local = {
        # A playground never talks to a real Salesforce org: only to the stand-in, when asked for.
        **{k: v for k, v in os.environ.items() if not k.startswith("SALESFORCE_")},
        "SLACK_SIGNING_SECRET": secrets.token_hex(16),  # new every start: only this process signs requests
        "SLACK_BOT_TOKEN": "xoxb-playground",
        "SLACK_API_URL": f"{origin}/playground/slack/api/",
        "DATABASE_URL": database_url,
    }
    salesforce = None
    if salesforce_standin:
        from bot.crm.standin import SalesforceStandIn
        from bot.playground.guard import SAMPLES

        salesforce = SalesforceStandIn()
        salesforce.base_url = f"{origin}/playground/salesforce/"
        salesforce.seed_samples(SAMPLES, keep_ids=True)
        local.update(
            SALESFORCE_LOGIN_URL=salesforce.base_url,
            SALESFORCE_CLIENT_ID=salesforce.client_id,
            SALESFORCE_CLIENT_SECRET=salesforce.client_secret or "",
        )
    settings = Settings.from_env(local)
    deps = Deps.build(settings)
    playground = Playground(SlackStandIn(), settings.signing_secret)
    playground.bind(origin)
    print(f"gtm-bot playground (no Slack tokens set): open {origin}/", file=sys.stderr)
    if salesforce is not None:
        print(
            f"Salesforce: local stand-in; what it holds: {origin}/playground/api/salesforce", file=sys.stderr
        )
    app = create_playground_app(deps, build_app(deps), playground, salesforce=salesforce)
    web.run_app(app, host=host, port=port, print=None)
    return 0


async def _socket() -> None:
    from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler

    from bot.app import build_app
    from bot.deps import Deps
    from bot.scheduler import Scheduler

    settings = Settings.from_env(need_app_token=True)
    deps = Deps.build(settings)
    bolt = build_app(deps)  # features register their flows and jobs here
    await deps.db.upgrade()
    for hook in deps.startup:
        await hook(deps)
    scheduler = Scheduler(deps, settings.scheduler_poll_seconds)
    deps.outbox.start()
    scheduler.start()
    try:
        await AsyncSocketModeHandler(bolt, settings.app_token).start_async()
    finally:
        await scheduler.stop()
        await deps.outbox.stop()
        for hook in deps.shutdown:
            await hook()
        await deps.db.dispose()


class ProgressBar:
    """`writing [#########.........]  45,000/100,000` on stderr, redrawn in place (a line per phase when
    stderr is not a terminal, so logs stay readable)."""

    WIDTH = 30

    def __init__(self, label: str, stream: TextIO = sys.stderr) -> None:
        self.label, self.stream = label, stream
        self.tty = stream.isatty()
        self.phase, self.total, self.done, self.shown = "", 0, 0, -1

    def start(self, phase: str, total: int) -> None:
        self.end()
        self.phase, self.total, self.done, self.shown = phase, total, 0, -1
        self._draw(force=True)

    def advance(self, done: int) -> None:
        self.done += done
        self._draw()

    def _draw(self, force: bool = False) -> None:
        if self.total:
            filled = self.WIDTH * min(self.done, self.total) // self.total
            step = 100 * self.done // self.total
            if not force and step == self.shown or (not self.tty and self.done < self.total and not force):
                return
            self.shown = step
            bar = "#" * filled + "." * (self.WIDTH - filled)
            line = f"{self.label} {self.phase:<12}[{bar}] {self.done:>9,}/{self.total:,}"
        else:
            line = f"{self.label} {self.phase}..."
        self.stream.write(("\r" + line) if self.tty else line + "\n")
        self.stream.flush()

    def end(self) -> None:
        if self.phase and self.tty:
            self.stream.write("\n")
            self.stream.flush()
        self.phase = ""


async def _import(kind: str, path: Path) -> int:
    from bot.importer import import_file
    from storage.db import Database

    db = Database(_database_url())
    bar = ProgressBar(f"import {kind}")
    try:
        await db.upgrade()
        count = await import_file(db, kind, path, bar)
    finally:
        bar.end()
        await db.dispose()
    print(f"imported {count} {kind} rows from {path}", file=sys.stderr)
    return 0


class SyncReporter(ProgressBar):
    """The progress bar, plus one stderr line per skipped record: `Account 001...: reason`."""

    def skipped(self, sobject: str, record_id: str, reason: str) -> None:
        if self.phase and self.tty:
            self.stream.write("\n")
        self.stream.write(f"{sobject} {record_id}: {reason}\n")
        self.stream.flush()


async def _sync_salesforce(full: bool) -> int:
    from datetime import UTC, datetime

    from slack_sdk.web.async_client import AsyncWebClient

    from bot.crm.client import SalesforceError, SignInFailed
    from bot.salesforce_sync import run_sync
    from bot.settings import DEFAULT_SLACK_API_URL, SalesforceSettings
    from storage.db import Database

    sf = SalesforceSettings.from_env(os.environ)
    if sf is None:
        raise SettingsError("SALESFORCE_CLIENT_ID is not set; see README.md, 'Salesforce'")
    token = os.environ.get("SLACK_BOT_TOKEN", "").strip()
    api = os.environ.get("SLACK_API_URL", "").strip() or DEFAULT_SLACK_API_URL
    slack = AsyncWebClient(token=token, base_url=api if api.endswith("/") else api + "/") if token else None
    db = Database(_database_url())
    bar = SyncReporter("salesforce")
    try:
        await db.upgrade()
        counts = await run_sync(db, sf, report=bar, clock=lambda: datetime.now(UTC), slack=slack, full=full)
    except SignInFailed as exc:
        bar.end()
        raise SettingsError(f"Salesforce refused the sign-in: {exc}") from exc
    except SalesforceError as exc:
        bar.end()
        print(
            f"gtm-bot: Salesforce error, nothing after the last committed page was written: {exc}",
            file=sys.stderr,
        )
        return 1
    finally:
        bar.end()
        await db.dispose()
    kind = "full" if counts.full else "incremental"
    print(
        f"salesforce sync ({kind}): read {counts.read:,}, changed {counts.changed:,}, "
        f"deleted {counts.deleted:,}, skipped {counts.skipped:,}"
        + (f", drift {counts.drift:,}" if counts.drift else "")
    )
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="gtm-bot", description="The go-to-market handbook, in Slack.")
    sub = p.add_subparsers(dest="command", required=True)
    serve = sub.add_parser(
        "serve",
        help="HTTP mode: POST /slack/events, GET /healthz; with no Slack tokens, the local playground",
    )
    serve.add_argument("--host", default=None, help="default 0.0.0.0; 127.0.0.1 for the playground")
    serve.add_argument("--port", type=int, default=3000)
    serve.add_argument(
        "--playground-public",
        action="store_true",
        help="let the playground (no Slack tokens) listen on a non-loopback --host; anyone may act as anyone",
    )
    serve.add_argument(
        "--salesforce-standin",
        action="store_true",
        help="playground only: sync from and write back to a local Salesforce stand-in",
    )
    sub.add_parser("socket", help="Socket Mode (needs SLACK_APP_TOKEN)")
    db = sub.add_parser("db", help="database maintenance")
    db.add_argument("action", choices=["upgrade"])
    imp = sub.add_parser("import", help="import the directory (org YAML, accounts CSV, opportunities CSV)")
    imp.add_argument("kind", choices=["org", "accounts", "opportunities"])
    imp.add_argument("file", type=Path)
    sync = sub.add_parser("sync", help="read the directory from Salesforce (one pass, then exit)")
    sync.add_argument("source", choices=["salesforce"])
    how = sync.add_mutually_exclusive_group()
    how.add_argument("--once", action="store_true", help="one pass: full the first time, then incremental")
    how.add_argument("--full", action="store_true", help="reload everything")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(
        level=os.environ.get("LOG_LEVEL", "INFO"), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)
    from bot.crm.mapping import MappingError
    from bot.importer import ImportFailed

    try:
        if args.command == "serve":
            return _serve(args.host, args.port, args.playground_public, args.salesforce_standin)
        if args.command == "socket":
            asyncio.run(_socket())
            return 0
        if args.command == "db":
            from storage.db import upgrade

            upgrade(_database_url())
            print("database is at the latest migration", file=sys.stderr)
            return 0
        if args.command == "sync":
            return asyncio.run(_sync_salesforce(args.full))
        return asyncio.run(_import(args.kind, args.file))
    except SettingsError as exc:
        return _fail(str(exc))
    except ImportFailed as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except MappingError as exc:
        return _fail(str(exc))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
