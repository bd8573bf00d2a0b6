"""`gtm-bot`: serve, socket, db upgrade, import org|accounts|opportunities FILE."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import TextIO

from bot.observe import announce, configure_logging
from bot.settings import Settings, SettingsError, database_url_from

PLAYGROUND_DATABASE_URL = "sqlite+aiosqlite:///gtm-bot-playground.db"


def _database_url() -> str:
    return database_url_from(os.environ)


def _database_password() -> str:
    """DATABASE_URL's password, if any, so that no log line can carry it."""
    from sqlalchemy.engine import make_url

    try:
        return str(make_url(database_url_from(os.environ)).password or "")
    except SettingsError:
        return ""


def _fail(message: str) -> int:
    print(f"gtm-bot: error: {message}", file=sys.stderr)
    return 2


def _local_mode() -> bool:
    """No Slack tokens at all: run the playground. One of the two alone is a mistake, reported as before."""
    return not any(os.environ.get(name, "").strip() for name in ("SLACK_SIGNING_SECRET", "SLACK_BOT_TOKEN"))


def _serve(
    host: str | None,
    port: int,
    workers: int = 1,
    playground_public: bool = False,
    salesforce_standin: bool = False,
) -> int:
    from bot import serving

    if _local_mode():
        if workers != 1:
            raise serving.OperatorError("--workers is for Slack mode; the playground runs in one process")
        return _serve_playground(host or "127.0.0.1", port, playground_public, salesforce_standin)
    if playground_public:
        return _fail("--playground-public is for the playground only (no Slack tokens set)")
    settings = Settings.from_env()
    serving.check_workers(settings, workers)
    metrics_dir = None
    if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Before prometheus-client is imported: every worker's counters go to files /metrics adds up.
        metrics_dir = os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="gtm-bot-metrics-")
    serving.check_templates(settings)
    serving.migrate(settings.database_url)
    host = host or "0.0.0.0"
    sock = serving.bind(host, port)
    many = f" with {workers} workers" if workers > 1 else ""
    announce(
        f"gtm-bot listening on http://{host}:{port}{many}: Slack posts to /slack/events; "
        "GET /healthz, GET /metrics"
    )

    def run_one(handoff: serving.Handoff | None, index: int) -> None:
        from aiohttp import web

        from bot.app import build_app
        from bot.deps import Deps
        from bot.server import AccessLog, create_web_app

        deps = Deps.build(settings)
        web_app = create_web_app(deps, build_app(deps), migrate=False, long_running=True)
        if handoff is None:
            web.run_app(web_app, sock=sock, print=None, access_log_class=AccessLog)
        else:  # serve's own process accepts and hands this worker its share of the connections
            handoff.worker(index).run(web_app, access_log_class=AccessLog)

    try:
        return serving.run_workers(workers, run_one, sock)
    finally:
        sock.close()
        if metrics_dir is not None:
            shutil.rmtree(metrics_dir, ignore_errors=True)


def _serve_playground(host: str, port: int, public: bool, salesforce_standin: bool = False) -> int:
    import secrets

    from aiohttp import web

    from bot import serving
    from bot.app import build_app
    from bot.deps import Deps
    from bot.playground.guard import PlaygroundRefused, claim_database, is_loopback
    from bot.playground.server import create_playground_app
    from bot.playground.world import Playground
    from bot.server import AccessLog
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
    database_url = database_url_from(os.environ, PLAYGROUND_DATABASE_URL)
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
    settings = Settings.from_env(local)  # an unsupported DATABASE_URL stops here, with one line
    serving.check_templates(settings)
    sock = serving.bind(host, port)
    try:
        asyncio.run(claim_database(database_url))  # migrates it and imports the samples
    except PlaygroundRefused as exc:
        sock.close()
        return _fail(str(exc))
    deps = Deps.build(settings)
    playground = Playground(SlackStandIn(), settings.signing_secret)
    playground.bind(origin)
    announce(f"gtm-bot playground (no Slack tokens set): open {origin}/")
    if salesforce is not None:
        announce(f"Salesforce: local stand-in; what it holds: {origin}/playground/api/salesforce")
    web_app = create_playground_app(deps, build_app(deps), playground, migrate=False, salesforce=salesforce)
    try:
        web.run_app(web_app, sock=sock, print=None, access_log_class=AccessLog)
    finally:
        sock.close()
    return 0


