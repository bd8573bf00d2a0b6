"""CPU profiles of one request kind through the real Bolt app, in one process (robust to a loaded machine).

    python -m bench.profile owner            # or segment, glossary, stage, click; --n 300 --top 25
    python -m bench.profile click --url postgresql+asyncpg://postgres@127.0.0.1:5432/gtm_bench_perf

It builds a directory of 20,000 accounts in 2,000 hierarchies plus one hierarchy of 40,000 children
(bench/data.py, through `gtm-bot import`), dispatches `--n` signed requests of that kind to the app as
`gtm-bot serve` would (signature check, Bolt, middleware, listener, ack), and prints CPU time per request
(time.process_time, so waiting on a busy machine doesn't count) and the top of a cProfile. For clicks,
each request decides its own pending ownership request (lock, checks, decision, account transfer, outbox
rows committed before the ack); then the outbox is drained to a stand-in in the same process and its CPU
per click is printed separately (it runs after the ack). App Home is republished only for people who have
opened it: `--home` makes everyone one of them, so that cost shows too.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import pstats
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench import data
from bench.processes import SECRET
from bench.run import card_posted_at, cpu_seconds, make_pending, python_speed, reset, run_import
from bot.standin import signer


async def profile(
    kind: str,
    url: str,
    n: int,
    top: int,
    names: list[str],
    big_child: str,
    sort: str = "cumulative",
    show_sql: int = 0,
    home: bool = False,
    concurrency: int = 1,
) -> None:
    from aiohttp.test_utils import TestServer
    from slack_bolt.request.async_request import AsyncBoltRequest
    from slack_sdk.signature import SignatureVerifier
    from sqlalchemy import event
    from sqlalchemy.engine import make_url

    from bot.app import build_app
    from bot.deps import Deps
    from bot.server import is_signed
    from bot.settings import Settings
    from bot.standin.web_api import BOT_ID, BOT_USER_ID, SlackStandIn

    standin = SlackStandIn()
    server = TestServer(standin.app(), host="127.0.0.1")
    await server.start_server()
    api = str(server.make_url("/api/"))
    clicks = await make_pending(url, [(f"A{h:05d}", nm) for h, nm in enumerate(names)], n + 5, server.port)
    for _request_id, step_id in clicks:  # the cards' posts, as Slack keeps them: their updates find them
        channel, ts = card_posted_at(step_id)
        standin.messages[channel].append(
            {"ts": ts, "text": "", "blocks": [], "user": BOT_USER_ID, "bot_id": BOT_ID}
        )
    settings = Settings.from_env(
        {"SLACK_SIGNING_SECRET": SECRET, "SLACK_BOT_TOKEN": "x", "DATABASE_URL": url, "SLACK_API_URL": api}
    )
    deps = Deps.build(settings)
    app = build_app(deps)
    if home:
        await everyone_opened_home(deps)

    def body(i: int) -> tuple[str, str]:
        if kind == "glossary":
            return signer.command_body("/glossary", "SAO", data.VIEWER)
        if kind == "stage":
            return signer.command_body("/gtm", "stage Technical Evaluation", data.VIEWER)
        if kind == "owner":  # a different account every time: each one misses the cache
            return signer.command_body("/gtm", "owner " + names[i % len(names)], data.VIEWER)
        if kind == "owner-warm":  # 20 accounts asked again and again
            return signer.command_body("/gtm", "owner " + names[i % 20], data.VIEWER)
        if kind == "owner-big":
            return signer.command_body("/gtm", "owner " + big_child, data.VIEWER)
        if kind == "segment":
            return signer.command_body("/gtm", f"segment A{i % len(names):05d}-001", data.VIEWER)
        request_id, step_id = clicks[i]
        payload = signer.block_action_payload(data.APPROVER, "approval.approve", f"{request_id}:{step_id}")
        return signer.interaction_body(payload)

    def signed(i: int) -> tuple[str, dict[str, str]]:
        text, content_type = body(i)
        return text, {"content-type": content_type, **signer.signed_headers(SECRET, text)}

    # Slack builds and signs each request: the sender's work, done before the clock starts (about a fifth
    # of what a /glossary answer was measured at). The bot's part starts at the body and headers as
    # `gtm-bot serve` receives them: the signature check, then Bolt parses and dispatches.
    requests = {i: signed(i) for i in [*range(n), *range(n, n + 5)]}

    verifier = SignatureVerifier(SECRET)

    async def one(i: int) -> None:
        text, headers = requests[i]
        timestamp, signature = headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"]
        assert is_signed(verifier, text.encode(), timestamp, signature)  # as server.py does first
        response = await app.async_dispatch(AsyncBoltRequest(body=text, headers=headers))
        assert response.status == 200, response.body

    async def many(indices: range) -> None:
        """`concurrency` requests in flight at a time, as that many senders would keep them."""
        left = iter(indices)

        async def sender() -> None:
            for i in left:
                await one(i)

        await asyncio.gather(*(sender() for _ in range(concurrency)))

    for i in range(5):  # warm: pools, templates, the directory cache
        await one(n + i if kind == "click" else i)
    await asyncio.sleep(0.5)
    await deps.outbox.dispatch_once()
    half = n // 2
    statements = 0

    def counted(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        nonlocal statements
        statements += 1
        if show_sql and statements <= show_sql:
            print(" ".join(sql.split())[:200])

    engines = {deps.db.engine.sync_engine, deps.db.read_engine.sync_engine}
    for engine in engines:
        event.listen(engine, "before_cursor_execute", counted)
    trips = RoundTrips(make_url(url).port or 5432) if not url.startswith("sqlite") else None
    pool = deps.db.read_pool  # PostgreSQL's look-ups bypass SQLAlchemy's events: counted by the pool
    reads = pool.statements if pool is not None else 0
    # Timed without the profiler (which about doubles the cost of Python calls), in ten chunks: on a shared
    # machine a neighbour's burst inflates the CPU time of the requests it overlaps (caches, the other
    # core's hyperthread), so the median chunk is printed beside the mean, and the fastest one.
    chunks: list[float] = []
    pg_cpu = cpu_seconds([], named="postgres") if trips is not None else 0.0  # its server processes' CPU
    cpu, wall = time.process_time(), time.perf_counter()
    for start in range(0, half, size := max(1, half // 10)):
        chunk = time.process_time()
        await many(range(start, min(start + size, half)))
        chunks.append((time.process_time() - chunk) / (min(start + size, half) - start))
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    pg_cpu = cpu_seconds([], named="postgres") - pg_cpu if trips is not None else 0.0
    for engine in engines:
        event.remove(engine, "before_cursor_execute", counted)
    round_trips = trips.stop() if trips is not None else 0
    print(
        f"## {kind}: {half} requests, {cpu / half * 1000:.2f} ms CPU each "
        f"(median of {len(chunks)} chunks {statistics.median(chunks) * 1000:.2f} ms, fastest "
        f"{min(chunks) * 1000:.2f} ms; {wall / half * 1000:.2f} ms wall), {statements / half:.1f} SQL "
        "statements each"
        + (f" and {(pool.statements - reads) / half:.2f} on the ReadPool" if pool is not None else "")
        + (
            f"; {round_trips / half:.1f} round trips to PostgreSQL each, and {pg_cpu / half * 1000:.2f} ms"
            " of its server processes' CPU"
            if trips is not None
            else ""
        )
        + (f", {concurrency} at a time" if concurrency > 1 else "")
    )
    profiler = cProfile.Profile()
    profiler.enable()
    await many(range(half, n))
    profiler.disable()
    each = pstats.Stats(profiler).total_calls / (n - half)  # type: ignore[attr-defined]
    print(f"\nthe next {n - half} under cProfile ({each:,.0f} Python calls each), by {sort} time:\n")
    print(_top(profiler, top, sort))
    if kind == "click":
        await asyncio.sleep(0.2)  # replies spawned after the ack
        profiler = cProfile.Profile()
        statements = 0
        for engine in engines:
            event.listen(engine, "before_cursor_execute", counted)
        cpu = time.process_time()
        profiler.enable()
        while await deps.outbox.dispatch_once():
            pass
        profiler.disable()
        cpu = time.process_time() - cpu
        for engine in engines:
            event.remove(engine, "before_cursor_execute", counted)
        calls = pstats.Stats(profiler).total_calls  # type: ignore[attr-defined]
        print(
            f"\n## the outbox after those clicks: {cpu / n * 1000:.2f} ms CPU per click (with the stand-in), "
            f"{statements / n:.1f} SQL statements and {calls / n:,.0f} Python calls per click\n"
        )
        print(_top(profiler, top, sort))
        calls = Counter(call.method for call in standin.calls)
        print("Web API calls per click: " + ", ".join(f"{m} {c / n:.2f}" for m, c in calls.most_common()))
    await deps.client.close()
    await deps.db.dispose()
    await server.close()


class RoundTrips:
    """Messages this process sends to the database's port until `stop()`: asyncpg writes each request to the
    server (a query, or a prepared statement's bind and execute) in one go and waits for its answer, so
    this counts round trips, SQLAlchemy's own (BEGIN, COMMIT, a pool's ping) and the ReadPool's included,
    which the statement count leaves out."""

    def __init__(self, port: int) -> None:
        from asyncio import selector_events

        self.count = 0
        transport = selector_events._SelectorSocketTransport
        self._restore = transport.write
        original = transport.write

        def write(this: Any, data: Any) -> None:
            peer = this.get_extra_info("peername")
            if peer is not None and peer[1] == port:
                self.count += 1
            original(this, data)

        transport.write = write  # type: ignore[method-assign]

    def stop(self) -> int:
        from asyncio import selector_events

        selector_events._SelectorSocketTransport.write = self._restore  # type: ignore[method-assign]
        return self.count


async def everyone_opened_home(deps: Any) -> None:
    """Everyone has opened App Home once: their Home is republished on every change (`--home`)."""
    from sqlalchemy import insert, literal, select

    from storage.models import HomeViewerRow, PersonRow

    async with deps.db.sessions.begin() as session:
        await session.execute(
            insert(HomeViewerRow).from_select(
                ["user_id", "first_opened_at"],
                select(PersonRow.slack_id, literal(deps.clock(), HomeViewerRow.first_opened_at.type)),
            )
        )


def _top(profiler: cProfile.Profile, top: int, sort: str) -> str:
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats(sort).print_stats(top)
    lines = out.getvalue().splitlines()
    start = next(i for i, line in enumerate(lines) if "ncalls" in line)
    return "```\n" + "\n".join(line[:160] for line in lines[start:] if line.strip()) + "\n```"


def generate(work: Path, url: str, scale: data.Scale) -> tuple[list[tuple[str, str]], str]:
    """A fresh database at `url`: people, accounts in hierarchies, one hierarchy of 40,000 children (imported
    with `gtm-bot import`) and open opportunities. Returns the roots (id, name) and a child of the big one."""
    asyncio.run(reset(url))
    people = data.write_org(work / "org.yaml", scale.people)
    actors = data.owners(people)
    roots = data.write_accounts(work / "accounts.csv", scale, actors)
    big_child = data.write_big_hierarchy(work / "big.csv", 40_000, actors[0])
    for kind, path in (("org", "org.yaml"), ("accounts", "accounts.csv"), ("accounts", "big.csv")):
        run_import(url, kind, work / path)
    asyncio.run(_opportunities(url, scale, actors))
    return roots, big_child


def main() -> None:
    parser = argparse.ArgumentParser(description="CPU profile of one request kind")
    parser.add_argument(
        "kind", choices=["glossary", "stage", "owner", "owner-warm", "owner-big", "segment", "click"]
    )
    parser.add_argument(
        "--url", help="an empty database to use (its schema is dropped); default a temp SQLite"
    )
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--sql", type=int, default=0, help="print the first SQL statements timed")
    parser.add_argument("--home", action="store_true", help="everyone has opened App Home (republished)")
    parser.add_argument("--concurrency", type=int, default=1, help="requests in flight at a time")
    parser.add_argument(
        "--sort", choices=["cumulative", "tottime"], default="cumulative", help="tottime: by own time"
    )
    args = parser.parse_args()
    scale = data.Scale(accounts=20_000, hierarchies=2_000, people=1_000, audit_events=0, opportunities=5_000)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        url = args.url or f"sqlite+aiosqlite:///{work / 'profile.db'}"
        roots, big_child = generate(work, url, scale)
        names = [name for _id, name in roots]
        print(python_speed())
        asyncio.run(
            profile(
                args.kind,
                url,
                args.n,
                args.top,
                names,
                big_child,
                args.sort,
                args.sql,
                args.home,
                args.concurrency,
            )
        )


async def _opportunities(url: str, scale: data.Scale, actors: list[str]) -> Any:
    from bench.run import bulk, bump_opportunities

    rows = [tuple(o.values()) for o in data.opportunities(scale, actors)]
    columns = list(next(data.opportunities(data.Scale(opportunities=1), actors)).keys())
    await bulk(url, "opportunities", columns, rows)
    await bump_opportunities(url)


if __name__ == "__main__":
    main()
