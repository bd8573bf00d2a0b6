"""A local stand-in for the parts of Salesforce's REST and Bulk 2.0 APIs that gtm-bot uses.

Token endpoint (JWT bearer and client credentials), describe, SOQL query with `nextRecordsUrl` paging,
Bulk API 2.0 query jobs (CSV results paged by `Sforce-Locator`), getDeleted, sObject GET and PATCH.
Sessions can be expired (401 INVALID_SESSION_ID) and faults queued per route (503 REQUEST_LIMIT_EXCEEDED,
429 with Retry-After, hangs). Records live in memory; `seed_samples` loads the bot's sample files.

The tests start it in-process; the playground and the bench run it with `python -m bot.crm.standin`.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import itertools
import re
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import yaml
from aiohttp import web

API = "v61.0"
BASE_FIELDS = ["Id", "SystemModstamp", "IsDeleted", "LastModifiedDate"]
FIELDS: dict[str, dict[str, str]] = {
    "Account": {
        "Name": "string",
        "ParentId": "reference",
        "OwnerId": "reference",
        "Type": "picklist",
        "Website": "url",
        "ShippingCountry": "string",
        "ShippingState": "string",
        "BillingCountry": "string",
        "BillingState": "string",
        "Employees_DataFox__c": "double",
        "Employees_Zoominfo__c": "double",
        "Employees_Override__c": "double",
        "Override_Country__c": "string",
        "Override_State__c": "string",
        "DataFox_Country__c": "string",
        "DataFox_State__c": "string",
        "Zoominfo_Country__c": "string",
        "Zoominfo_State__c": "string",
        "Named_Account__c": "boolean",
        "Public_Sector__c": "boolean",
        "SDR__c": "reference",
    },
    "Opportunity": {
        "Name": "string",
        "AccountId": "reference",
        "OwnerId": "reference",
        "StageName": "picklist",
        "Type": "picklist",
        "CreatedDate": "datetime",
        "Amount": "currency",
        "CloseDate": "date",
        "Parent_Opportunity__c": "reference",
        "SDR__c": "reference",
    },
    "User": {
        "Name": "string",
        "Email": "email",
        "IsActive": "boolean",
        "ManagerId": "reference",
        "GTM_Role__c": "picklist",
        "GTM_Region__c": "string",
        "GTM_Segment__c": "picklist",
        "GTM_Team_Lead__c": "boolean",
        "Public_Sector__c": "boolean",
    },
}
BODY: web.RequestKey[Any] = web.RequestKey("body", object)
PREFIX = {"Account": "001", "Opportunity": "006", "User": "005"}
SOQL = re.compile(
    r"^\s*SELECT\s+(?P<fields>.+?)\s+FROM\s+(?P<object>\w+)"
    r"(?:\s+WHERE\s+(?P<where>.+?))?(?:\s+ORDER\s+BY\s+(?P<order>[\w, ]+?))?"
    r"(?:\s+LIMIT\s+(?P<limit>\d+))?\s*$",
    re.IGNORECASE | re.DOTALL,
)
CONDITION = re.compile(r"^\s*(\w+)\s*(>=|<=|=|>|<)\s*(.+?)\s*$")


def stamp(moment: datetime) -> str:
    """Salesforce's datetime format: 2026-11-27T10:00:00.000+0000."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def parse_stamp(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("+0000", "+00:00").replace("Z", "+00:00"))


@dataclass
class Fault:
    status: int = 503
    error_code: str = "REQUEST_LIMIT_EXCEEDED"
    retry_after: int | None = None
    delay: float = 0.0


@dataclass
class Call:
    route: str
    method: str
    path: str
    body: Any = None
    at: float = field(default_factory=time.monotonic)


@dataclass
class Job:
    id: str
    object: str
    fields: list[str]
    ids: list[str]
    polls_left: int
    version: str


