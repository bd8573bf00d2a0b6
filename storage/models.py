"""Tables. Every request, step, decision, notification and job is a row, so nothing lives only in memory."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator[datetime]):
    """Stored as naive UTC on every backend, returned as aware UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


# SQLite only auto-increments INTEGER PRIMARY KEY; BigInteger elsewhere.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON(), list[Any]: JSON()}


class RegionRow(Base):
    __tablename__ = "regions"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    countries: Mapped[list[Any]] = mapped_column(default=list)
    states: Mapped[list[Any]] = mapped_column(default=list)


class PersonRow(Base):
    __tablename__ = "people"
    slack_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320), default="", index=True)
    role: Mapped[str] = mapped_column(String(16))
    region: Mapped[str | None] = mapped_column(String(64))
    segment: Mapped[str | None] = mapped_column(String(16))
    manager: Mapped[str | None] = mapped_column(String(32), index=True)
    team_lead: Mapped[bool] = mapped_column(Boolean, default=False)
    public_sector: Mapped[bool] = mapped_column(Boolean, default=False)
    e_group: Mapped[bool] = mapped_column(Boolean, default=False)  # may be an executive sponsor


class AccountRow(Base):
    __tablename__ = "accounts"
    account_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(255), index=True)
    parent_id: Mapped[str | None] = mapped_column(String(64), index=True)
    owner: Mapped[str | None] = mapped_column(String(32), index=True)
    type: Mapped[str | None] = mapped_column(String(32))
    named: Mapped[bool] = mapped_column(Boolean, default=False)
    website: Mapped[str | None] = mapped_column(String(255))
    employees_datafox: Mapped[int | None] = mapped_column(Integer)
    employees_zoominfo: Mapped[int | None] = mapped_column(Integer)
    employees_override: Mapped[int | None] = mapped_column(Integer)
    override_country: Mapped[str | None] = mapped_column(String(8))
    override_state: Mapped[str | None] = mapped_column(String(16))
    datafox_country: Mapped[str | None] = mapped_column(String(8))
    datafox_state: Mapped[str | None] = mapped_column(String(16))
    zoominfo_country: Mapped[str | None] = mapped_column(String(8))
    zoominfo_state: Mapped[str | None] = mapped_column(String(16))
    shipping_country: Mapped[str | None] = mapped_column(String(8))
    shipping_state: Mapped[str | None] = mapped_column(String(16))
    billing_country: Mapped[str | None] = mapped_column(String(8))
    billing_state: Mapped[str | None] = mapped_column(String(16))
    public_sector: Mapped[bool] = mapped_column(Boolean, default=False)
    sdr: Mapped[str | None] = mapped_column(String(32))
    # The ultimate parent, kept on every row so a hierarchy is one indexed query.
    root_id: Mapped[str | None] = mapped_column(String(64), index=True)
    # Someone's named accounts, counted at every ownership check (the handbook's cap on named accounts):
    # the few named ones of an owner's hundreds, read from the index alone (migration 0608).
    __table_args__ = (
        Index(
            "ix_accounts_owner_named", "owner", postgresql_where=text("named"), sqlite_where=text("named = 1")
        ),
    )


class OpportunityRow(Base):
    __tablename__ = "opportunities"
    opportunity_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(255), index=True)
    account_id: Mapped[str] = mapped_column(String(64), index=True)
    owner: Mapped[str | None] = mapped_column(String(32), index=True)
    stage: Mapped[str] = mapped_column(String(64))
    type: Mapped[str | None] = mapped_column(String(64))
    created_date: Mapped[date | None] = mapped_column(Date)
    amount: Mapped[float | None] = mapped_column(Float)
    close_date: Mapped[date | None] = mapped_column(Date)
    parent_opportunity_id: Mapped[str | None] = mapped_column(String(64))
    sdr: Mapped[str | None] = mapped_column(String(32))


class GlossaryEntryRow(Base):
    """Entries added or edited by Sales Ops; shipped entries come from bot/handbook/data/glossary.yaml."""

    __tablename__ = "glossary_entries"
    slug: Mapped[str] = mapped_column(String(120), primary_key=True)
    term: Mapped[str] = mapped_column(String(120))
    expansion: Mapped[str | None] = mapped_column(String(255))
    definition: Mapped[str] = mapped_column(Text)
    aliases: Mapped[list[Any]] = mapped_column(default=list)
    section: Mapped[str] = mapped_column(String(120), default="glossary")
    retired: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_by: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[datetime]


class GlossaryChangeRow(Base):
    __tablename__ = "glossary_changes"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    slug: Mapped[str] = mapped_column(String(120), index=True)
    action: Mapped[str] = mapped_column(String(16))  # add | edit | retire
    actor: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime]
    old_value: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    new_value: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class GlossaryStatRow(Base):
    __tablename__ = "glossary_stats"
    query: Mapped[str] = mapped_column(String(120), primary_key=True)
    found: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
    last_at: Mapped[datetime]


