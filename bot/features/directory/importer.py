"""Parse and validate the directory files (org YAML, accounts CSV, opportunities CSV).

Every problem is reported as `FILE:LINE: what is wrong`; nothing is written unless the whole file is good.
The write lock is held only in short transactions (see import_file).
"""

from __future__ import annotations

import contextlib
import csv
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Protocol

import yaml

from bot.handbook.directory import AccountType, Role, Segment
from bot.handbook.opptypes import addon_parent_problem
from bot.inputs import has_control_characters, parse_count
from storage.staging import ImportStagingRepository

ACCOUNT_HEADER = [
    "account_id",
    "name",
    "parent_id",
    "owner",
    "type",
    "named",
    "website",
    "employees_datafox",
    "employees_zoominfo",
    "employees_override",
    "override_country",
    "override_state",
    "datafox_country",
    "datafox_state",
    "zoominfo_country",
    "zoominfo_state",
    "shipping_country",
    "shipping_state",
    "billing_country",
    "billing_state",
    "public_sector",
    "sdr",
]
OPPORTUNITY_HEADER = [
    "opportunity_id",
    "name",
    "account_id",
    "owner",
    "stage",
    "type",
    "created_date",
    "amount",
    "close_date",
    "parent_opportunity_id",
    "sdr",
]
ADDRESS_FIELDS = [f for f in ACCOUNT_HEADER if f.endswith(("_country", "_state"))]
SLACK_ID = re.compile(r"[UW][A-Z0-9]{2,31}")  # matched whole
# The longest value each column holds (storage/models.py); owner and sdr are looked up, not stored.
ACCOUNT_LIMITS = {"account_id": 64, "name": 255, "parent_id": 64, "website": 255}
OPPORTUNITY_LIMITS = {"opportunity_id": 64, "name": 255, "account_id": 64, "type": 64,
                      "parent_opportunity_id": 64}  # fmt: skip
CELL_LIMIT = 320  # any other cell (an email is the longest thing that fits)
PERSON_LIMITS = {"name": 200, "email": 320}
REGION_LIMIT = 64
MAX_DEPTH = 50  # the org file is two levels deep; a YAML nested thousands deep is refused, not parsed


class ImportFailed(Exception):
    def __init__(self, path: Path | str, line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}")
        self.path, self.line, self.message = str(path), line, message


@dataclass(frozen=True)
class OrgFile:
    regions: list[dict[str, Any]]
    people: list[dict[str, Any]]


