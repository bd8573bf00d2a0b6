"""Salesforce sync at scale: `gtm-bot sync salesforce` (a subprocess) against the stand-in.

    python -m bench.salesforce_bench [--quick]

The Salesforce and Slack stand-ins run in this process (on 127.0.0.1), seeded with bench/data.py's
directory as Salesforce records: 1,000 Users, 100,000 Accounts in 10,000 hierarchies, 50,000
Opportunities. A full sync (Bulk 2.0, users.lookupByEmail for every user) into a fresh SQLite file, then
1,000 changes in Salesforce (owners, names, parents, stages, new records, deletions) and an incremental
pass. Wall time and the sync process's peak RSS (getrusage of the child) are printed as Markdown.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import os
import random
import resource
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from aiohttp import web

from bench.data import REGIONS, Scale, opportunities, owners, people, write_accounts
from bot.crm.standin import SalesforceStandIn, account_from_row, stamp, user_record
from bot.standin.web_api import SlackStandIn


class Aged:
    """Puts records as if changed over the last 30 days, oldest first (a real org's spread of changes)."""

    def __init__(self, sf: SalesforceStandIn, total: int) -> None:
        self.sf, self.step, self.n = sf, timedelta(days=30) / total, 0

    def put(self, sobject: str, values: dict[str, Any]) -> str:
        self.sf.offset = -timedelta(days=30) + self.step * self.n
        self.n += 1
        return self.sf.put(sobject, values)


def seed(sf_: SalesforceStandIn, slack: SlackStandIn, scale: Scale, tmp: Path) -> list[str]:
    sf = Aged(sf_, scale.people + scale.accounts + scale.opportunities)
    found = people(scale.people)
    users = {p["slack_id"]: f"005BENCH{i:010d}" for i, p in enumerate(found)}
    for p in found:
        slack.add_user(p["slack_id"], p["name"], p["email"])
        sf.put("User", user_record(p, users))
    path = tmp / "accounts.csv"
    write_accounts(path, scale, owners(found))
    ids = dict(users)
    with path.open(newline="") as handle:
        for row in csv.DictReader(handle):  # parents come before their children
            ids[row["account_id"]] = row["account_id"]
            sf.put("Account", account_from_row(row, ids))
    for opp in opportunities(scale, owners(found)):
        sf.put(
            "Opportunity",
            {
                "Id": opp["opportunity_id"],
                "Name": opp["name"],
                "AccountId": opp["account_id"],
                "OwnerId": users[opp["owner"]],
                "StageName": opp["stage"],
                "Type": opp["type"],
                "CreatedDate": stamp(sf_.now()),
                "Amount": opp["amount"],
                "CloseDate": opp["close_date"].isoformat(),
            },
        )
    sf_.offset = timedelta()
    return list(users.values())


PROFILE = (
    ["-m", "cProfile", "-o", os.environ["GTM_BENCH_PROFILE"]] if os.environ.get("GTM_BENCH_PROFILE") else []
)


def change(sf: SalesforceStandIn, users: list[str], n: int) -> None:
    """n changes: owners, names, stages, a few moved parents, new accounts, deleted opportunities."""
    rng = random.Random(11)
    accounts = list(sf.records["Account"])
    opps = list(sf.records["Opportunity"])
    for i in range(n):
        kind = i % 10
        if kind < 4:
            sf.put("Account", {"Id": rng.choice(accounts), "OwnerId": rng.choice(users)})
        elif kind < 6:
            sf.put("Account", {"Id": rng.choice(accounts), "Name": f"Renamed {i}"})
        elif kind < 8:
            sf.put("Opportunity", {"Id": rng.choice(opps), "StageName": "4-Proposal"})
        elif kind == 8:
            sf.put(
                "Account", {"Name": f"New Co {i}", "OwnerId": rng.choice(users), "DataFox_Country__c": "US"}
            )
        else:
            sf.delete("Opportunity", opps.pop(rng.randrange(len(opps))))


async def run_sync(env: dict[str, str], *args: str) -> tuple[float, float, str]:
    """(seconds, peak RSS in MB, summary line) of one `gtm-bot sync salesforce` process."""
    start = time.perf_counter()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, *PROFILE, "-m", "bot.cli", "sync", "salesforce", *args, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await proc.communicate()
    seconds = time.perf_counter() - start
    if proc.returncode:
        raise SystemExit(f"sync failed ({proc.returncode}):\n{err.decode()[-3000:]}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return seconds, peak, out.decode().strip()


async def main(quick: bool) -> None:
    scale = Scale(accounts=10_000, hierarchies=1_000, people=200, opportunities=5_000) if quick else Scale()
    sf, slack = SalesforceStandIn(), SlackStandIn()
    runners = []
    for app, port in ((sf.app(), 18085), (slack.app(), 18086)):
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        runners.append(runner)
    sf.base_url = "http://127.0.0.1:18085/"
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        users = seed(sf, slack, scale, Path(tmp))
        print(f"seeded the stand-in in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        db = f"sqlite+aiosqlite:///{tmp}/bench.db"
        org = Path(tmp) / "org.yaml"
        org.write_text(REGIONS + "people: []\n")
        env = {
            **os.environ,
            "DATABASE_URL": db,
            "SALESFORCE_LOGIN_URL": sf.base_url,
            "SALESFORCE_CLIENT_ID": sf.client_id,
            "SALESFORCE_CLIENT_SECRET": sf.client_secret or "",
            "SLACK_BOT_TOKEN": "xoxb-bench",
            "SLACK_API_URL": "http://127.0.0.1:18086/api/",
        }
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "import", "org", str(org), env=env
        )
        await proc.wait()
        full = await run_sync(env)
        change(sf, users, 1000)
        incremental = await run_sync(env)
    for runner in runners:
        await runner.cleanup()
    print("\n| pass | records | wall time | peak RSS of the sync process |\n| --- | --- | --- | --- |")
    print(f"| full (Bulk 2.0) | {full[2]} | {full[0]:.1f} s | {full[1]:.0f} MB |")
    seconds, peak, summary = incremental
    print(f"| incremental, 1,000 changes | {summary} | {seconds:.1f} s | {peak:.0f} MB * |")
    print("\n\\* the peak of both sync processes (getrusage reports the largest child)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a tenth of the data")
    asyncio.run(main(parser.parse_args().quick))
