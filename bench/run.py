"""All the benchmarks in one run, printed as tables (Markdown, ready for bench/RESULTS.md).

    python -m bench.run --db sqlite            # a fresh SQLite file in a temp dir
    python -m bench.run --db postgres          # $GTM_BENCH_DATABASE_URL (its schema is dropped!)
    python -m bench.run --db sqlite --quick    # 10x smaller, to check the harness
    python -m bench.run --db postgres --only owner@50,glossary@50   # just these cells of gtm-bot

1. Scale: generate 1,000 people and 100,000 accounts in 10,000 hierarchies, import them with
   `gtm-bot import` (timed, its progress bar on stderr), bulk-insert 50,000 opportunities, 20,000
   requests and 1,000,000 audit events; time the owner, segment and requests queries in-process and
   show the plan of every SQL statement they run (EXPLAIN QUERY PLAN / EXPLAIN).
2. Load: `gtm-bot serve` in its own process against that database, the Slack stand-in in another, and
   the load generator in a third (so it doesn't take the server's core). `/glossary SAO`,
   `/gtm stage Technical Evaluation`, `/gtm owner NAME`, `/gtm segment NAME` and an approval click, at 1,
   10 and 50 concurrent senders, signed requests over HTTP; the same against bare Bolt apps that only ack
   (Bolt's default, which polls for the ack every 10 ms, and process_before_response=True), in the same
   run. Each cell of gtm-bot ends with the bot's CPU per request (per click: every process's).
3. Memory: the resident size of `gtm-bot serve` after the load.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import platform
import random
import socket
import subprocess
import sys
import tempfile
import time
import timeit
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import event, text

from bench import data
from bench.processes import SECRET
from bot.standin import signer

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/gtm_bench"  # created if missing
LEVELS = (1, 10, 50)


# ---- small helpers ---------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def env_for(url: str, standin_port: int) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": url,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_BOT_TOKEN": "xoxb-bench",
        "SLACK_API_URL": f"http://127.0.0.1:{standin_port}/api/",
        "LOG_LEVEL": "WARNING",
    }


@contextlib.contextmanager
def process(args: list[str], env: dict[str, str], port: int) -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(args, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
            if proc.poll() is not None:
                raise RuntimeError(f"{args} exited with {proc.returncode}")
            time.sleep(0.1)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def rss_mb(pid: int) -> tuple[float, float, float, str]:
    """Of the process and its children (`serve`: its request workers and its sender process), in MB: the
    sum of their VmRSS, of their VmHWM, and of their Pss (the memory they take from the machine: a page
    the processes share since the fork counts once in all, where each one's RSS counts it again), and
    each process's RSS."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    pids = [pid, *(int(p) for p in (children.read_text().split() if children.exists() else []))]
    rss = hwm = pss = 0.0
    each_rss = []
    for each in pids:
        fields = dict(
            line.split(":", 1)
            for line in Path(f"/proc/{each}/status").read_text().splitlines()
            if ":" in line
        )
        rss += (mb := int(fields["VmRSS"].split()[0]) / 1024)
        hwm += int(fields["VmHWM"].split()[0]) / 1024
        each_rss.append(f"{fields['Name'].strip()} {mb:.0f}")
        rollup = Path(f"/proc/{each}/smaps_rollup").read_text().splitlines()
        pss += sum(int(line.split()[1]) for line in rollup if line.startswith("Pss:")) / 1024
    return rss, hwm, pss, ", ".join(each_rss)


# ---- 1. scale ---------------------------------------------------------------------------------------
async def create_database_if_missing(url: str) -> None:
    """The benchmark's own PostgreSQL database, made on first use (through the server's `postgres` db)."""
    import asyncpg
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    admin = await asyncpg.connect(
        host=parsed.host,
        port=parsed.port or 5432,
        user=parsed.username,
        password=parsed.password,
        database="postgres",
    )
    try:
        if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", parsed.database):
            await admin.execute(f'CREATE DATABASE "{parsed.database}"')
    finally:
        await admin.close()


async def reset(url: str) -> None:
    from storage.db import is_sqlite, migrate_afresh

    if not is_sqlite(url):
        await create_database_if_missing(url)
    await migrate_afresh(url)


def run_import(url: str, kind: str, path: Path) -> float:
    start = time.perf_counter()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DATABASE_URL": url, "LOG_LEVEL": "WARNING"}
    subprocess.run(
        [sys.executable, "-m", "bot.cli", "import", kind, str(path)], env=env, cwd=ROOT, check=True
    )
    return time.perf_counter() - start


async def bulk(url: str, table: str, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
    """COPY on PostgreSQL, executemany on SQLite: the fastest honest way in for generated rows."""
    from storage.db import Database, is_sqlite

    db = Database(url)
    try:
        async with db.engine.begin() as conn:
            raw = await conn.get_raw_connection()
            driver = raw.driver_connection
            if is_sqlite(url):
                marks = ", ".join("?" for _ in columns)
                sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608 (our names)
                for start in range(0, len(rows), 50_000):  # sqlite3 itself: the writers' engine is inline
                    driver.executemany(sql, rows[start : start + 50_000])
            else:
                await driver.copy_records_to_table(table, records=rows, columns=columns)
    finally:
        await db.dispose()


async def bump_opportunities(url: str) -> None:
    """What `gtm-bot import opportunities` does after writing: tell every process's cache."""
    from storage.db import Database
    from storage.directory import OPPORTUNITIES, DirectoryRepository

    db = Database(url)
    async with db.sessions.begin() as session:
        await DirectoryRepository(session).bump_version(OPPORTUNITIES)
    await db.dispose()


def naive(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(tzinfo=None)


async def fill_history(url: str, scale: data.Scale, actors: list[str]) -> dict[str, float]:
    """Opportunities, decided requests (with steps, approvers, decisions) and the audit trail."""
    sqlite = url.startswith("sqlite")
    timings: dict[str, float] = {}
    start = time.perf_counter()
    opps = [tuple(o.values()) for o in data.opportunities(scale, actors)]
    columns = list(next(data.opportunities(data.Scale(opportunities=1), actors)).keys())
    await bulk(url, "opportunities", columns, opps)
    await bump_opportunities(url)
    timings["opportunities"] = time.perf_counter() - start

    n = scale.audit_events // 50
    rng = random.Random(11)
    at = naive(datetime(2025, 6, 1, tzinfo=UTC))
    payload = json.dumps({}) if sqlite else "{}"
    requests, steps, approvers, decisions = [], [], [], []
    for i in range(1, n + 1):
        requester = data.VIEWER if i % 40 == 0 else rng.choice(actors)
        approver = data.APPROVER if i % 40 == 1 else rng.choice(actors)
        requests.append((i, "ownership", "applied", requester, f"A{i % scale.hierarchies:05d}",
                         f"history {i}", payload, at, at, 1))  # fmt: skip
        steps.append(
            (i, i, 0, "current owner", "one", json.dumps([approver]), "approved", False, at, at, None)
        )
        approvers.append((i, approver))
        decisions.append((i, i, approver, None, "approve", "", at))
    start = time.perf_counter()
    await bulk(url, "requests", ["id", "kind", "status", "requester", "subject_id", "summary", "payload",
                                 "created_at", "updated_at", "version"], requests)  # fmt: skip
    step_columns = ["id", "request_id", "position", "name", "mode", "approvers", "state", "needs_override",
                    "created_at", "decided_at", "remind_at"]  # fmt: skip
    await bulk(url, "request_steps", step_columns, steps)
    await bulk(url, "step_approvers", ["step_id", "approver"], approvers)
    await bulk(
        url, "decisions", ["id", "step_id", "actor", "on_behalf_of", "decision", "reason", "at"], decisions
    )
    timings["requests"] = time.perf_counter() - start

    start = time.perf_counter()
    events = [
        (e["request_id"], e["actor"], e["action"], json.dumps(e["detail"]), naive(e["at"]))
        for e in data.audit_events(scale.audit_events, n, actors)
    ]
    await bulk(url, "audit_events", ["request_id", "actor", "action", "detail", "at"], events)
    timings["audit_events"] = time.perf_counter() - start
    if not sqlite:  # ids were given explicitly: move the sequences past them, and refresh statistics
        from storage.db import Database

        db = Database(url)
        async with db.engine.begin() as conn:
            for table in ("requests", "request_steps", "decisions"):
                await conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {n})"))
            await conn.execute(text("ANALYZE"))
        await db.dispose()
    else:
        from storage.db import Database

        db = Database(url)
        async with db.engine.begin() as conn:
            await conn.execute(text("ANALYZE"))
        await db.dispose()
    return timings


@dataclass
class QueryTiming:
    name: str
    p50: float
    p99: float
    worst: float


async def time_queries(
    url: str, roots: list[tuple[str, str]], rounds: int, big_child: str
) -> tuple[list[QueryTiming], list[str]]:
    """The use-cases behind /gtm owner, /gtm segment and /gtm requests, in-process, against the big directory;
    and the plan of every distinct SQL statement they ran."""
    from bot.app import build_app
    from bot.approvals import service
    from bot.deps import Deps
    from bot.handbook import ownership as rules
    from bot.settings import Settings
    from storage.directory import InlineDirectoryReads

    settings = Settings.from_env(
        {"SLACK_SIGNING_SECRET": SECRET, "SLACK_BOT_TOKEN": "x", "DATABASE_URL": url}
    )
    deps = Deps.build(settings)
    build_app(deps)
    statements: dict[str, Any] = {}

    def capture(
        _conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool
    ) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.setdefault(statement, parameters)

    inline_rows = InlineDirectoryReads._rows

    def inline_capture(reads: InlineDirectoryReads, statement: str, parameters: Any) -> list[Any]:
        """The read cache's SQLite reads run on the driver's cursor, past SQLAlchemy's events."""
        if statement.lstrip().upper().startswith("SELECT"):
            statements.setdefault(statement, tuple(parameters))
        return inline_rows(reads, statement, parameters)

    rng = random.Random(12)

    async def owner(name: str) -> None:
        """What /gtm owner does before rendering: the cached look-up, the rules, the segment summary."""
        found = await deps.directory.lookup(deps.db, data.VIEWER, name, opportunities=True)
        if found.view is not None:  # None: a public-sector account the viewer may not see (2 %)
            rules.may_reassign(found.viewer, found.view)
            found.view.segment.summary(found.view.account.account_id)

    async def owner_name() -> None:
        await owner(rng.choice(roots)[1])

    async def owner_typo() -> None:
        name = rng.choice(roots)[1]
        typo = name[:3] + name[4:]  # one letter dropped: the fuzzy pass
        await deps.directory.lookup(deps.db, data.VIEWER, typo, opportunities=True)

    async def segment() -> None:
        account_id = rng.choice(roots)[0] + f"-{rng.randint(1, 9):03d}"
        found = await deps.directory.lookup(deps.db, data.VIEWER, account_id)
        if found.view is not None:
            found.view.segment.summary(account_id)

    async def owner_big() -> None:
        await owner(big_child)

    async def segment_big() -> None:
        found = await deps.directory.lookup(deps.db, data.VIEWER, big_child)
        assert found.view is not None and len(found.view.hierarchy.members) > 1000
        found.view.segment.summary(big_child)

    async def requests() -> None:
        await service.overview(deps, rng.choice([data.VIEWER, data.APPROVER]))

    async def timeline() -> None:
        await service.timeline(deps, rng.randint(1, 20_000), data.VIEWER)

    cases = [
        ("owner NAME (find + facts)", owner_name),
        ("owner N4ME (fuzzy)", owner_typo),
        ("segment ACCOUNT_ID", segment),
        ("owner CHILD of the big hierarchy", owner_big),
        ("segment CHILD of the big hierarchy", segment_big),
        ("requests (overview)", requests),
        ("requests ID (timeline)", timeline),
    ]
    results: list[QueryTiming] = []
    await owner_name()  # builds the account-name index (once per import)
    for name, case in cases:
        times: list[float] = []
        for i in range(rounds):
            engines = [
                deps.db.read_engine.sync_engine,
                *([deps.db.inline.engine] if deps.db.inline else []),
            ]
            if i == 0:
                for engine in engines:
                    event.listen(engine, "before_cursor_execute", capture)
                InlineDirectoryReads._rows = inline_capture  # type: ignore[method-assign]
            start = time.perf_counter()
            await case()
            times.append((time.perf_counter() - start) * 1000)
            if i == 0:
                for engine in engines:
                    event.remove(engine, "before_cursor_execute", capture)
                InlineDirectoryReads._rows = inline_rows  # type: ignore[method-assign]
        results.append(QueryTiming(name, percentile(times, 50), percentile(times, 99), max(times)))
    plans = await explain(deps.db, statements)
    await deps.db.dispose()
    return results, plans


async def explain(db: Any, statements: dict[str, Any]) -> list[str]:
    out: list[str] = []
    sqlite = db.url.startswith("sqlite")
    async with db.read_engine.connect() as conn:
        for statement, params in statements.items():
            prefix = "EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN "
            rows = (await conn.exec_driver_sql(prefix + statement, params)).all()
            plan = [str(r[-1]) for r in rows] if sqlite else [str(r[0]).strip() for r in rows]
            short = " ".join(statement.split())
            out.append(f"- `{short[:150]}{'...' if len(short) > 150 else ''}`")
            out += [f"    - {line}" for line in plan]
    return out


# ---- 2. load -----------------------------------------------------------------------------------------
@dataclass
class Cell:
    app: str
    workload: str
    concurrency: int
    p50: float
    p99: float
    throughput: float
    extra: str = ""


RESPOND = ""  # the stand-in's response_url, set once it runs (the bot posts click outcomes there)


def bodies(workload: str, n: int, names: list[str], clicks: list[tuple[int, int]]) -> list[tuple[str, str]]:
    rng = random.Random(hash(workload) & 0xFFFF)
    out: list[tuple[str, str]] = []
    for i in range(n):
        if workload == "glossary":
            out.append(signer.command_body("/glossary", "SAO", data.VIEWER))
        elif workload == "stage":
            out.append(signer.command_body("/gtm", "stage Technical Evaluation", data.VIEWER))
        elif workload == "owner":
            out.append(signer.command_body("/gtm", "owner " + rng.choice(names), data.VIEWER))
        elif workload == "segment":
            out.append(signer.command_body("/gtm", "segment " + rng.choice(names), data.VIEWER))
        else:
            request_id, step_id = clicks[i]
            payload = signer.block_action_payload(
                data.APPROVER, "approval.approve", f"{request_id}:{step_id}"
            )
            out.append(signer.interaction_body(payload))
    return out


async def _send(
    url: str, work: list[tuple[str, str]], concurrency: int
) -> tuple[list[float], list[float], float]:
    """(latencies in s, send wall times, elapsed s); every answer must be a 200."""
    queue = list(reversed(list(enumerate(work))))
    latencies: list[float] = [0.0] * len(work)
    sent: list[float] = [0.0] * len(work)
    connector = aiohttp.TCPConnector(limit=concurrency)

    async def worker(session: aiohttp.ClientSession) -> None:
        while queue:
            i, (body, content_type) = queue.pop()
            headers = {"Content-Type": content_type, **signer.signed_headers(SECRET, body)}
            sent[i] = time.time()
            start = time.perf_counter()
            async with session.post(url, data=body.encode(), headers=headers) as response:
                answer = await response.read()
            latencies[i] = time.perf_counter() - start
            if response.status != 200:
                raise RuntimeError(f"{response.status}: {answer[:200]!r}")

    async with aiohttp.ClientSession(connector=connector) as session:
        start = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        elapsed = time.perf_counter() - start
    return latencies, sent, elapsed


def _load_process(url: str, work: list[tuple[str, str]], concurrency: int, out: Any) -> None:
    try:
        cpu = time.process_time()
        result = asyncio.run(_send(url, work, concurrency))
        out.put((*result, time.process_time() - cpu))
    except Exception as exc:  # reported to the parent, which raises
        out.put(exc)


def load(url: str, work: list[tuple[str, str]], concurrency: int) -> tuple[list[float], list[float], float]:
    """Run the senders in their own process (spawned), so they don't take the server's core."""
    latencies, sent, elapsed, _cpu = load_counted(url, work, concurrency)
    return latencies, sent, elapsed


def load_counted(
    url: str, work: list[tuple[str, str]], concurrency: int
) -> tuple[list[float], list[float], float, float]:
    """`load`, and the CPU seconds the senders' process spent building, signing and sending."""
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    proc = ctx.Process(target=_load_process, args=(url, work, concurrency, out))
    proc.start()
    result = out.get(timeout=600)
    proc.join()
    if isinstance(result, Exception):
        raise result
    return result


def python_speed() -> str:
    """The machine's pure-Python speed at the start of a run, to compare runs of other hours by. The same
    2-core machine has run `/glossary` for 0.18 ms of CPU a request one morning and 0.58 ms two hours later
    (RESULTS.md, sixteenth pass): every absolute number moves with it; ratios between apps measured in one
    run much less."""
    loop = min(timeit.repeat("sum(range(1_000_000))", number=1, repeat=7))
    return f"pure-Python speed: sum(range(1_000_000)) in {loop * 1000:.1f} ms (best of 7)"


def cpu_seconds(roots: list[int], *, named: str | None = None) -> float:
    """CPU seconds (user and system) spent so far by the processes `roots` and their descendants, or by every
    process called `named` (PostgreSQL's server processes), read from /proc (Linux)."""
    stats: dict[int, list[str]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                text = (entry / "stat").read_text()
            except OSError:  # gone meanwhile
                continue
            name, rest = text[text.index("(") + 1 : text.rindex(")")], text[text.rindex(")") + 2 :].split()
            stats[int(entry.name)] = [name, *rest]
    parents = {pid: int(fields[2]) for pid, fields in stats.items()}

    def wanted(pid: int) -> bool:
        if named is not None:
            return stats[pid][0] == named
        while pid > 1:
            if pid in roots:
                return True
            pid = parents.get(pid, 0)
        return False

    # A process that exited took its CPU with it (a PostgreSQL backend whose connection closed): its parent
    # reaped it and counts it as its children's (cutime, cstime), so the top processes' count is kept.
    ours = {pid for pid in stats if wanted(pid)}
    top = [pid for pid in ours if parents[pid] not in ours]
    ticks = os.sysconf("SC_CLK_TCK")
    spent = sum(int(stats[pid][12]) + int(stats[pid][13]) for pid in ours)
    return (spent + sum(int(stats[pid][14]) + int(stats[pid][15]) for pid in top)) / ticks


def card_posted_at(step_id: int) -> tuple[str, str]:
    """Where make_pending says the APPROVER's card of step `step_id` was posted (channel, ts): a stand-in
    that checks chat.update's target must know these messages (bench.profile seeds them)."""
    return "D" + data.APPROVER[1:], f"{step_id}.000100"


async def make_pending(
    url: str, roots: list[tuple[str, str]], n: int, standin_port: int
) -> list[tuple[int, int]]:
    """`n` ownership requests waiting on the APPROVER, their cards already 'posted' (seeded refs, at
    `card_posted_at`: bench.run's stand-in answers every chat.update, bench.profile's is told of them)."""
    from sqlalchemy import update

    from bot.app import build_app
    from bot.approvals import service
    from bot.approvals.engine import StepMode, StepSpec
    from bot.deps import Deps
    from bot.features.ownership import service as ownership
    from bot.handbook import ownership as rules
    from bot.settings import Settings
    from storage.directory import DirectoryRepository
    from storage.models import MessageRefRow, OutboxRow

    settings = Settings.from_env(
        {"SLACK_SIGNING_SECRET": SECRET, "SLACK_BOT_TOKEN": "x", "DATABASE_URL": url,
         "SLACK_API_URL": f"http://127.0.0.1:{standin_port}/api/"}
    )  # fmt: skip
    deps = Deps.build(settings)
    build_app(deps)
    out: list[tuple[int, int]] = []
    # Each request is one the rules still allow at the click (the approval re-checks them): the account
    # isn't named or public sector, and its new owner works its region and segment.
    async with deps.db.reads() as session:
        repo = DirectoryRepository(session)
        people = [p for p in (await repo.people()).values() if p.role.value in ("SAL", "AE")]
        chosen: list[tuple[str, str, str]] = []
        for account_id, name in roots[len(roots) // 2 :]:
            view = await ownership.load_view(repo, account_id)
            if view is None or view.account.named or view.account.public_sector:
                continue
            fits = [p for p in people if all(c.passed for c in rules.new_owner_fit(p, view, 0))]
            if fits:
                chosen.append((account_id, name, fits[len(chosen) % len(fits)].slack_id))
            if len(chosen) >= n:
                break
    for start in range(0, len(chosen), 100):
        async with deps.db.sessions.begin() as session:
            for account_id, name, new_owner in chosen[start : start + 100]:
                ctx = service.Context(deps, session, deps.clock(), data.VIEWER)
                request = await service.open_request(
                    ctx,
                    kind=ownership.KIND,
                    subject_id=account_id,
                    summary=f"Bench to own {name}",
                    payload={"account_id": account_id, "account_name": name, "old_owner": None,
                             "new_owner": new_owner, "reason": "bench", "routing": "owner",
                             "explanation": "benchmark", "failed": []},
                    first_step=StepSpec("current owner", (data.APPROVER,), StepMode.ONE),
                )  # fmt: skip
                step = (await ctx.repo.steps(request.id))[0]
                channel, ts = card_posted_at(step.id)
                session.add(MessageRefRow(key=f"card:{step.id}:{data.APPROVER}", channel=channel, ts=ts))
                out.append((request.id, step.id))
    # The cards count as posted: marked sent once every batch has committed. Outbox rows are written as their
    # transaction commits (storage/batched.py), after a statement in it: the last batch's cards stayed
    # pending, serve posted them again at new timestamps and their clicks updated those, so 20 updates went
    # uncounted ("1,480 of 1,500 updated" in every run since).
    async with deps.db.sessions.begin() as session:
        await session.execute(update(OutboxRow).values(status="sent"))
    await deps.db.dispose()
    return out


# Answers that only read memory (`/glossary`, `/gtm stage`) come at thousands a second: 800 of them lasted a
# quarter of a second, and one stall moved a cell's throughput by a third. Owner and segment stay at 800 at 50
# senders: they draw from 5,000 account names, and more draws would warm their caches beyond earlier runs'.
MEMORY_ONLY = ("glossary", "stage")


def requests_in(workload: str, concurrency: int) -> int:
    """How many requests one cell sends."""
    if workload in MEMORY_ONLY and concurrency == 50:
        return 5000
    return {1: 200, 10: 500, 50: 800}[concurrency]


def run_cells(
    name: str,
    url: str,
    workloads: list[str],
    names: list[str],
    clicks: list[tuple[int, int]],
    quick: bool,
    standin_port: int,
    pids: dict[str, int] | None = None,
    postgres: bool = False,
    only: set[tuple[str, int]] | None = None,
) -> tuple[list[Cell], dict[int, float]]:
    """Read-only requests first, at every level; then clicks, each level starting once the outbox has
    gone quiet (a click's notifications would otherwise load the server during the next cell). With
    `pids` (the bot's and the stand-in's), each click cell says where its CPU went (`budget`), PostgreSQL's
    server processes included when `postgres`. `only`: just these (workload, senders) cells."""
    cells: list[Cell] = []
    click_sent: dict[int, float] = {}
    used = 0
    plan = [(c, w) for c in LEVELS for w in workloads if w != "click"]
    plan += [(c, "click") for c in LEVELS if "click" in workloads]
    plan = [(c, w) for c, w in plan if only is None or (w, c) in only]
    reads = [w for w in workloads if w != "click" and any(w == p[1] for p in plan)]
    for workload in reads:  # warm up: connection pools, auth.test, indexes, templates
        load(url, bodies(workload, 100, names, []), 5)
    if any(w == "click" for _c, w in plan):
        load(url, bodies("click", 20, names, clicks[:20]), 5)
        used = 20
    for concurrency, workload in plan:
        if workload == "click":
            asyncio.run(quiet(standin_port))
        n = requests_in(workload, concurrency) // (10 if quick else 1)
        batch = clicks[used : used + n] if workload == "click" else []
        used += len(batch)
        counted = budget_start(pids, postgres) if pids else None
        latencies, sent, elapsed, senders = load_counted(url, bodies(workload, n, names, batch), concurrency)
        extra = ""
        if workload != "click" and counted is not None and "bot" in pids:
            spent = (cpu_seconds([pids["bot"]]) - counted["bot"]) / n * 1000
            extra = f"the bot's CPU per request {spent:.3f} ms"
        if workload == "click":
            for (request_id, _step), at in zip(batch, sent, strict=True):
                click_sent[request_id] = at
            if counted is not None:
                asyncio.run(quiet(standin_port))  # the cell's clicks' outbox work counts too
                # The burst's start apart: cold connections or an uneven split of connections between
                # workers showed there first.
                first = [t * 1000 for _at, t in sorted(zip(sent, latencies, strict=True))[:concurrency]]
                extra = (
                    f"{budget(counted, pids, postgres, senders, n)}; the first {len(first)} clicks: "
                    f"p50 {percentile(first, 50):.0f}, max {max(first):.0f} ms"
                )
        ms = [t * 1000 for t in latencies]
        cells.append(
            Cell(name, workload, concurrency, percentile(ms, 50), percentile(ms, 99), n / elapsed, extra)
        )
    return cells, click_sent


def budget_start(pids: dict[str, int], postgres: bool) -> dict[str, float]:
    """CPU seconds so far of the bot, the stand-in and (`postgres`) PostgreSQL's server processes."""
    spent = {name: cpu_seconds([pid]) for name, pid in pids.items()}
    if postgres:
        spent["PostgreSQL"] = cpu_seconds([], named="postgres")
    return spent


def budget(before: dict[str, float], pids: dict[str, int], postgres: bool, senders: float, n: int) -> str:
    """Where one click's CPU went, from its send to its last outbox call (`budget_start` before the cell,
    the load generator's own count), and about how many clicks a second all of it allows on this machine's
    cores: however the work is spread, a closed loop of S senders then waits about S / that per click.
    PostgreSQL's share includes its background work meanwhile (autovacuum after the bulk inserts)."""
    after = budget_start(pids, postgres)
    spent = {name: (after[name] - before[name]) / n * 1000 for name in before}
    spent["load generator"] = senders / n * 1000
    total = sum(spent.values())
    parts = ", ".join(f"{name} {ms:.1f}" for name, ms in spent.items())
    cores = os.cpu_count() or 1
    most = cores * 1000 / total
    return f"CPU ms per click: {parts}; total {total:.1f} (about {most:.0f} clicks/s on {cores} cores)"


async def quiet(standin_port: int, within: float = 120) -> None:
    """Wait until the stand-in has heard nothing new for a second (the outbox has caught up)."""
    url = f"http://127.0.0.1:{standin_port}/bench/updates"
    last: Any = None
    deadline = time.monotonic() + within
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            async with session.get(url) as response:
                counts = (await response.json())["counts"]
            if counts == last:
                return
            last = counts
            await asyncio.sleep(1)


async def card_updates(standin_port: int) -> dict[str, float]:
    url = f"http://127.0.0.1:{standin_port}/bench/updates"
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return (await response.json())["updates"]


# ---- the run --------------------------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(description="gtm-bot benchmarks")
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--url", default=os.environ.get("GTM_BENCH_DATABASE_URL", DEFAULT_PG))
    parser.add_argument("--quick", action="store_true", help="a tenth of the data and requests")
    parser.add_argument(
        "--workers", type=int, default=1, help="`gtm-bot serve --workers N` (N > 1 needs PostgreSQL)"
    )
    parser.add_argument(
        "--only",
        help="just these cells of gtm-bot, no bare apps: WORKLOAD@SENDERS,... (owner@50,glossary@50)",
    )
    args = parser.parse_args()
    only = {(w, int(c)) for w, c in (cell.split("@") for cell in args.only.split(","))} if args.only else None
    factor = 10 if args.quick else 1
    scale = data.Scale(
        accounts=100_000 // factor,
        hierarchies=10_000 // factor,
        people=1_000,
        audit_events=1_000_000 // factor,
        opportunities=50_000 // factor,
    )
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        url = f"sqlite+aiosqlite:///{work / 'bench.db'}" if args.db == "sqlite" else args.url
        workers = f", serve --workers {args.workers}" if args.workers > 1 else ""
        print(f"# gtm-bot benchmarks: {args.db}{workers}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
        print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
              f"Python {platform.python_version()}, {platform.platform()}")  # fmt: skip
        print(python_speed())
        asyncio.run(reset(url))
        people = data.write_org(work / "org.yaml", scale.people)
        actors = data.owners(people)
        roots = data.write_accounts(work / "accounts.csv", scale, actors)
        run_import(url, "org", work / "org.yaml")
        import_s = run_import(url, "accounts", work / "accounts.csv")
        big_children = 40_000 // factor
        big_child = data.write_big_hierarchy(work / "big.csv", big_children, actors[0])
        big_s = run_import(url, "accounts", work / "big.csv")
        fills = asyncio.run(fill_history(url, scale, actors))
        print(f"\n## Scale: {scale.accounts:,} accounts in {scale.hierarchies:,} hierarchies, "
              f"{scale.people:,} people, {scale.opportunities:,} opportunities, "
              f"{scale.audit_events // 50:,} requests, "
              f"{scale.audit_events:,} audit events\n")  # fmt: skip
        print(f"- `gtm-bot import accounts` ({scale.accounts:,} rows, one transaction): **{import_s:.1f} s**")
        print(f"- then one hierarchy of {big_children:,} children (`gtm-bot import accounts`): {big_s:.1f} s")
        print("- bulk inserts (setup, not the product): "
              + ", ".join(f"{k} {v:.1f} s" for k, v in fills.items()))  # fmt: skip
        timings, plans = asyncio.run(time_queries(url, roots, 50 if args.quick else 300, big_child))
        print("\n| query (in-process, warm) | p50 ms | p99 ms | max ms |\n|---|---:|---:|---:|")
        for t in timings:
            print(f"| {t.name} | {t.p50:.2f} | {t.p99:.2f} | {t.worst:.2f} |")
        print("\nQuery plans of every SELECT those ran:\n")
        print("\n".join(plans))

        standin_port, bot_port, bare_port, pbr_port = (free_port() for _ in range(4))
        env = env_for(url, standin_port)
        total_clicks = sum({1: 200, 10: 500, 50: 800}.values()) // factor + 20
        with process(
            [sys.executable, "-m", "bench.processes", "standin", str(standin_port)], env, standin_port
        ) as standin:
            clicks = asyncio.run(make_pending(url, roots, total_clicks, standin_port))
            names = [name for _id, name in roots[: len(roots) // 2]]
            workloads = ["glossary", "stage", "owner", "segment", "click"]
            standin_url = f"http://127.0.0.1:{standin_port}/"
            global RESPOND
            RESPOND = standin_url + "respond/bench"
            cells: list[Cell] = []
            bare = (("bare Bolt (default)", []), ("bare Bolt (before-response)", ["--before-response"]))
            for label, extra in bare if only is None else ():
                port = bare_port if not extra else pbr_port
                argv = [
                    sys.executable,
                    "-m",
                    "bench.processes",
                    "bare",
                    str(port),
                    "--standin-url",
                    standin_url,
                ]
                with process(argv + extra, env, port):
                    fake = [(i, i) for i in range(1, 3000)]  # the bare apps only ack; any value does
                    events = f"http://127.0.0.1:{port}/slack/events"
                    found, _ = run_cells(label, events, workloads, names, fake, args.quick, standin_port)
                    cells += found
            serve = [sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port", str(bot_port)]
            serve += ["--workers", str(args.workers)] if args.workers > 1 else []
            with process(serve, env, bot_port) as server:
                before = rss_mb(server.pid)
                found, click_sent = run_cells(
                    "gtm-bot",
                    f"http://127.0.0.1:{bot_port}/slack/events",
                    workloads,
                    names,
                    clicks,
                    args.quick,
                    standin_port,
                    {"bot": server.pid, "Slack stand-in": standin.pid},
                    postgres=args.db == "postgres",
                    only=only,
                )
                cells += found
                asyncio.run(quiet(standin_port))  # let the outbox finish the last card updates
                after = rss_mb(server.pid)
                updates = asyncio.run(card_updates(standin_port))
        report_load(cells, clicks, click_sent, updates)
        print(f"\n## Memory\n\n`gtm-bot serve` resident size: {before[0]:.0f} MB after start, "
              f"{after[0]:.0f} MB after the load (peak {after[1]:.0f} MB); proportional (Pss, shared pages "
              f"counted once): {before[2]:.0f} MB after start, {after[2]:.0f} MB after the load. "
              f"Each process after the load: {after[3]} MB.")  # fmt: skip


def report_load(
    cells: list[Cell], clicks: list[tuple[int, int]], click_sent: dict[int, float], updates: dict[str, float]
) -> None:
    print("\n## Ack latency and throughput (signed requests over HTTP; load generator in its own process)\n")
    print("| app | request | senders | p50 ms | p99 ms | req/s |\n|---|---|---:|---:|---:|---:|")
    for c in cells:
        print(
            f"| {c.app} | {c.workload} | {c.concurrency} | {c.p50:.2f} | {c.p99:.2f} | {c.throughput:,.0f} |"
        )
    by = {(c.app, c.workload, c.concurrency): c for c in cells}
    print("\nRatios gtm-bot / bare (throughput: higher is better; p99: lower is better)\n")
    print("| request | senders | req/s vs default | p99 vs default | req/s vs before-response | "
          "p99 vs before-response |\n|---|---:|---:|---:|---:|---:|")  # fmt: skip
    for c in (
        c for c in cells if c.app == "gtm-bot" and ("bare Bolt (default)", c.workload, c.concurrency) in by
    ):
        d = by[("bare Bolt (default)", c.workload, c.concurrency)]
        b = by[("bare Bolt (before-response)", c.workload, c.concurrency)]
        print(f"| {c.workload} | {c.concurrency} | {c.throughput / d.throughput:.2f} | {c.p99 / d.p99:.2f} | "
              f"{c.throughput / b.throughput:.2f} | {c.p99 / b.p99:.2f} |")  # fmt: skip
    lookups = [c for c in cells if c.app == "gtm-bot" and c.workload in ("owner", "segment")]
    if any(("gtm-bot", "glossary", c.concurrency) in by for c in lookups):
        print("\nLook-ups against `/glossary` in the same run (throughput; p99)\n")
        print("| request | senders | req/s vs glossary | p99 ms |\n|---|---:|---:|---:|")
        for c in (c for c in lookups if ("gtm-bot", "glossary", c.concurrency) in by):
            glossary = by[("gtm-bot", "glossary", c.concurrency)]
            print(
                f"| {c.workload} | {c.concurrency} | {c.throughput / glossary.throughput:.2f} | {c.p99:.2f} |"
            )
    for c in (c for c in cells if c.extra):
        print(f"\n{c.workload} at {c.concurrency} senders: {c.extra}")
    steps = {request_id: step_id for request_id, step_id in clicks}
    waits = []
    for request_id, at in click_sent.items():
        key = f"D{data.APPROVER[1:]}:{steps[request_id]}.000100"
        if key in updates:
            waits.append((updates[key] - at) * 1000)
    if waits:
        print(f"\nClick to card updated in Slack (decision committed, chat.update via the outbox): "
              f"{len(waits)}/{len(click_sent)} updated, p50 {percentile(waits, 50):.1f} ms, "
              f"p99 {percentile(waits, 99):.1f} ms, max {max(waits):.1f} ms")  # fmt: skip
    else:
        print("\nno card updates recorded")


if __name__ == "__main__":
    main()
