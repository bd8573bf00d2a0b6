"""Resident memory of the directory read cache, by component (what `gtm-bot serve` keeps per process).

    python -m bench.memory                    # 100,000 accounts + the 40,000-child hierarchy, temp SQLite
    python -m bench.memory --keep /tmp/dir    # keep (or reuse) the generated database there
    python -m bench.memory --trace            # also Python's own allocations (tracemalloc), exact but slower

It generates the bench directory (bench/data.py: 1,000 people, 100,000 accounts in 10,000 hierarchies,
5,000 opportunities), imports it with `gtm-bot import`, adds one hierarchy of 40,000 children, then in this
process takes the resident size after `gc.collect()` and `malloc_trim` (freed memory handed back) at each
step of filling one DirectoryCache (bot/features/directory/cache.py) as `/gtm owner` does:

1. the first look-up: people, regions and the account-name index with every account's ultimate parent;
2. `/gtm owner` on the roots of 7,000 hierarchies (70,000 accounts): the hierarchy cache up to its bound;
3. `/gtm owner` on a child of the 40,000-child hierarchy.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import gc
import os
import tempfile
import time
import tracemalloc
from pathlib import Path

from bench import data
from bench.run import rss_mb

SCALE = data.Scale(accounts=100_000, hierarchies=10_000, people=1_000, audit_events=0, opportunities=5_000)
ASKED = 7_000  # hierarchies asked in step 2 (10 accounts each: past the cache's bound)


def settle() -> float:
    """Resident MB after a full collection, with free heap memory handed back to the system."""
    gc.collect()
    with contextlib.suppress(OSError):  # not glibc: RSS keeps what the allocator holds
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    return rss_mb(os.getpid())[0]


def generate(work: Path, url: str) -> tuple[list[tuple[str, str]], str]:
    from bench.profile import generate as generate_at

    return generate_at(work, url, SCALE)


async def measure(url: str, roots: list[tuple[str, str]], big_child: str, trace: bool) -> list[str]:
    from bot.features.directory.cache import DirectoryCache
    from storage.db import Database

    db = Database(url)
    assert await db.ping()
    cache = DirectoryCache()
    lines = [
        "| step | resident MB | + MB | seconds |" + (" traced + MB |" if trace else ""),
        "|---|---:|---:|---:|",
    ]
    if trace:
        lines[1] += "---:|"
        tracemalloc.start()
    start_rss = last = settle()
    lines.append(f"| start (modules, engines) | {start_rss:.0f} | | |{' |' if trace else ''}")
    traced = tracemalloc.get_traced_memory()[0] if trace else 0

    async def step(label: str, work: object) -> None:
        nonlocal last, traced
        began = time.perf_counter()
        await work  # type: ignore[misc]
        took = time.perf_counter() - began
        now = settle()
        row = f"| {label} | {now:.0f} | {now - last:+.0f} | {took:.1f} |"
        if trace:
            current = tracemalloc.get_traced_memory()[0]
            row += f" {(current - traced) / 2**20:+.1f} |"
            traced = current
        lines.append(row)
        last = now

    async def first() -> None:
        found = await cache.lookup(db, data.VIEWER, roots[0][1], opportunities=True)
        assert found.view is not None

    async def many() -> None:
        for account_id, _name in roots[1 : ASKED + 1]:
            await cache.lookup(db, data.VIEWER, account_id, opportunities=True)

    async def big() -> None:
        found = await cache.lookup(db, data.VIEWER, big_child, opportunities=True)
        assert found.view is not None and len(found.view.hierarchy.members) > 40_000

    await step("people, regions, account-name index (100,000 + 40,001 accounts)", first())
    await step(f"{ASKED:,} hierarchies asked (cache bound {cache.max_members:,} members)", many())
    lines[-1] = lines[-1].replace("members)", f"members; {cache._members:,} kept)", 1)
    await step("a child of the 40,000-child hierarchy", big())
    lines.append(f"| total | {last:.0f} | {last - start_rss:+.0f} | |{' |' if trace else ''}")
    await db.dispose()
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description="resident memory of the directory read cache")
    parser.add_argument("--keep", type=Path, help="a directory to keep (or reuse) the generated database in")
    parser.add_argument("--trace", action="store_true", help="also report tracemalloc's traced bytes")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        url = f"sqlite+aiosqlite:///{work / 'memory.db'}"
        if args.keep and (work / "memory.db").exists() and (work / "accounts.csv").exists():
            roots = [(f"A{h:05d}", "") for h in range(SCALE.hierarchies)]
            with (work / "accounts.csv").open(encoding="utf-8") as handle:
                names = {line.split(",", 2)[0]: line.split(",", 2)[1] for line in handle}
            roots = [(i, names[i]) for i, _n in roots]
            big_child = f"{data.BIG_ROOT}-{20_000:05d}"
        else:
            roots, big_child = generate(work, url)
        print("\n".join(asyncio.run(measure(url, roots, big_child, args.trace))))


if __name__ == "__main__":
    main()