def user_record(person: dict[str, Any], ids: dict[str, str]) -> dict[str, Any]:
    """A person of an org file (bot/samples/org.yaml's shape) as a Salesforce User; `ids` maps Slack ids to
    User ids (their own and their manager's)."""
    return {
        "Id": ids[person["slack_id"]],
        "Name": person["name"],
        "Email": person["email"],
        "IsActive": True,
        "ManagerId": ids.get(person.get("manager") or ""),
        "GTM_Role__c": person["role"],
        "GTM_Region__c": person.get("region"),
        "GTM_Segment__c": person.get("segment"),
        "GTM_Team_Lead__c": bool(person.get("team_lead")),
        "Public_Sector__c": bool(person.get("public_sector")),
    }


class SalesforceStandIn:
    def __init__(
        self,
        *,
        client_id: str = "standin-client",
        client_secret: str | None = "standin-secret",
        jwt_public_key: str | None = None,
        username: str | None = None,
    ) -> None:
        self.client_id, self.client_secret = client_id, client_secret
        self.jwt_public_key, self.username = jwt_public_key, username
        self.records: dict[str, dict[str, dict[str, Any]]] = {name: {} for name in FIELDS}
        self.deleted: dict[str, dict[str, datetime]] = {name: {} for name in FIELDS}
        self.fields: dict[str, dict[str, str]] = {k: dict(v) for k, v in FIELDS.items()}
        self.tokens: set[str] = set()
        self.faults: dict[str, list[Fault]] = defaultdict(list)
        self.calls: list[Call] = []
        self.patches: list[tuple[str, str, dict[str, Any]]] = []  # (object, id, body) written
        self.jobs: dict[str, Job] = {}
        self.cursors: dict[str, tuple[str, list[str], list[str]]] = {}
        self.bulk_polls = 1  # GET /jobs/query/{id} answers InProgress this many times first
        self.query_batch = 2000
        self.base_url = ""
        self._ids = itertools.count(1)
        self.offset = timedelta()  # tests move the stand-in's clock forward with this
        self.ids: dict[str, str] = {}  # sample id -> Salesforce id, after seed_samples

    # ---- data ------------------------------------------------------------------------------------------
    def now(self) -> datetime:
        """Salesforce's clock, in milliseconds (many changes share one, as in a real org)."""
        moment = datetime.now(UTC) + self.offset
        return moment.replace(microsecond=moment.microsecond // 1000 * 1000)

    def new_id(self, sobject: str) -> str:
        return f"{PREFIX[sobject]}SI{next(self._ids):013d}"

    def put(self, sobject: str, values: dict[str, Any]) -> str:
        """Insert or change a record (as a Salesforce user would); returns its id."""
        record_id = values.get("Id") or self.new_id(sobject)
        record = self.records[sobject].setdefault(record_id, {"Id": record_id, "IsDeleted": False})
        record.update(values)
        now = stamp(self.now())
        record["SystemModstamp"] = record["LastModifiedDate"] = now
        if sobject == "Opportunity":
            record.setdefault("CreatedDate", now)
        return record_id

    def delete(self, sobject: str, record_id: str) -> None:
        self.records[sobject].pop(record_id)
        self.deleted[sobject][record_id] = self.now()

    def drop_field(self, sobject: str, name: str) -> None:
        """Pretend the org lacks a field (describe stops listing it; queries naming it fail)."""
        self.fields[sobject].pop(name, None)

    def expire_sessions(self) -> None:
        self.tokens.clear()

    def fail_next(self, route: str, fault: Fault | None = None, times: int = 1) -> None:
        """Queue faults for a route: token, describe, query, jobs, results, deleted, get, patch."""
        self.faults[route].extend([fault or Fault()] * times)

    def calls_to(self, route: str) -> list[Call]:
        return [c for c in self.calls if c.route == route]

    def seed_samples(self, samples: Path, *, keep_ids: bool = False) -> dict[str, str]:
        """Load bot/samples (people -> Users, accounts, opportunities); returns sample id -> Salesforce id."""
        org = yaml.safe_load((samples / "org.yaml").read_text())
        ids: dict[str, str] = {}
        for person in org.get("people") or []:
            ids[person["slack_id"]] = self.new_id("User")
        for person in org.get("people") or []:
            self.put("User", user_record(person, ids))
        # Every Salesforce account has an owner: the sample's unowned ones belong to the default user.
        admin = self.put(
            "User", {"Name": "Sales Admin", "Email": "sales-admin@example.com", "IsActive": True}
        )
        ids["Sales Admin"] = admin
        with (samples / "accounts.csv").open(newline="") as handle:
            accounts = list(csv.DictReader(handle))
        for row in accounts:  # `keep_ids`: the sample's account and opportunity ids stay (tests share them)
            ids[row["account_id"]] = row["account_id"] if keep_ids else self.new_id("Account")
        for row in accounts:
            self.put("Account", {**account_from_row(row, ids), "OwnerId": ids.get(row["owner"]) or admin})
        with (samples / "opportunities.csv").open(newline="") as handle:
            for row in csv.DictReader(handle):
                ids[row["opportunity_id"]] = row["opportunity_id"] if keep_ids else self.new_id("Opportunity")
                self.put(
                    "Opportunity",
                    {
                        "Id": ids[row["opportunity_id"]],
                        "Name": row["name"],
                        "AccountId": ids[row["account_id"]],
                        "OwnerId": ids.get(row["owner"]),
                        "StageName": row["stage"],
                        "Type": row["type"] or None,
                        "CreatedDate": row["created_date"] + "T12:00:00.000+0000",
                        "Amount": float(row["amount"]) if row["amount"] else None,
                        "CloseDate": row["close_date"] or None,
                        "Parent_Opportunity__c": ids.get(row["parent_opportunity_id"]),
                        "SDR__c": ids.get(row["sdr"]),
                    },
                )
        self.ids.update(ids)
        return ids

    # ---- HTTP ------------------------------------------------------------------------------------------
    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware])
        app.router.add_post("/services/oauth2/token", self._token)
        data = "/services/data/{version}"
        app.router.add_get(data + "/sobjects/{object}/describe", self._describe)
        app.router.add_get(data + "/sobjects/{object}/deleted/", self._deleted)
        app.router.add_get(data + "/sobjects/{object}/{id}", self._get)
        app.router.add_patch(data + "/sobjects/{object}/{id}", self._patch)
        app.router.add_get(data + "/query", self._query)
        app.router.add_get(data + "/query/{cursor}", self._query_more)
        app.router.add_post(data + "/jobs/query", self._create_job)
        app.router.add_get(data + "/jobs/query/{id}", self._job)
        app.router.add_get(data + "/jobs/query/{id}/results", self._results)
        return app

    ROUTES = {
        "_token": "token",
        "_describe": "describe",
        "_deleted": "deleted",
        "_get": "get",
        "_patch": "patch",
        "_query": "query",
        "_query_more": "query",
        "_create_job": "jobs",
        "_job": "jobs",
        "_results": "results",
    }

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        route = self.ROUTES.get(getattr(handler, "__name__", ""), "other")
        body = None
        if request.method in ("POST", "PATCH") and request.can_read_body:
            body = (
                await request.json()
                if request.content_type == "application/json"
                else dict(await request.post())
            )
        self.calls.append(Call(route, request.method, request.path_qs, body))
        if self.faults.get(route):
            fault = self.faults[route].pop(0)
            if fault.delay:
                await asyncio.sleep(fault.delay)
            headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
            return web.json_response(
                [{"errorCode": fault.error_code, "message": "stand-in fault"}],
                status=fault.status,
                headers=headers,
            )
        if route != "token":
            auth = request.headers.get("Authorization", "")
            if not auth.startswith("Bearer ") or auth[7:] not in self.tokens:
                return web.json_response(
                    [{"errorCode": "INVALID_SESSION_ID", "message": "Session expired or invalid"}], status=401
                )
        request[BODY] = body
        return await handler(request)

    def _error(self, status: int, code: str, message: str) -> web.Response:
        return web.json_response([{"errorCode": code, "message": message}], status=status)

    async def _token(self, request: web.Request) -> web.Response:
        form = request[BODY] or {}
        grant = form.get("grant_type")
        if grant == "client_credentials":
            if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
                return web.json_response(
                    {"error": "invalid_client", "error_description": "invalid client"}, status=400
                )
        elif grant == "urn:ietf:params:oauth:grant-type:jwt-bearer":
            try:
                claims = jwt.decode(
                    form.get("assertion", ""),
                    self.jwt_public_key or "",
                    algorithms=["RS256"],
                    options={"verify_signature": self.jwt_public_key is not None, "verify_aud": False},
                )
            except jwt.PyJWTError as exc:
                return web.json_response(
                    {"error": "invalid_grant", "error_description": str(exc)}, status=400
                )
            if claims.get("iss") != self.client_id or (self.username and claims.get("sub") != self.username):
                return web.json_response(
                    {"error": "invalid_grant", "error_description": "user hasn't approved this consumer"},
                    status=400,
                )
        else:
            return web.json_response({"error": "unsupported_grant_type"}, status=400)
        token = f"00DSTANDIN!{next(self._ids)}"
        self.tokens.add(token)
        return web.json_response(
            {
                "access_token": token,
                "instance_url": self.base_url.rstrip("/"),
                "id": f"{self.base_url}id/00DSTANDIN/005STANDIN",
                "token_type": "Bearer",
                "scope": "api",
            }
        )

    def _object(self, request: web.Request) -> str | None:
        name = request.match_info["object"]
        return name if name in self.records else None

    async def _describe(self, request: web.Request) -> web.Response:
        sobject = self._object(request)
        if sobject is None:
            return self._error(404, "NOT_FOUND", "The requested resource does not exist")
        names = BASE_FIELDS + list(self.fields[sobject])
        return web.json_response(
            {
                "name": sobject,
                "fields": [{"name": n, "type": self.fields[sobject].get(n, "id")} for n in names],
            }
        )

    async def _deleted(self, request: web.Request) -> web.Response:
        sobject = self._object(request)
        if sobject is None:
            return self._error(404, "NOT_FOUND", "The requested resource does not exist")
        try:
            start, end = parse_stamp(request.query["start"]), parse_stamp(request.query["end"])
        except (KeyError, ValueError):
            return self._error(400, "INVALID_REPLICATION_DATE", "start and end are required")
        found = [
            {"id": record_id, "deletedDate": stamp(at)}
            for record_id, at in self.deleted[sobject].items()
            if start <= at <= end
        ]
        earliest = min(self.deleted[sobject].values(), default=start)
        return web.json_response(
            {
                "deletedRecords": found,
                "earliestDateAvailable": stamp(earliest),
                "latestDateCovered": stamp(end),
            }
        )

    async def _get(self, request: web.Request) -> web.Response:
        sobject = self._object(request)
        record = self.records.get(sobject or "", {}).get(request.match_info["id"])
        if record is None:
            return self._error(404, "NOT_FOUND", "The requested resource does not exist")
        wanted = request.query.get("fields")
        names = [f.strip() for f in wanted.split(",")] if wanted else list(record)
        return web.json_response(self._json(sobject or "", record, names))

    async def _patch(self, request: web.Request) -> web.Response:
        sobject = self._object(request)
        record_id = request.match_info["id"]
        if sobject is None or record_id not in self.records[sobject]:
            return self._error(404, "ENTITY_IS_DELETED", "entity is deleted")
        body = request[BODY] or {}
        unknown = [k for k in body if k not in self.fields[sobject]]
        if unknown:
            return self._error(
                400, "INVALID_FIELD", f"No such column '{unknown[0]}' on sobject of type {sobject}"
            )
        owner = body.get("OwnerId")
        if owner is not None and not self.records["User"].get(owner, {}).get("IsActive"):
            return self._error(400, "INACTIVE_OWNER_OR_USER", "operation performed with inactive user")
        self.put(sobject, {**body, "Id": record_id})
        self.patches.append((sobject, record_id, body))
        return web.Response(status=204)

    def _json(self, sobject: str, record: dict[str, Any], names: list[str]) -> dict[str, Any]:
        out: dict[str, Any] = {
            "attributes": {"type": sobject, "url": f"/services/data/{API}/sobjects/{sobject}/{record['Id']}"}
        }
        for name in names:
            out[name] = record.get(name)
        return out

    def _parse(self, soql: str) -> tuple[str, list[str], list[str]] | web.Response:
        """(object, fields, matching ids in order) for the SOQL subset gtm-bot sends."""
        match = SOQL.match(soql)
        if match is None:
            return self._error(400, "MALFORMED_QUERY", "unexpected token")
        sobject = match["object"]
        if sobject not in self.records:
            return self._error(400, "INVALID_TYPE", f"sObject type '{sobject}' is not supported.")
        names = [f.strip() for f in match["fields"].split(",")]
        known = set(BASE_FIELDS) | set(self.fields[sobject])
        for name in names:
            if name not in known:
                return self._error(400, "INVALID_FIELD", f"No such column '{name}' on entity '{sobject}'.")
        rows = list(self.records[sobject].values())
        if match["where"]:
            for clause in re.split(r"\s+AND\s+", match["where"], flags=re.IGNORECASE):
                cond = CONDITION.match(clause)
                if cond is None or cond[1] not in known:
                    return self._error(400, "MALFORMED_QUERY", f"unsupported condition {clause!r}")
                rows = [r for r in rows if _compare(r.get(cond[1]), cond[2], cond[3])]
        if match["order"]:
            keys = [k.strip().split()[0] for k in match["order"].split(",")]
            rows.sort(key=lambda r: tuple(str(r.get(k) or "") for k in keys))
        if match["limit"]:
            rows = rows[: int(match["limit"])]
        return sobject, names, [r["Id"] for r in rows]

    async def _query(self, request: web.Request) -> web.Response:
        parsed = self._parse(request.query.get("q", ""))
        if isinstance(parsed, web.Response):
            return parsed
        cursor = f"01gSI{next(self._ids):010d}"
        self.cursors[cursor] = parsed
        return self._page(request, cursor, 0)

    async def _query_more(self, request: web.Request) -> web.Response:
        cursor, _, offset = request.match_info["cursor"].rpartition("-")
        if cursor not in self.cursors or not offset.isdigit():
            return self._error(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        return self._page(request, cursor, int(offset))

    def _page(self, request: web.Request, cursor: str, offset: int) -> web.Response:
        sobject, names, ids = self.cursors[cursor]
        options = request.headers.get("Sforce-Query-Options", "")
        size = int(options.split("=")[1]) if options.startswith("batchSize=") else self.query_batch
        chunk = ids[offset : offset + size]
        records = [
            self._json(sobject, self.records[sobject][i], names) for i in chunk if i in self.records[sobject]
        ]
        done = offset + size >= len(ids)
        body: dict[str, Any] = {"totalSize": len(ids), "done": done, "records": records}
        if not done:
            body["nextRecordsUrl"] = (
                f"/services/data/{request.match_info['version']}/query/{cursor}-{offset + size}"
            )
        return web.json_response(body)

    async def _create_job(self, request: web.Request) -> web.Response:
        body = request[BODY] or {}
        if body.get("operation") not in ("query", "queryAll"):
            return self._error(400, "INVALIDJOB", "operation must be query")
        parsed = self._parse(body.get("query", ""))
        if isinstance(parsed, web.Response):
            return parsed
        sobject, names, ids = parsed
        job = Job(
            f"750SI{next(self._ids):013d}",
            sobject,
            names,
            ids,
            self.bulk_polls,
            request.match_info["version"],
        )
        self.jobs[job.id] = job
        return web.json_response(self._job_info(job, "UploadComplete"))

    def _job_info(self, job: Job, state: str) -> dict[str, Any]:
        return {
            "id": job.id,
            "operation": "query",
            "object": job.object,
            "state": state,
            "apiVersion": job.version[1:],
        }

    async def _job(self, request: web.Request) -> web.Response:
        job = self.jobs.get(request.match_info["id"])
        if job is None:
            return self._error(404, "NOT_FOUND", "no such job")
        if job.polls_left > 0:
            job.polls_left -= 1
            return web.json_response(self._job_info(job, "InProgress"))
        return web.json_response(
            {**self._job_info(job, "JobComplete"), "numberRecordsProcessed": len(job.ids)}
        )

    async def _results(self, request: web.Request) -> web.Response:
        job = self.jobs.get(request.match_info["id"])
        if job is None:
            return self._error(404, "NOT_FOUND", "no such job")
        if request.match_info["version"] != job.version:
            return self._error(409, "INVALIDJOB", "results must be read with the job's API version")
        if job.polls_left > 0:
            return self._error(400, "INVALIDJOB", "job is not complete")
        size = int(request.query.get("maxRecords", "50000"))
        locator = request.query.get("locator", "")
        offset = int(locator) if locator.isdigit() else 0
        chunk = job.ids[offset : offset + size]
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(job.fields)
        records = self.records[job.object]
        for record_id in chunk:
            record = records.get(record_id)
            if record is not None:
                writer.writerow([_csv(record.get(name)) for name in job.fields])
        nxt = offset + size
        headers = {
            "Sforce-NumberOfRecords": str(len(chunk)),
            "Sforce-Locator": str(nxt) if nxt < len(job.ids) else "null",
        }
        return web.Response(text=out.getvalue(), content_type="text/csv", headers=headers)


def account_from_row(row: dict[str, str], ids: dict[str, str]) -> dict[str, Any]:
    """One accounts.csv row (the importer's header) as a Salesforce Account."""

    def number(value: str) -> float | None:
        return float(value) if value else None

    return {
        "Id": ids[row["account_id"]],
        "Name": row["name"],
        "ParentId": ids.get(row["parent_id"]),
        "OwnerId": ids.get(row["owner"]),
        "Type": row["type"] or None,
        "Website": row["website"] or None,
        "ShippingCountry": row["shipping_country"] or None,
        "ShippingState": row["shipping_state"] or None,
        "BillingCountry": row["billing_country"] or None,
        "BillingState": row["billing_state"] or None,
        "Employees_DataFox__c": number(row["employees_datafox"]),
        "Employees_Zoominfo__c": number(row["employees_zoominfo"]),
        "Employees_Override__c": number(row["employees_override"]),
        "Override_Country__c": row["override_country"] or None,
        "Override_State__c": row["override_state"] or None,
        "DataFox_Country__c": row["datafox_country"] or None,
        "DataFox_State__c": row["datafox_state"] or None,
        "Zoominfo_Country__c": row["zoominfo_country"] or None,
        "Zoominfo_State__c": row["zoominfo_state"] or None,
        "Named_Account__c": row["named"].lower() == "true",
        "Public_Sector__c": row["public_sector"].lower() == "true",
        "SDR__c": ids.get(row["sdr"]),
    }


def _csv(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _compare(value: Any, op: str, literal: str) -> bool:
    literal = literal.strip("'")
    if value is None:
        return False
    if re.match(r"^\d{4}-\d{2}-\d{2}T", literal):
        left: Any = parse_stamp(str(value))
        right: Any = parse_stamp(literal)
    elif isinstance(value, bool):
        left, right = value, literal.lower() == "true"
    else:
        left, right = str(value), literal
    return {
        ">": left > right,
        ">=": left >= right,
        "<": left < right,
        "<=": left <= right,
        "=": left == right,
    }[op]


def main(argv: list[str] | None = None) -> None:
    """`python -m bot.crm.standin --port 8085 [--samples DIR]`: run it on its own (playground, bench)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8085)
    parser.add_argument("--samples", type=Path, default=Path(__file__).resolve().parent.parent / "samples")
    args = parser.parse_args(argv)
    standin = SalesforceStandIn()
    standin.base_url = f"http://{args.host}:{args.port}/"
    standin.seed_samples(args.samples)
    web.run_app(standin.app(), host=args.host, port=args.port, print=None)


if __name__ == "__main__":
    main()
