"""Generated directories for the benchmarks: an org YAML, an accounts CSV, and bulk rows for the rest.

Deterministic (seeded), so two runs measure the same data. The files go through the real importer;
opportunities, requests and the audit trail are bulk-inserted (the scale test is about queries on them).
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.features.directory.importer import ACCOUNT_HEADER

REGIONS = """regions:
  - {name: US-East, country: US, states: [NY, NJ, MA, PA, FL, GA, NC, VA, DC, MD, CT, OH, MI]}
  - {name: US-West, country: US, states: [CA, WA, OR, NV, AZ, CO, UT, TX, IL, MN]}
  - {name: EMEA, countries: [GB, DE, FR, NL, ES, IT, SE, IE, IL, AE, ZA]}
  - {name: APAC, countries: [AU, NZ, JP, SG, IN, KR, CN]}
  - {name: LATAM, countries: [BR, MX, AR, CL, CO]}
"""
PLACES = [
    ("US", "NY"),
    ("US", "CA"),
    ("US", "MA"),
    ("US", "TX"),
    ("GB", ""),
    ("DE", ""),
    ("JP", ""),
    ("BR", ""),
]
SYLLABLES = [a + b for a in "kmnrtvzbdfghjlps" for b in "aeiou"]
SUFFIXES = ["Inc", "Corp", "Systems", "Labs", "Group", "Holdings", "Partners", "Logistics", "Foods", "Bank"]
CHILD_SUFFIXES = ["GmbH", "UK Ltd", "Japan KK", "Brasil Ltda", "West", "East", "Services", "Research"]

VIEWER = "UBAE0001"  # an AE (US-East, Mid-Market) who sends the read-only commands
APPROVER = "UBSAL0001"  # the SAL the benchmark's ownership requests wait on
PUBLIC_VIEWER = "UBPUB0001"


@dataclass(frozen=True)
class Scale:
    accounts: int = 100_000
    hierarchies: int = 10_000
    people: int = 1_000
    audit_events: int = 1_000_000
    opportunities: int = 50_000


def company(rng: random.Random) -> str:
    word = "".join(rng.choices(SYLLABLES, k=rng.randint(2, 4)))
    return f"{word.capitalize()} {rng.choice(SUFFIXES)}"


def people(n: int) -> list[dict[str, Any]]:
    """A fixed shape: leaders first, then SALs, AEs and SDRs; a few public-sector SALs."""
    out: list[dict[str, Any]] = [
        {"slack_id": "UBCRO0001", "role": "CRO"},
        {"slack_id": "UBVP0001", "role": "VP", "manager": "UBCRO0001"},
        {"slack_id": "UBRD0001", "role": "RD", "region": "US-East", "segment": "Large",
         "manager": "UBVP0001"},
        {"slack_id": "UBRD0002", "role": "RD", "region": "US-West", "segment": "Large",
         "manager": "UBVP0001"},
        {"slack_id": "UBASM0001", "role": "ASM", "region": "US-East", "segment": "Mid-Market",
         "manager": "UBVP0001", "team_lead": True},
        {"slack_id": "UBOPS0001", "role": "SALES_OPS"},
        {"slack_id": "UBADM0001", "role": "ADMIN"},
        {"slack_id": PUBLIC_VIEWER, "role": "SAL", "region": "US-East", "segment": "Large",
         "manager": "UBRD0001", "public_sector": True},
    ]  # fmt: skip
    kinds = [("SAL", "Large", "UBRD0001"), ("AE", "Mid-Market", "UBASM0001"), ("SDR", None, "UBASM0001")]
    i = 0
    while len(out) < n:
        role, segment, manager = kinds[i % 3]
        region = "US-East" if i % 2 == 0 else "US-West"
        person = {"slack_id": f"UB{role}{i // 3 + 1:04d}", "role": role, "region": region, "manager": manager}
        if segment:
            person["segment"] = segment
        out.append(person)
        i += 1
    for p in out:
        p["name"] = f"Person {p['slack_id'][2:].title()}"
        p["email"] = f"{p['slack_id'].lower()}@bench.example"
    return out


def write_org(path: Path, n: int) -> list[dict[str, Any]]:
    found = people(n)
    lines = [REGIONS, "people:"]
    for p in found:
        fields = ", ".join(f"{k}: {str(v).lower() if isinstance(v, bool) else v}" for k, v in p.items())
        lines.append(f"  - {{{fields}}}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return found


def owners(found: list[dict[str, Any]]) -> list[str]:
    return [p["slack_id"] for p in found if p["role"] in ("SAL", "AE") and not p.get("public_sector")]


def write_accounts(path: Path, scale: Scale, owner_ids: list[str], seed: int = 8) -> list[tuple[str, str]]:
    """100,000 accounts in 10,000 hierarchies; returns (account_id, name) of every root."""
    rng = random.Random(seed)
    roots: list[tuple[str, str]] = []
    per = scale.accounts // scale.hierarchies
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(ACCOUNT_HEADER)
        written = 0
        for h in range(scale.hierarchies):
            name = f"{company(rng)} {h}"
            root_id = f"A{h:05d}"
            public = h % 50 == 49  # 2% public sector
            owner = PUBLIC_VIEWER if public else rng.choice(owner_ids)
            roots.append((root_id, name))
            size = per if h < scale.hierarchies - 1 else scale.accounts - written
            for j in range(size):
                country, state = rng.choice(PLACES)
                account_id = root_id if j == 0 else f"{root_id}-{j:03d}"
                parent = "" if j == 0 else (root_id if j < 4 else f"{root_id}-{rng.randint(1, 3):03d}")
                label = name if j == 0 else f"{name} {rng.choice(CHILD_SUFFIXES)} {j}"
                employees = str(rng.choice([40, 250, 900, 1800, 2500, 12000]))
                holder = owner if j == 0 or rng.random() < 0.7 else rng.choice(owner_ids)
                out.writerow(
                    [account_id, label, parent, holder,
                     rng.choice(["Customer", "Prospect"]), "true" if j == 0 and h % 7 == 0 else "false",
                     f"{name.split()[0].lower()}.example", employees, "", "", "", "", country, state,
                     "", "", "", "", "", "", "true" if public else "false", ""]
                )  # fmt: skip
                written += 1
    return roots


BIG_ROOT = "ABIG00000"


def write_big_hierarchy(path: Path, children: int, owner: str) -> str:
    """One more hierarchy: an ultimate parent with `children` direct children (the 40,000-child case);
    returns the id of a child in the middle."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(ACCOUNT_HEADER)
        for j in range(children + 1):
            account_id = BIG_ROOT if j == 0 else f"{BIG_ROOT}-{j:05d}"
            out.writerow(
                [account_id, "Bigco Worldwide" if j == 0 else f"Bigco Branch {j}", "" if j == 0 else BIG_ROOT,
                 owner, "Customer", "false", "bigco.example", str(40 + j % 3000), "", "", "", "", "US", "NY",
                 "", "", "", "", "", "", "false", ""]
            )  # fmt: skip
    return f"{BIG_ROOT}-{children // 2:05d}"


