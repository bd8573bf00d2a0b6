"""A small async Salesforce client on aiohttp: sign-in, describe, SOQL, Bulk 2.0 query, getDeleted, GET/PATCH.

Why not simple-salesforce: it is blocking (requests), so every call would need a thread, and its Bulk 2.0
query helper returns or writes whole result sets, where the sync wants one `Sforce-Locator` page at a time
straight into the database. The handful of resources gtm-bot uses fit in this file.
"""

from __future__ import annotations

import asyncio
import csv
import io
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp
import jwt

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
RETRYABLE_CODES = {"REQUEST_LIMIT_EXCEEDED", "UNABLE_TO_LOCK_ROW", "SERVER_UNAVAILABLE"}


@dataclass(frozen=True, slots=True)
class Credentials:
    login_url: str
    client_id: str
    username: str | None = None
    private_key_file: Path | None = None
    client_secret: str | None = None
    api_version: str = "v61.0"


class SalesforceError(Exception):
    """Salesforce said no: `status`, its `errorCode` and message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}".strip())
        self.status, self.code, self.message = status, code, message


class SignInFailed(SalesforceError):
    """The token endpoint refused the credentials (a configuration problem, not a passing one)."""


class RetryLater(SalesforceError):
    """Worth trying again later: 429, 5xx, REQUEST_LIMIT_EXCEEDED, a lock, a time-out. `after` in seconds."""

    def __init__(self, status: int, code: str, message: str, after: float | None = None) -> None:
        super().__init__(status, code, message)
        self.after = after


class SalesforceClient:
    def __init__(
        self,
        creds: Credentials,
        *,
        timeout: float = 60.0,
        retries: int = 3,
        max_wait: float = 60.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.creds = creds
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self.retries, self.max_wait, self.sleep = retries, max_wait, sleep
        self.token: str | None = None
        self.instance_url: str | None = None
        self._session: aiohttp.ClientSession | None = None
        self._login_lock = asyncio.Lock()
        self.sign_ins = 0

    async def __aenter__(self) -> SalesforceClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self.timeout)
        return self._session

    # ---- sign-in ---------------------------------------------------------------------------------------
    def _grant(self) -> dict[str, str]:
        c = self.creds
        if c.private_key_file is not None and c.username:
            claims = {
                "iss": c.client_id,
                "sub": c.username,
                "aud": c.login_url.rstrip("/"),
                "exp": int(time.time()) + 180,
                "jti": uuid.uuid4().hex,
            }
            assertion = jwt.encode(claims, c.private_key_file.read_text(), algorithm="RS256")
            return {"grant_type": JWT_GRANT, "assertion": assertion}
        return {
            "grant_type": "client_credentials",
            "client_id": c.client_id,
            "client_secret": c.client_secret or "",
        }

    async def sign_in(self, stale: str | None = None) -> None:
        """Get a new session; concurrent callers that saw the same stale token share one sign-in."""
        async with self._login_lock:
            if self.token is not None and self.token != stale:
                return
            url = self.creds.login_url.rstrip("/") + "/services/oauth2/token"
            try:
                async with self._http().post(url, data=self._grant()) as response:
                    body = await response.json(content_type=None)
                    if response.status >= 500 or response.status == 429:
                        raise RetryLater(response.status, "TOKEN", str(body), _retry_after(response))
                    if response.status != 200:
                        raise SignInFailed(
                            response.status,
                            str(body.get("error", "")),
                            str(body.get("error_description", "")),
                        )
            except (TimeoutError, aiohttp.ClientError) as exc:
                raise RetryLater(0, type(exc).__name__, str(exc)) from exc
            self.token, self.instance_url = body["access_token"], body["instance_url"].rstrip("/")
            self.sign_ins += 1

    # ---- requests ---------------------------------------------------------------------------------------
    def data_path(self, rest: str) -> str:
        return f"/services/data/{self.creds.api_version}/{rest.lstrip('/')}"

    async def _once(
        self, method: str, path: str, *, params: dict[str, str] | None, json: Any, want: str
    ) -> tuple[int, Any, dict[str, str]]:
        if self.token is None:
            await self.sign_in()
        token = self.token
        headers = {"Authorization": f"Bearer {token}"}
        try:
            async with self._http().request(
                method, f"{self.instance_url}{path}", params=params, json=json, headers=headers
            ) as response:
                text = await response.text()
                status, resp_headers = response.status, dict(response.headers)
                retry_after = _retry_after(response)
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise RetryLater(0, type(exc).__name__, str(exc) or "time-out") from exc
        if status == 401:
            await self.sign_in(stale=token)
            raise _Expired
        if status >= 400:
            code, message = _error(text)
            if status == 429 or status >= 500 or code in RETRYABLE_CODES:
                raise RetryLater(status, code, message, retry_after)
            raise SalesforceError(status, code, message)
        if want == "text":
            return status, text, resp_headers
        return status, (_json(text) if text else None), resp_headers

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        json: Any = None,
        want: str = "json",
    ) -> tuple[int, Any, dict[str, str]]:
        """One call: an expired session gets a new token and one retry; 429/5xx are retried `retries`
        times, honouring Retry-After (capped at `max_wait`), then raised as RetryLater."""
        attempt, renewed = 0, False
        while True:
            try:
                return await self._once(method, path, params=params, json=json, want=want)
            except _Expired:
                if renewed:
                    raise SalesforceError(
                        401, "INVALID_SESSION_ID", "session expired again after sign-in"
                    ) from None
                renewed = True
            except RetryLater as exc:
                if attempt >= self.retries:
                    raise
                attempt += 1
                await self.sleep(min(self.max_wait, exc.after if exc.after is not None else 2**attempt))

    # ---- resources --------------------------------------------------------------------------------------
    async def describe(self, sobject: str) -> set[str]:
        _, body, _ = await self.request("GET", self.data_path(f"sobjects/{sobject}/describe"))
        return {f["name"] for f in body["fields"]}

    async def query(
        self, soql: str, *, on_total: Callable[[int], None] | None = None
    ) -> AsyncIterator[list[dict[str, Any]]]:
        """SOQL over REST, one page of records at a time (following nextRecordsUrl)."""
        _, body, _ = await self.request("GET", self.data_path("query"), params={"q": soql})
        if on_total is not None:
            on_total(int(body.get("totalSize", 0)))
        while True:
            yield [{k: v for k, v in r.items() if k != "attributes"} for r in body["records"]]
            if body.get("done", True) or not body.get("nextRecordsUrl"):
                return
            _, body, _ = await self.request("GET", body["nextRecordsUrl"])

    async def bulk_query(
        self,
        soql: str,
        *,
        page_size: int = 10000,
        poll_seconds: float = 0.5,
        on_total: Callable[[int], None] | None = None,
    ) -> AsyncIterator[list[dict[str, str]]]:
        """A Bulk API 2.0 query job; its CSV results one `Sforce-Locator` page at a time."""
        _, job, _ = await self.request(
            "POST", self.data_path("jobs/query"), json={"operation": "query", "query": soql}
        )
        job_path = self.data_path(f"jobs/query/{job['id']}")
        while job["state"] not in ("JobComplete", "Failed", "Aborted"):
            await self.sleep(poll_seconds)
            _, job, _ = await self.request("GET", job_path)
        if job["state"] != "JobComplete":
            raise SalesforceError(200, job["state"], str(job.get("errorMessage", "bulk query job failed")))
        if on_total is not None:
            on_total(int(job.get("numberRecordsProcessed", 0)))
        locator: str | None = None
        while True:
            params = {"maxRecords": str(page_size)} | ({"locator": locator} if locator else {})
            _, text, headers = await self.request("GET", job_path + "/results", params=params, want="text")
            yield list(csv.DictReader(io.StringIO(text)))
            locator = headers.get("Sforce-Locator")
            if not locator or locator == "null":
                return

    async def deleted(self, sobject: str, start: datetime, end: datetime) -> tuple[list[str], datetime]:
        """Ids deleted between start and end (getDeleted), and the latest moment the answer covers."""
        params = {"start": _soql_time(start), "end": _soql_time(end)}
        _, body, _ = await self.request("GET", self.data_path(f"sobjects/{sobject}/deleted/"), params=params)
        covered = datetime.fromisoformat(body["latestDateCovered"].replace("+0000", "+00:00"))
        return [r["id"] for r in body.get("deletedRecords", [])], covered

    async def get(self, sobject: str, record_id: str, fields: list[str]) -> dict[str, Any] | None:
        try:
            _, body, _ = await self.request(
                "GET",
                self.data_path(f"sobjects/{sobject}/{quote(record_id)}"),
                params={"fields": ",".join(fields)},
            )
        except SalesforceError as exc:
            if exc.status == 404:
                return None
            raise
        return body

    async def patch(self, sobject: str, record_id: str, values: dict[str, Any]) -> None:
        await self.request("PATCH", self.data_path(f"sobjects/{sobject}/{quote(record_id)}"), json=values)


class _Expired(Exception):
    pass


def soql_time(moment: datetime) -> str:
    """A SOQL datetime literal (unquoted): 2026-11-27T10:00:00Z."""
    return _soql_time(moment)


def _soql_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + f".{moment.microsecond // 1000:03d}Z"


def _retry_after(response: aiohttp.ClientResponse) -> float | None:
    value = response.headers.get("Retry-After", "")
    try:
        return float(value) if value else None
    except ValueError:
        return None


def _json(text: str) -> Any:
    import json

    return json.loads(text)


def _error(text: str) -> tuple[str, str]:
    try:
        body = _json(text)
    except ValueError:
        return "", text[:200]
    if isinstance(body, list) and body and isinstance(body[0], dict):
        return str(body[0].get("errorCode", "")), str(body[0].get("message", ""))
    if isinstance(body, dict):
        return str(body.get("errorCode") or body.get("error", "")), str(body.get("message", ""))
    return "", text[:200]
