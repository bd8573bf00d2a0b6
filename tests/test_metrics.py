"""GET /metrics through the real HTTP app: requests by listener and outcome, ack latency, decisions by kind,
the outbox backlog, the scheduler's lag, and a gauge a feature adds."""

from __future__ import annotations

from datetime import timedelta

from prometheus_client.parser import text_string_to_metric_families

from bot.deps import Deps
from bot.standin import signer
from bot.standin.web_api import SlackStandIn
from storage.db import Database
from storage.models import JobRow, OutboxRow
from tests.conftest import FakeClock
from tests.slack.client import SlackClient
from tests.test_ownership import request_hooli


async def scrape(slack: SlackClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    async with slack.session.get(slack.url.replace("/slack/events", "/metrics")) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        text = await response.text()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def test_requests_are_counted_by_listener_and_outcome_with_ack_latency(slack: SlackClient) -> None:
    before = await scrape(slack)
    for _ in range(2):
        assert (await slack.command("help", "U0AE1")).status == 200
    await slack.command("SAO", "U0AE1", command="/glossary")
    body, content_type = signer.command_body("/gtm", "help", "U0AE1")
    forged = await slack.post(body, content_type, headers={"X-Slack-Signature": "v0=" + "0" * 64})
    assert forged.status == 401
    after = await scrape(slack)

    def grew(name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0.0) - before.get(key, 0.0)

    assert grew("gtm_requests_total", listener="/gtm help", outcome="ok") == 2
    assert grew("gtm_requests_total", listener="/glossary define", outcome="ok") == 1
    assert grew("gtm_requests_total", listener="unsigned", outcome="unauthorized") == 1
    assert grew("gtm_ack_latency_seconds_count") == 4
    assert grew("gtm_ack_latency_seconds_bucket", le="5.0") == 4
    assert grew("gtm_ack_latency_seconds_sum") > 0


async def test_decisions_are_counted_by_kind(
    slack: SlackClient, standin: SlackStandIn, db: Database, directory
) -> None:
    before = await scrape(slack)
    sent = await request_hooli(slack, standin)
    await slack.click("U0AE2", "approval.approve", sent["approve"]["value"])
    after = await scrape(slack)
    key = ("gtm_decisions_total", (("decision", "approve"), ("kind", "ownership")))
    assert after[key] - before.get(key, 0.0) == 1
    listener = ("gtm_requests_total", (("listener", "action:approval.approve"), ("outcome", "ok")))
    assert after[listener] - before.get(listener, 0.0) == 1


async def test_the_outbox_backlog_and_the_scheduler_lag_are_read_at_scrape_time(
    slack: SlackClient, db: Database, clock: FakeClock
) -> None:
    empty = await scrape(slack)
    assert empty[("gtm_outbox_pending", ())] == 0
    assert empty[("gtm_outbox_oldest_pending_age_seconds", ())] == 0
    assert empty[("gtm_scheduler_lag_seconds", ())] == 0
    now = clock()
    async with db.sessions.begin() as session:
        rows = (("a", "pending", 90), ("b", "pending", 30), ("c", "dead", 600), ("d", "sent", 900))
        for key, status, age in rows:
            session.add(
                OutboxRow(
                    dedupe_key=key,
                    method="chat.postMessage",
                    payload={},
                    status=status,
                    next_attempt_at=now + timedelta(hours=1),  # not due: the dispatcher leaves them
                    created_at=now - timedelta(seconds=age),
                )
            )
        session.add(JobRow(key="late", kind="nothing", payload={}, due_at=now - timedelta(seconds=120)))
        session.add(JobRow(key="later", kind="nothing", payload={}, due_at=now + timedelta(seconds=120)))
    metrics = await scrape(slack)
    assert metrics[("gtm_outbox_pending", ())] == 2
    assert metrics[("gtm_outbox_dead", ())] == 1
    assert metrics[("gtm_outbox_oldest_pending_age_seconds", ())] == 90
    assert metrics[("gtm_scheduler_lag_seconds", ())] == 120
    assert metrics[("gtm_scheduler_jobs_overdue", ())] == 1


async def test_a_feature_adds_its_own_gauge(slack: SlackClient, deps: Deps) -> None:
    async def sync_lag() -> float | None:
        return 42.5

    async def nothing_yet() -> float | None:
        return None

    deps.metrics.add_gauge("gtm_salesforce_sync_lag_seconds", "Seconds since the last sync", sync_lag)
    deps.metrics.add_gauge("gtm_unknown_yet", "A gauge with nothing to say", nothing_yet)
    metrics = await scrape(slack)
    assert metrics[("gtm_salesforce_sync_lag_seconds", ())] == 42.5
    assert ("gtm_unknown_yet", ()) not in metrics