# ---- org YAML ---------------------------------------------------------------------------------------
class _LineLoader(yaml.SafeLoader):
    """Records the line of every mapping under the key `__line__`."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    mapping = yaml.SafeLoader.construct_mapping(loader, node, deep=deep)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _bool(value: Any, path: Path, line: int, field: str) -> bool:
    if value is None or value == "":
        return False
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "false"):
        return text == "true"
    raise ImportFailed(path, line, f"{field} must be true or false, got {value!r}")


def _codes(value: Any, path: Path, line: int, field: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ImportFailed(path, line, f"{field} must be a list of codes")
    return [v.strip().upper() for v in value]


def _too_deep(text: str) -> int | None:
    """The first line where brackets or indentation nest deeper than MAX_DEPTH, before the parser recurses."""
    depth = 0
    for number, line in enumerate(text.splitlines(), 1):
        indent = len(line) - len(line.lstrip(" -"))
        for char in line:
            depth += (char in "[{") - (char in "]}")
            if depth > MAX_DEPTH:
                return number
        if indent > 2 * MAX_DEPTH:
            return number
    return None


def _text(value: Any, path: Path, line: int, field: str, limit: int) -> str:
    text = str(value or "").strip()
    if has_control_characters(text):
        raise ImportFailed(path, line, f"{field} has a control character (such as NUL)")
    if len(text) > limit:
        raise ImportFailed(path, line, f"{field} is longer than {limit} characters")
    return text


def parse_org(path: Path) -> OrgFile:
    try:
        source = path.read_text(encoding="utf-8")
        deep = _too_deep(source)
        if deep is not None:
            raise ImportFailed(path, deep, f"nested more than {MAX_DEPTH} levels deep")
        data = yaml.load(source, Loader=_LineLoader)  # noqa: S506 (SafeLoader subclass)
    except RecursionError:
        raise ImportFailed(path, 1, f"nested more than {MAX_DEPTH} levels deep") from None
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 1
        raise ImportFailed(path, line, f"not valid YAML: {exc.problem}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ImportFailed(path, 1, f"cannot read: {exc}") from exc
    if not isinstance(data, dict):
        raise ImportFailed(path, 1, "expected a mapping with 'regions' and 'people'")
    regions: list[dict[str, Any]] = []
    seen_regions: set[str] = set()
    for position, item in enumerate(data.get("regions") or []):
        if not isinstance(item, dict):
            raise ImportFailed(path, data.get("__line__", 1), "each region must be a mapping")
        line = item["__line__"]
        name = _text(item.get("name"), path, line, "region name", REGION_LIMIT)
        if not name:
            raise ImportFailed(path, line, "region needs a name")
        if name in seen_regions:
            raise ImportFailed(path, line, f"region {name!r} appears twice")
        seen_regions.add(name)
        countries = _codes(item.get("countries"), path, line, "countries") + _codes(
            item.get("country"), path, line, "country"
        )
        if not countries:
            raise ImportFailed(path, line, f"region {name!r} needs a country or countries")
        states = _codes(item.get("states"), path, line, "states")
        if states and len(countries) != 1:
            raise ImportFailed(path, line, f"region {name!r}: a state list narrows exactly one country")
        regions.append({"name": name, "position": position, "countries": countries, "states": states})
    people: list[dict[str, Any]] = []
    seen: set[str] = set()
    emails: set[str] = set()
    for item in data.get("people") or []:
        if not isinstance(item, dict):
            raise ImportFailed(path, data.get("__line__", 1), "each person must be a mapping")
        line = item["__line__"]
        slack_id = str(item.get("slack_id") or "").strip()
        if not SLACK_ID.fullmatch(slack_id):
            raise ImportFailed(path, line, f"slack_id {slack_id!r} is not a Slack user id (like U0123ABC)")
        if slack_id in seen:
            raise ImportFailed(path, line, f"slack_id {slack_id} appears twice")
        seen.add(slack_id)
        name = _text(item.get("name"), path, line, "name", PERSON_LIMITS["name"])
        if not name:
            raise ImportFailed(path, line, f"{slack_id} needs a name")
        email = _text(item.get("email"), path, line, "email", PERSON_LIMITS["email"]).lower()
        if email:
            if "@" not in email:
                raise ImportFailed(path, line, f"email {email!r} is not an email address")
            if email in emails:
                raise ImportFailed(path, line, f"email {email} appears twice")
            emails.add(email)
        role = str(item.get("role") or "").strip().upper()
        if role not in Role.__members__:
            raise ImportFailed(path, line, f"role {item.get('role')!r} must be one of {', '.join(Role)}")
        region = item.get("region")
        if region is not None and str(region) not in seen_regions:
            raise ImportFailed(path, line, f"region {region!r} is not in the regions list")
        segment = item.get("segment")
        if segment is not None and str(segment) not in {s.value for s in Segment}:
            raise ImportFailed(path, line, f"segment {segment!r} must be Large, Mid-Market or SMB")
        people.append(
            {
                "slack_id": slack_id,
                "name": name,
                "email": email,
                "role": role,
                "region": str(region) if region is not None else None,
                "segment": str(segment) if segment is not None else None,
                "manager": str(item["manager"]).strip() if item.get("manager") else None,
                "team_lead": _bool(item.get("team_lead"), path, line, "team_lead"),
                "public_sector": _bool(item.get("public_sector"), path, line, "public_sector"),
                "e_group": _bool(item["e_group"], path, line, "e_group")
                if item.get("e_group") is not None
                else role in (Role.CRO.value, Role.VP.value),
                "__line__": line,
            }
        )
    for person in people:
        if person["manager"] and person["manager"] not in seen:
            raise ImportFailed(
                path, person["__line__"], f"manager {person['manager']} is not in the people list"
            )
    for person in people:
        person.pop("__line__")
    return OrgFile(regions=regions, people=people)


# ---- CSV ---------------------------------------------------------------------------------------------
def _rows(path: Path, header: list[str], limits: Mapping[str, int]) -> Iterable[tuple[int, dict[str, str]]]:
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise ImportFailed(path, 1, f"cannot read: {exc}") from exc
    with handle:
        reader = csv.reader(handle)
        try:
            first = next(reader, None)
            if first is None or [h.strip() for h in first] != header:
                raise ImportFailed(path, 1, "header must be exactly: " + ",".join(header))
            for row in reader:
                if not any(cell.strip() for cell in row):
                    continue
                if len(row) != len(header):
                    raise ImportFailed(
                        path, reader.line_num, f"expected {len(header)} columns, found {len(row)}"
                    )
                cells = {k: v.strip() for k, v in zip(header, row, strict=True)}
                for field, value in cells.items():
                    if has_control_characters(value):
                        raise ImportFailed(
                            path, reader.line_num, f"{field} has a control character (such as NUL)"
                        )
                    limit = limits.get(field, CELL_LIMIT)
                    if len(value) > limit:
                        raise ImportFailed(
                            path, reader.line_num, f"{field} is longer than {limit} characters"
                        )
                yield reader.line_num, cells
        except csv.Error as exc:
            raise ImportFailed(path, reader.line_num, f"not valid CSV: {exc}") from exc
        except UnicodeDecodeError as exc:
            raise ImportFailed(path, reader.line_num + 1, "not UTF-8 text") from exc


def _int(value: str, path: Path, line: int, field: str) -> int | None:
    if value == "":
        return None
    count = parse_count(value.replace(",", ""))
    if count is None:
        raise ImportFailed(path, line, f"{field} must be a whole number of 0 or more, got {value!r}")
    return count


def _person(value: str, people: Mapping[str, str], path: Path, line: int, field: str) -> str | None:
    """A slack_id or an email from the org file -> slack_id."""
    if value == "":
        return None
    found = people.get(value) or people.get(value.lower())
    if found is None:
        raise ImportFailed(path, line, f"{field} {value!r} is not a slack_id or email in the org file")
    return found


def parse_accounts(path: Path, people: Mapping[str, str]) -> list[dict[str, Any]]:
    """`people` maps slack_id and lower-case email to slack_id."""
    rows: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    types = {t.value.lower(): t.value for t in AccountType}
    for line, row in _rows(path, ACCOUNT_HEADER, ACCOUNT_LIMITS):
        account_id = row["account_id"]
        if not account_id:
            raise ImportFailed(path, line, "account_id is empty")
        if account_id in seen:
            raise ImportFailed(path, line, f"account_id {account_id} already on line {seen[account_id]}")
        seen[account_id] = line
        if not row["name"]:
            raise ImportFailed(path, line, "name is empty")
        if row["parent_id"] == account_id:
            raise ImportFailed(path, line, "an account cannot be its own parent")
        account_type = row["type"]
        if account_type and account_type.lower() not in types:
            raise ImportFailed(
                path, line, f"type {account_type!r} must be one of {', '.join(types.values())}"
            )
        out: dict[str, Any] = {
            "account_id": account_id,
            "name": row["name"],
            "parent_id": row["parent_id"] or None,
            "owner": _person(row["owner"], people, path, line, "owner"),
            "type": types[account_type.lower()] if account_type else None,
            "named": _bool(row["named"], path, line, "named"),
            "website": row["website"] or None,
            "public_sector": _bool(row["public_sector"], path, line, "public_sector"),
            "sdr": _person(row["sdr"], people, path, line, "sdr"),
        }
        for field in ("employees_datafox", "employees_zoominfo", "employees_override"):
            out[field] = _int(row[field], path, line, field)
        for field in ADDRESS_FIELDS:
            out[field] = row[field].upper() or None
        out["__line__"] = line
        rows.append(out)
    _refuse_cycles(rows, path)
    return rows


def _refuse_cycles(rows: list[dict[str, Any]], path: Path) -> None:
    """A parent chain inside the file that comes back to where it started (A -> B -> A) has no ultimate
    parent: refused on the line of the first account in the loop."""
    parent = {r["account_id"]: r["parent_id"] for r in rows}
    line = {r["account_id"]: r["__line__"] for r in rows}
    done: set[str] = set()
    for start in parent:
        trail: list[str] = []
        node: str | None = start
        while node is not None and node in parent and node not in done:
            if node in trail:
                loop = trail[trail.index(node) :]
                first = min(loop, key=line.__getitem__)
                chain = " -> ".join([*loop[loop.index(first) :], *loop[: loop.index(first)], first])
                raise ImportFailed(path, line[first], f"parent_id makes a loop: {chain}")
            trail.append(node)
            node = parent[node]
        done.update(trail)


def _date(value: str, path: Path, line: int, field: str) -> date | None:
    if value == "":
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ImportFailed(path, line, f"{field} must be a date as YYYY-MM-DD, got {value!r}") from None


def parse_opportunities(path: Path, people: Mapping[str, str]) -> list[dict[str, Any]]:
    from bot.handbook.stages import parse_stage

    rows: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for line, row in _rows(path, OPPORTUNITY_HEADER, OPPORTUNITY_LIMITS):
        opportunity_id = row["opportunity_id"]
        if not opportunity_id:
            raise ImportFailed(path, line, "opportunity_id is empty")
        if opportunity_id in seen:
            raise ImportFailed(
                path, line, f"opportunity_id {opportunity_id} already on line {seen[opportunity_id]}"
            )
        seen[opportunity_id] = line
        if not row["name"]:
            raise ImportFailed(path, line, "name is empty")
        if not row["account_id"]:
            raise ImportFailed(path, line, "account_id is empty")
        match = parse_stage(row["stage"]) if row["stage"] else None
        if match is None:
            raise ImportFailed(path, line, f"stage {row['stage']!r} is not a stage the handbook names")
        amount: float | None = None
        if row["amount"]:
            try:
                amount = float(row["amount"].replace(",", ""))
            except ValueError:
                raise ImportFailed(path, line, f"amount must be a number, got {row['amount']!r}") from None
        rows.append(
            {
                "opportunity_id": opportunity_id,
                "name": row["name"],
                "account_id": row["account_id"],
                "owner": _person(row["owner"], people, path, line, "owner"),
                "stage": match.stage.label,
                "type": row["type"] or None,
                "created_date": _date(row["created_date"], path, line, "created_date"),
                "amount": amount,
                "close_date": _date(row["close_date"], path, line, "close_date"),
                "parent_opportunity_id": row["parent_opportunity_id"] or None,
                "sdr": _person(row["sdr"], people, path, line, "sdr"),
                "__line__": line,
            }
        )
    return rows


# ---- the use-case: parse, check references, write in one transaction -------------------------------
class Progress(Protocol):
    """Hears how an import goes: a phase starts with its total, then advances by rows done."""

    def start(self, phase: str, total: int) -> None: ...

    def advance(self, done: int) -> None: ...


class _Silent:
    def start(self, phase: str, total: int) -> None:
        pass

    def advance(self, done: int) -> None:
        pass


STAGE_CHUNK = 5000  # rows per staging transaction: each holds SQLite's write lock for a few tens of ms


async def import_file(db: Any, kind: str, path: Path, progress: Progress | None = None) -> int:
    """Import one file; returns rows written. Raises ImportFailed and writes nothing on a bad row.

    The file is parsed and checked against the directory without holding the write lock. Its rows then
    go to a staging table in short transactions, and one short transaction applies them all (a set-based
    upsert) and rebuilds the hierarchies. Until that commits, nothing of the file is in the directory;
    a failure at any point removes what was staged. So clicks never queue behind a whole import.
    """
    from storage.directory import DirectoryRepository

    progress = progress or _Silent()
    if kind == "org":  # a few hundred rows: one transaction
        org = parse_org(path)
        async with db.sessions.begin() as session:
            repo = DirectoryRepository(session)
            await repo.replace_regions(org.regions)
            await repo.upsert_people(org.people)
        return len(org.people) + len(org.regions)
    if kind not in ("accounts", "opportunities"):
        raise ValueError(f"unknown import kind {kind!r}")
    progress.start("checking", 0)
    async with db.reads() as session:
        repo = DirectoryRepository(session)
        people = await repo.person_keys()
        rows = await (_check_accounts if kind == "accounts" else _check_opportunities)(repo, path, people)
    progress.start("writing", len(rows))
    import_id = uuid.uuid4().hex
    try:
        for start in range(0, len(rows), STAGE_CHUNK):
            chunk = rows[start : start + STAGE_CHUNK]
            async with db.sessions.begin() as session:
                await ImportStagingRepository(session).stage(kind, import_id, chunk)
            progress.advance(len(chunk))
        progress.start("applying", 0)
        async with db.sessions.begin() as session:
            staging, repo = ImportStagingRepository(session), DirectoryRepository(session)
            await staging.apply(kind, import_id)
            await repo.bump_version(kind)  # the directory's "accounts" or "opportunities" version
            if kind == "accounts":
                await repo.recompute_roots()
            await staging.clear(kind, import_id)
    except BaseException:
        with contextlib.suppress(Exception):  # the import's own error is the one to report
            async with db.sessions.begin() as session:
                await ImportStagingRepository(session).clear(kind, import_id)
        raise
    return len(rows)


async def _check_accounts(repo: Any, path: Path, people: Mapping[str, str]) -> list[dict[str, Any]]:
    rows = parse_accounts(path, people)
    in_file = {r["account_id"] for r in rows}
    missing = {r["parent_id"] for r in rows if r["parent_id"] and r["parent_id"] not in in_file}
    known = await repo.existing_account_ids(missing) if missing else set()
    for row in rows:
        if row["parent_id"] and row["parent_id"] not in in_file and row["parent_id"] not in known:
            raise ImportFailed(path, row["__line__"], f"parent_id {row['parent_id']} is not a known account")
    for row in rows:
        del row["__line__"]
    return rows


async def _check_opportunities(repo: Any, path: Path, people: Mapping[str, str]) -> list[dict[str, Any]]:
    rows = parse_opportunities(path, people)
    in_file = {r["opportunity_id"]: r for r in rows}
    known = await repo.existing_account_ids(r["account_id"] for r in rows)
    for row in rows:
        if row["account_id"] not in known:
            raise ImportFailed(
                path, row["__line__"], f"account_id {row['account_id']} is not a known account"
            )
        parent = row["parent_opportunity_id"]
        if not parent:
            continue
        stored = None if parent in in_file else await repo.opportunity(parent)
        if parent not in in_file and stored is None:
            raise ImportFailed(path, row["__line__"], f"parent_opportunity_id {parent} is not known")
        parent_type = in_file[parent]["type"] if parent in in_file else stored.type
        problem = addon_parent_problem(row["type"], parent_type)
        if problem is not None:  # a bad row, like any other: nothing of the file is written
            raise ImportFailed(
                path, row["__line__"], f"parent_opportunity_id {parent} is an Add-on: {problem.reason}"
            )
    for row in rows:
        del row["__line__"]
    return rows