async def _socket() -> None:
    from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler

    from bot.app import build_app
    from bot.deps import Deps
    from bot.scheduler import Scheduler
    from bot.serving import check_templates, freeze_startup_heap

    settings = Settings.from_env(need_app_token=True)
    check_templates(settings)
    deps = Deps.build(settings)
    bolt = build_app(deps)  # features register their flows and jobs here
    await deps.db.upgrade()
    for hook in deps.startup:
        await hook(deps)
    freeze_startup_heap()
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
    from bot.features.directory.importer import import_file
    from storage.db import Database

    db = Database(_database_url())
    bar = ProgressBar(f"import {kind}")
    try:
        await db.upgrade()
        count = await import_file(db, kind, path, bar)
    finally:
        bar.end()
        await db.dispose()
    announce(f"imported {count} {kind} rows from {path}")
    return 0


async def _export_audit(since: str | None, fmt: str) -> int:
    from bot.features.audit.export import export_audit, parse_since
    from storage.db import Database

    try:
        start = parse_since(since) if since else None
    except ValueError as exc:
        return _fail(str(exc))
    db = Database(_database_url())
    try:
        count = await export_audit(db, sys.stdout, since=start, fmt=fmt)
    except BrokenPipeError:  # `| head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    finally:
        await db.dispose()
    announce(f"exported {count} audit rows")
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

    from bot.crm.client import SalesforceError, SignInFailed
    from bot.features.salesforce.run import run_sync
    from bot.settings import DEFAULT_SLACK_API_URL, SalesforceSettings
    from bot.web_client import SharedSessionWebClient
    from storage.db import Database

    sf = SalesforceSettings.from_env(os.environ)
    if sf is None:
        raise SettingsError("SALESFORCE_CLIENT_ID is not set; see README.md, 'Salesforce'")
    token = os.environ.get("SLACK_BOT_TOKEN", "").strip()
    api = os.environ.get("SLACK_API_URL", "").strip() or DEFAULT_SLACK_API_URL
    base_url = api if api.endswith("/") else api + "/"
    slack = SharedSessionWebClient(token=token, base_url=base_url) if token else None
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
        if slack is not None:
            await slack.close()
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
    serve.add_argument("--port", type=int, default=3000, help="the TCP port to listen on (default 3000)")
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="processes sharing the port (default 1); more than one needs PostgreSQL",
    )
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
    export = sub.add_parser("export", help="export records for a compliance review")
    what = export.add_subparsers(dest="what", required=True)
    audit = what.add_parser(
        "audit", help="every request, step, decision, audit event and notification, to standard output"
    )
    audit.add_argument("--since", help="only rows from this date (YYYY-MM-DD, UTC) or date-time on")
    audit.add_argument("--format", choices=["csv", "jsonl"], default="csv", help="default csv")
    sync = sub.add_parser("sync", help="read the directory from Salesforce (one pass, then exit)")
    sync.add_argument("source", choices=["salesforce"])
    how = sync.add_mutually_exclusive_group()
    how.add_argument("--once", action="store_true", help="one pass: full the first time, then incremental")
    how.add_argument("--full", action="store_true", help="reload everything")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    log_format = os.environ.get("LOG_FORMAT", "").strip().lower() or "text"
    if log_format not in ("text", "json"):
        return _fail(f"LOG_FORMAT must be text or json, got {log_format!r}")
    secrets = [os.environ.get(f"SLACK_{name}", "") for name in ("SIGNING_SECRET", "BOT_TOKEN", "APP_TOKEN")]
    secrets += [_database_password(), os.environ.get("SALESFORCE_CLIENT_SECRET", "")]
    configure_logging(os.environ.get("LOG_LEVEL", "INFO"), log_format, secrets)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    from bot.crm.mapping import MappingError
    from bot.features.directory.importer import ImportFailed
    from bot.serving import OperatorError

    try:
        if args.command == "serve":
            return _serve(args.host, args.port, args.workers, args.playground_public, args.salesforce_standin)
        if args.command == "socket":
            asyncio.run(_socket())
            return 0
        if args.command == "db":
            from bot.serving import migrate

            migrate(_database_url())
            announce("database is at the latest migration")
            return 0
        if args.command == "export":
            return asyncio.run(_export_audit(args.since, args.format))
        if args.command == "sync":
            return asyncio.run(_sync_salesforce(args.full))
        return asyncio.run(_import(args.kind, args.file))
    except (SettingsError, OperatorError) as exc:
        return _fail(str(exc))
    except ImportFailed as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except MappingError as exc:
        return _fail(str(exc))
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # socket and import reach the database too: an outage is one line there as well
        from bot.serving import database_unreachable, is_database_down

        if is_database_down(exc):
            return _fail(str(database_unreachable(_database_url(), exc)))
        raise


if __name__ == "__main__":
    sys.exit(main())