class RequestRow(Base):
    """One approval request of any kind (ownership, escalation, review, ...); `payload` holds its facts."""

    __tablename__ = "requests"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), index=True)
    requester: Mapped[str] = mapped_column(String(32), index=True)
    subject_id: Mapped[str | None] = mapped_column(String(64), index=True)
    summary: Mapped[str] = mapped_column(String(300), default="")
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(Integer, default=0)
    __table_args__ = (Index("ix_requests_kind_status", "kind", "status"),)


class StepRow(Base):
    __tablename__ = "request_steps"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(64))
    mode: Mapped[str] = mapped_column(String(8))  # one | any | all
    approvers: Mapped[list[Any]] = mapped_column(default=list)
    state: Mapped[str] = mapped_column(String(16), index=True)
    needs_override: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    remind_at: Mapped[datetime | None] = mapped_column(index=True)
    __table_args__ = (UniqueConstraint("request_id", "position"),)


class StepApproverRow(Base):
    """Who may decide a step, one row each, so "waiting on me" is an indexed lookup."""

    __tablename__ = "step_approvers"
    step_id: Mapped[int] = mapped_column(ForeignKey("request_steps.id", ondelete="CASCADE"), primary_key=True)
    approver: Mapped[str] = mapped_column(String(32), primary_key=True, index=True)


class DecisionRow(Base):
    __tablename__ = "decisions"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    step_id: Mapped[int] = mapped_column(ForeignKey("request_steps.id", ondelete="CASCADE"), index=True)
    actor: Mapped[str] = mapped_column(String(32))
    on_behalf_of: Mapped[str | None] = mapped_column(String(32))
    decision: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime]
    # One decision per approver per step: a double click or a retry hits this, not a second row.
    __table_args__ = (UniqueConstraint("step_id", "actor"),)


class AuditRow(Base):
    """Append-only: rows are inserted, never updated or deleted."""

    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    request_id: Mapped[int | None] = mapped_column(BigId, index=True)
    actor: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(48))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    at: Mapped[datetime]


class MessageRefRow(Base):
    """Where a card was posted, so it can be updated in place later (even after a restart)."""

    __tablename__ = "message_refs"
    key: Mapped[str] = mapped_column(String(160), primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    ts: Mapped[str] = mapped_column(String(32))


class HomeViewerRow(Base):
    """Someone who has opened the bot's App Home: only their Home is republished when something changes
    (a view nobody opens is not worth a views.publish per change; opening it publishes a fresh one)."""

    __tablename__ = "home_viewers"
    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    first_opened_at: Mapped[datetime]


class OutboxRow(Base):
    """A Slack call decided inside a transaction and sent after it commits; retried until Slack answers."""

    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    method: Mapped[str] = mapped_column(String(48))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    ref_key: Mapped[str | None] = mapped_column(String(160), index=True)  # post: saves ts; update: reads it
    status: Mapped[str] = mapped_column(String(12), default="pending")  # pending | sent | dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    claimed_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    # A card (an approver's, or the requester's copy: storage/outbox.py is_card) has its own lane, claimed
    # apart from DMs and App Home: its own index, so a claim of cards never reads the DMs waiting.
    card: Mapped[bool] = mapped_column(default=False, server_default=false())
    __table_args__ = (
        Index("ix_outbox_due", "status", "next_attempt_at"),
        Index("ix_outbox_lane_due", "status", "card", "next_attempt_at"),
    )


class JobRow(Base):
    """A scheduled job; replicas claim due rows with a lease, so each runs once."""

    __tablename__ = "jobs"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(48))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    due_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(12), default="pending")  # pending | done | cancelled
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    done_at: Mapped[datetime | None]
    __table_args__ = (Index("ix_jobs_due", "status", "due_at"),)


# ---- reviews, sponsorship and contact SLAs ----
class SponsorshipRow(Base):
    """A confirmed executive sponsorship; its nomination is a request ("Executive Account Sponsorship")."""

    __tablename__ = "sponsorships"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(64), index=True)
    account_name: Mapped[str] = mapped_column(String(255))
    sponsor: Mapped[str] = mapped_column(String(32), index=True)
    nominated_by: Mapped[str] = mapped_column(String(32))
    confirmed_by: Mapped[str] = mapped_column(String(32))
    request_id: Mapped[int] = mapped_column(BigId, unique=True)
    why: Mapped[str] = mapped_column(Text, default="")
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date, index=True)
    created_at: Mapped[datetime]


