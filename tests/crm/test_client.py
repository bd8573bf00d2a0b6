"""The client against the stand-in: sign-in, paging, Bulk 2.0, getDeleted, GET/PATCH, expiry, limits."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from bot.crm.client import Credentials, RetryLater, SalesforceClient, SalesforceError
from bot.crm.standin import Fault, SalesforceStandIn


async def test_client_credentials_sign_in_uses_the_instance_url_it_returns(salesforce, sf_client) -> None:
    fields = await sf_client.describe("Account")
    assert {"Id", "OwnerId", "Employees_DataFox__c", "SystemModstamp"} <= fields
    assert sf_client.instance_url == salesforce.base_url.rstrip("/")
    assert salesforce.calls_to("token")[0].body["grant_type"] == "client_credentials"


async def test_a_wrong_secret_is_an_error_not_a_retry(salesforce) -> None:
    creds = Credentials(login_url=salesforce.base_url, client_id="standin-client", client_secret="nope")
    async with SalesforceClient(creds) as client:
        with pytest.raises(SalesforceError) as caught:
            await client.describe("Account")
    assert caught.value.code == "invalid_client"


async def test_jwt_bearer_sign_in_is_verified_with_the_certificate_key(salesforce, tmp_path: Path) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    (tmp_path / "key.pem").write_bytes(pem)
    salesforce.jwt_public_key = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    salesforce.username = "integration@example.com"
    try:
        creds = Credentials(
            login_url=salesforce.base_url,
            client_id="standin-client",
            username="integration@example.com",
            private_key_file=tmp_path / "key.pem",
        )
        async with SalesforceClient(creds) as client:
            assert "Name" in await client.describe("User")
        other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        (tmp_path / "other.pem").write_bytes(
            other.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        wrong = dataclasses.replace(creds, private_key_file=tmp_path / "other.pem")
        async with SalesforceClient(wrong) as client:
            with pytest.raises(SalesforceError) as caught:
                await client.describe("User")
        assert caught.value.code == "invalid_grant"
    finally:
        salesforce.jwt_public_key = salesforce.username = None


async def test_soql_pages_follow_next_records_url(salesforce, sf_client) -> None:
    for n in range(25):
        salesforce.put("Account", {"Name": f"Paged {n}", "OwnerId": None})
    salesforce.query_batch = 10
    pages = [page async for page in sf_client.query("SELECT Id, Name FROM Account ORDER BY SystemModstamp")]
    assert [len(p) for p in pages][:-1] == [10] * (len(pages) - 1)
    assert sum(map(len, pages)) == len(salesforce.records["Account"])
    assert len(salesforce.calls_to("query")) == len(pages)


async def test_bulk_query_polls_the_job_and_pages_csv_by_locator(salesforce, sf_client) -> None:
    for n in range(25):
        salesforce.put("Account", {"Name": f"Bulk, {n}", "Named_Account__c": True})
    salesforce.bulk_polls = 2
    pages = [
        page
        async for page in sf_client.bulk_query("SELECT Id, Name, Named_Account__c FROM Account", page_size=10)
    ]
    total = len(salesforce.records["Account"])
    assert sum(map(len, pages)) == total and len(pages) == -(-total // 10)
    assert {"Bulk, 3", "Initech"} <= {r["Name"] for p in pages for r in p}
    assert [c.method for c in salesforce.calls_to("jobs")] == ["POST", "GET", "GET", "GET"]


async def test_a_mapped_field_the_org_lacks_fails_the_query(salesforce, sf_client) -> None:
    salesforce.drop_field("Account", "Named_Account__c")
    with pytest.raises(SalesforceError) as caught:
        async for _ in sf_client.query("SELECT Id, Named_Account__c FROM Account"):
            pass
    assert caught.value.code == "INVALID_FIELD"


async def test_deleted_records_come_from_get_deleted(salesforce, sf_client) -> None:
    start = datetime.now(UTC) - timedelta(minutes=1)
    victim = next(iter(salesforce.records["Opportunity"]))
    salesforce.delete("Opportunity", victim)
    ids, covered = await sf_client.deleted("Opportunity", start, datetime.now(UTC) + timedelta(seconds=1))
    assert ids == [victim] and covered > start


async def test_get_and_patch_a_record(salesforce, sf_client) -> None:
    account = next(iter(salesforce.records["Account"]))
    user = next(iter(salesforce.records["User"]))
    await sf_client.patch("Account", account, {"OwnerId": user})
    record = await sf_client.get("Account", account, ["OwnerId"])
    assert record is not None and record["OwnerId"] == user
    assert salesforce.patches == [("Account", account, {"OwnerId": user})]
    assert await sf_client.get("Account", "001NOPE", ["OwnerId"]) is None


async def test_an_expired_session_gets_a_new_token_and_one_retry(salesforce, sf_client) -> None:
    await sf_client.describe("Account")
    salesforce.expire_sessions()
    assert "Name" in await sf_client.describe("Account")
    assert sf_client.sign_ins == 2


async def test_limits_and_429_are_retried_after_the_time_salesforce_asks(salesforce) -> None:
    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)

    creds = Credentials(
        login_url=salesforce.base_url, client_id="standin-client", client_secret="standin-secret"
    )
    async with SalesforceClient(creds, sleep=record) as client:
        salesforce.fail_next("describe", Fault(503, "REQUEST_LIMIT_EXCEEDED", retry_after=7))
        salesforce.fail_next("describe", Fault(429, "TOO_MANY", retry_after=3))
        assert "Name" in await client.describe("Account")
        assert waits == [7, 3]
    async with SalesforceClient(creds, sleep=record, retries=0) as client:
        salesforce.fail_next("patch", Fault(503, "REQUEST_LIMIT_EXCEEDED", retry_after=11))
        with pytest.raises(RetryLater) as caught:
            await client.patch("Account", next(iter(salesforce.records["Account"])), {"Name": "x"})
        assert caught.value.after == 11


def test_the_standin_seed_keeps_the_sample_hierarchy() -> None:
    from tests.conftest import SAMPLES

    fake = SalesforceStandIn()
    ids = fake.seed_samples(SAMPLES)
    child = fake.records["Account"][ids["A-INITECH-DE"]]
    assert child["ParentId"] == ids["A-INITECH"] and child["OwnerId"] == ids["U0SAL1"]
    assert fake.records["User"][ids["U0SAL1"]]["GTM_Role__c"] == "SAL"
