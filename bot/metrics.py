"""GET /metrics in Prometheus' text format (prometheus-client).

Counted in the process: Slack requests by listener and outcome, the ack latency, decisions by kind. Read from
the database at scrape time: the outbox backlog and the scheduler's lag, plus any gauge a feature adds with
`Metrics.add_gauge` (e.g. the Salesforce sync lag: `deps.metrics.add_gauge("gtm_salesforce_sync_lag_seconds",
"...", read)`, where `read()` returns the value or None when there is nothing to say).

With `serve --workers N` the counters live in PROMETHEUS_MULTIPROC_DIR (set by the CLI) and every worker's
answer adds up all of them (prometheus-client's multiprocess mode).
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from storage.operations import Backlog, OperationsRepository

if TYPE_CHECKING:
    from storage.db import Database

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# Slack waits 3 s for the ack; the buckets are finer where gtm-bot's answers are (tens of ms).
ACK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0)

GaugeReader = Callable[[], Awaitable[float | None]]


@dataclass(frozen=True, slots=True)
class _Gauge:
    name: str
    documentation: str
    read: GaugeReader


class _Snapshot(Collector):
    """The gauges read from the database at the last scrape."""

    def __init__(self) -> None:
        self.values: dict[str, tuple[str, float]] = {}

    def collect(self) -> Iterator[Metric]:
        for name, (documentation, value) in self.values.items():
            yield GaugeMetricFamily(name, documentation, value=value)


class Metrics:
    def __init__(self) -> None:
        self.multiprocess = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
        # One registry per app (tests build many apps); in multiprocess mode the values live in files.
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "gtm_requests",
            "Slack requests by listener (command and subcommand, action_id, view callback_id) and outcome",
            ["listener", "outcome"],
            registry=self.registry,
        )
        self.ack_seconds = Histogram(
            "gtm_ack_latency_seconds",
            "Time from receiving a Slack request to answering it (the answer is the ack)",
            buckets=ACK_BUCKETS,
            registry=self.registry,
        )
        self.decisions = Counter(
            "gtm_decisions",
            "Approval decisions recorded, by request kind and decision",
            ["kind", "decision"],
            registry=self.registry,
        )
        self._snapshot = _Snapshot()
        self._gauges: list[_Gauge] = []  # read at scrape time, after the built-in backlog gauges

    def add_gauge(self, name: str, documentation: str, read: GaugeReader) -> None:
        """A gauge read at scrape time (a feature's own lag or backlog)."""
        self._gauges.append(_Gauge(name, documentation, read))

    def observe_request(self, listener: str, outcome: str, seconds: float) -> None:
        self.requests.labels(listener=listener, outcome=outcome).inc()
        self.ack_seconds.observe(seconds)

    async def exposition(self, db: Database, now: datetime) -> bytes:
        """The text a scrape gets: the counters, then the gauges read now."""
        async with db.reads() as session:
            backlog = await OperationsRepository(session).backlog(now)
        values = dict(_backlog_gauges(backlog, now))
        for gauge in self._gauges:
            value = await gauge.read()
            if value is not None:
                values[gauge.name] = (gauge.documentation, float(value))
        self._snapshot.values = values
        registry = CollectorRegistry()
        if self.multiprocess:
            from prometheus_client import multiprocess

            multiprocess.MultiProcessCollector(registry)
        else:
            registry.register(_Registered(self.registry))
        registry.register(self._snapshot)
        return generate_latest(registry)


def _age(now: datetime, at: datetime | None) -> float:
    return max(0.0, (now - at).total_seconds()) if at is not None else 0.0


def _backlog_gauges(backlog: Backlog, now: datetime) -> Iterator[tuple[str, tuple[str, float]]]:
    yield "gtm_outbox_pending", ("Slack messages waiting in the outbox", backlog.outbox_pending)
    yield "gtm_outbox_dead", ("Slack messages the outbox gave up on", backlog.outbox_dead)
    yield (
        "gtm_outbox_oldest_pending_age_seconds",
        (
            "Age of the oldest message waiting in the outbox (0 when none)",
            _age(now, backlog.oldest_pending_created_at),
        ),
    )
    yield (
        "gtm_scheduler_lag_seconds",
        (
            "How long the most overdue scheduled job has been due (0 when none is overdue)",
            _age(now, backlog.oldest_overdue_due_at),
        ),
    )
    yield "gtm_scheduler_jobs_overdue", ("Scheduled jobs that are due and not run yet", backlog.jobs_overdue)


class _Registered(Collector):
    """A registry's metrics, inside another registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry

    def collect(self) -> Iterator[Metric]:
        return self.registry.collect()
