"""Glossary benchmark: in-memory lookups per second, and `/glossary SAO` over HTTP against a bare ack.

    python -m bench.glossary_bench [--requests 1000]

The HTTP part is the real path: signed requests into the real aiohttp server and Bolt app, a SQLite
database in a temp dir, the Slack stand-in as the Web API. The baseline is a Bolt AsyncApp whose
/glossary listener only acks, served the same way, measured in the same run, interleaved in rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import string
import tempfile
import time
from pathlib import Path

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.app import build_app
from bot.deps import Deps
from bot.handbook.glossary import GlossaryEntry, GlossaryIndex, load_shipped_entries
from bot.server import create_web_app
from bot.settings import Settings
from bot.standin import signer
from bot.standin.web_api import SlackStandIn
from storage.db import upgrade

SECRET = "bench-signing-secret"
QUERIES = ["SAO", "sqo", "Sales Acepted Oportunity", "iacv", "holdover", "x-unknown-term", "TAM", "S.A.O."]


def generated_entries(n: int, seed: int = 7) -> list[GlossaryEntry]:
    rng = random.Random(seed)
    words = ["".join(rng.choices(string.ascii_lowercase, k=rng.randint(4, 9))) for _ in range(3000)]
    entries: list[GlossaryEntry] = []
    for i in range(n):
        name = " ".join(rng.sample(words, rng.randint(1, 3))).title() + f" {i}"
        acronym = "".join(w[0] for w in name.split()[:-1]).upper() + str(i)
        entries.append(GlossaryEntry(f"g{i}", acronym, f"Definition {i}.", "glossary", expansion=name))
    return entries


def lookups_per_second(index: GlossaryIndex, queries: list[str], seconds: float = 1.5) -> float:
    done, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        for query in queries:
            index.lookup(query)
        done += len(queries)
    return done / elapsed


def bare_app(standin_url: str) -> web.Application:
    bolt = AsyncApp(
        signing_secret=SECRET,
        client=AsyncWebClient(token="xoxb-bench", base_url=standin_url + "api/"),
        process_before_response=True,
    )

    @bolt.command("/glossary")
    async def only_ack(ack: AsyncAck) -> None:
        await ack()

    app = web.Application()

    async def events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

    app.router.add_post("/slack/events", events)
    return app


async def timed_requests(session: aiohttp.ClientSession, url: str, n: int, expect: str | None) -> list[float]:
    times: list[float] = []
    for _ in range(n):
        body, content_type = signer.command_body("/glossary", "SAO", "U0AE1", response_url="")
        headers = {"Content-Type": content_type, **signer.signed_headers(SECRET, body)}
        start = time.perf_counter()
        async with session.post(url, data=body.encode(), headers=headers) as response:
            text = await response.text()
        times.append(time.perf_counter() - start)
        if response.status != 200 or (expect and expect not in text):
            raise RuntimeError(f"unexpected answer {response.status}: {text[:200]}")
    return times


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


async def http_latency(requests: int, rounds: int = 10) -> dict[str, list[float]]:
    standin = SlackStandIn()
    standin_server = TestServer(standin.app(), host="127.0.0.1")
    await standin_server.start_server()
    standin.base_url = str(standin_server.make_url("/"))
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        await asyncio.to_thread(upgrade, url)
        settings = Settings.from_env(
            {
                "SLACK_SIGNING_SECRET": SECRET,
                "SLACK_BOT_TOKEN": "xoxb-bench",
                "SLACK_API_URL": standin.base_url + "api/",
                "DATABASE_URL": url,
            }
        )
        deps = Deps.build(settings)
        servers = {
            "gtm-bot /glossary SAO": TestServer(create_web_app(deps, build_app(deps), migrate=False)),
            "bare Bolt ack": TestServer(bare_app(standin.base_url)),
        }
        results: dict[str, list[float]] = {name: [] for name in servers}
        try:
            for server in servers.values():
                await server.start_server()
            async with aiohttp.ClientSession() as session:
                urls = {name: str(s.make_url("/slack/events")) for name, s in servers.items()}
                expects = {"gtm-bot /glossary SAO": "Sales Accepted Opportunity", "bare Bolt ack": None}
                for name in servers:  # warm up: first-use index load, auth.test, connection pools
                    await timed_requests(session, urls[name], 50, expects[name])
                for _ in range(rounds):  # interleaved, so drift on the machine hits both alike
                    for name in servers:
                        results[name] += await timed_requests(
                            session, urls[name], requests // rounds, expects[name]
                        )
        finally:
            for server in servers.values():
                await server.close()
            await standin_server.close()
            await deps.db.dispose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000, help="HTTP requests per app")
    args = parser.parse_args()

    shipped = GlossaryIndex(load_shipped_entries())
    start = time.perf_counter()
    big = GlossaryIndex(load_shipped_entries() + generated_entries(10_000))
    build = time.perf_counter() - start
    big_queries = QUERIES + [
        "Definition",
        "Zqxj Wvut 42",
        big.entries[5000].term,
        big.entries[9000].expansion or "",
    ]
    print("In-memory lookups (mixed hits, typos, misses)")
    print(f"  {'glossary':<28}{'entries':>9}{'lookups/s':>12}")
    print(f"  {'shipped':<28}{len(shipped.entries):>9}{lookups_per_second(shipped, QUERIES):>12,.0f}")
    print(f"  {'generated':<28}{len(big.entries):>9}{lookups_per_second(big, big_queries):>12,.0f}")
    print(f"  (10,000-entry index built in {build * 1000:.0f} ms)")

    results = asyncio.run(http_latency(args.requests))
    print(f"\nHTTP round trip, {args.requests} signed requests each, same run")
    print(f"  {'app':<28}{'p50 ms':>9}{'p99 ms':>9}{'mean ms':>9}")
    for name, times in results.items():
        p50, p99, mean = percentile(times, 50), percentile(times, 99), statistics.fmean(times)
        print(f"  {name:<28}{p50 * 1000:>9.2f}{p99 * 1000:>9.2f}{mean * 1000:>9.2f}")
    ours, bare = results["gtm-bot /glossary SAO"], results["bare Bolt ack"]
    ratio50 = percentile(ours, 50) / percentile(bare, 50)
    ratio99 = percentile(ours, 99) / percentile(bare, 99)
    print(f"\nratio gtm-bot / bare: p50 {ratio50:.2f}x, p99 {ratio99:.2f}x (aim: within 1.5x)")


if __name__ == "__main__":
    main()