class SlaRequestRow(Base):
    """A Contact Us or professional-service request with a one-business-day SLA ("Contact Requests")."""

    __tablename__ = "sla_requests"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(64), index=True)
    account_name: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(32))  # contact-us | professional-services
    owner: Mapped[str] = mapped_column(String(32), index=True)
    manager: Mapped[str | None] = mapped_column(String(32))
    logged_by: Mapped[str] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(Text, default="")
    received_at: Mapped[datetime]
    remind_at: Mapped[datetime]
    due_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(12), default="open", index=True)  # open | done
    escalated_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime]


# ---- escalations and holdovers ----
class HoldoverRow(Base):
    """An open opportunity kept by its original owner after its account moved (Rules of Engagement 5)."""

    __tablename__ = "holdovers"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    opportunity_id: Mapped[str] = mapped_column(String(64), index=True)
    opportunity_name: Mapped[str] = mapped_column(String(255), default="")
    opportunity_type: Mapped[str | None] = mapped_column(String(64))
    account_id: Mapped[str] = mapped_column(String(64), index=True)
    original_owner: Mapped[str] = mapped_column(String(32), index=True)
    new_owner: Mapped[str] = mapped_column(String(32), index=True)
    request_id: Mapped[int | None] = mapped_column(BigId)  # the transfer that started it
    created_on: Mapped[date] = mapped_column(Date)  # the opportunity's creation (day 0)
    transferred_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(24), index=True)  # running | extension_requested | transferred
    extension_request_id: Mapped[int | None] = mapped_column(BigId)
    extension_requested_on: Mapped[date | None] = mapped_column(Date)
    extension_close_date: Mapped[date | None] = mapped_column(Date)
    extension_evidence: Mapped[str | None] = mapped_column(Text)
    extension_decision: Mapped[str | None] = mapped_column(String(16))  # granted | refused
    transferred_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]


# ---- hardening ----
class DirectoryVersionRow(Base):
    """A token that changes whenever a part of the directory is rewritten (e.g. "accounts" on import), so
    every process can tell that its in-memory index is stale with one primary-key read."""

    __tablename__ = "directory_versions"
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    token: Mapped[str] = mapped_column(String(32))


# "My recent decisions" and "my requests" at scale: indexed lookups that also give the order.
Index("ix_decisions_actor_at", DecisionRow.actor, DecisionRow.at)
Index("ix_requests_requester_updated", RequestRow.requester, RequestRow.updated_at)


# ---- trust ----
class DatabaseMarkRow(Base):
    """What created this database: a "playground" row means the playground made it for itself, so the
    samples may be written into it; a database with data and no such row is never touched by it."""

    __tablename__ = "database_marks"
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    created_at: Mapped[datetime]


class SeenRequestRow(Base):
    """One row per signed Slack request already handled (a digest of its own ids), kept past Slack's
    five-minute signature window, so a replayed request is recognised by a primary-key insert."""

    __tablename__ = "seen_requests"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)


# ---- Salesforce ----
class CrmSyncStateRow(Base):
    """Per Salesforce object: how far the sync has read (advanced only in the transaction that wrote it)."""

    __tablename__ = "crm_sync_state"
    sobject: Mapped[str] = mapped_column(String(32), primary_key=True)
    watermark: Mapped[datetime | None]  # the newest SystemModstamp written
    deleted_until: Mapped[datetime | None]  # getDeleted has been read up to here
    full_at: Mapped[datetime | None]  # when the last full load finished


class CrmUserRow(Base):
    """A Salesforce User and the directory person it is (their Slack id, or the User id when not in Slack)."""

    __tablename__ = "crm_users"
    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    person_key: Mapped[str] = mapped_column(String(32), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(320), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    slack_id: Mapped[str | None] = mapped_column(String(32))  # users.lookupByEmail's answer, cached
    looked_up_email: Mapped[str | None] = mapped_column(String(320))  # the email that answer is for


class CrmDriftRow(Base):
    """An owner change made directly in Salesforce that breaks the handbook's criteria."""

    __tablename__ = "crm_drift"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(64), index=True)
    account_name: Mapped[str] = mapped_column(String(255), default="")
    old_owner: Mapped[str | None] = mapped_column(String(32))
    new_owner: Mapped[str] = mapped_column(String(32))
    reasons: Mapped[list[Any]] = mapped_column(default=list)
    detected_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(12), default="open", index=True)  # open | closed
    reported_at: Mapped[datetime | None]


def _staging_table(name: str, target: type[Base]) -> Any:
    """A file's rows, checked and loaded in short transactions before one short transaction applies them
    (the importer); the target's columns, keyed by import, without its indexes."""
    from sqlalchemy import Column, Table

    columns = [
        Column(c.name, c.type, primary_key=c.primary_key, nullable=c.nullable)
        for c in target.__table__.columns
        if c.name != "root_id"
    ]
    return Table(name, Base.metadata, Column("import_id", String(32), primary_key=True), *columns)


staged_accounts = _staging_table("staged_accounts", AccountRow)
staged_opportunities = _staging_table("staged_opportunities", OpportunityRow)