def opportunities(scale: Scale, owner_ids: list[str], seed: int = 9) -> Iterator[dict[str, Any]]:
    rng = random.Random(seed)
    stages = ["0-Pending Acceptance", "1-Discovery", "2-Scoping", "3-Technical Evaluation", "Closed Won"]
    for i in range(scale.opportunities):
        h = rng.randrange(scale.hierarchies)
        yield {
            "opportunity_id": f"O{i:06d}",
            "name": f"Deal {i} - {rng.randint(10, 900)} Premium",
            "account_id": f"A{h:05d}",
            "owner": rng.choice(owner_ids),
            "stage": rng.choice(stages),
            "type": "New Business",
            "created_date": date(2026, 1, 1) + timedelta(days=rng.randrange(300)),
            "amount": float(rng.randrange(1000, 200000)),
            "close_date": date(2027, 1, 1) + timedelta(days=rng.randrange(300)),
            "parent_opportunity_id": None,
            "sdr": None,
        }


def audit_events(n: int, requests: int, actors: list[str], seed: int = 10) -> Iterator[dict[str, Any]]:
    rng = random.Random(seed)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    actions = ["requested", "step_opened", "approved", "applied", "reminded", "rejected_step"]
    for i in range(n):
        yield {
            "request_id": rng.randint(1, requests) if requests else None,
            "actor": rng.choice(actors),
            "action": rng.choice(actions),
            "detail": {"step": "current owner", "n": i},
            "at": start + timedelta(seconds=i * 20),
        }
