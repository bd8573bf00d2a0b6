"""Rows for repository and use-case tests: one builder per table, every field a sensible default."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from storage.models import HoldoverRow, RequestRow, SlaRequestRow, SponsorshipRow, StepRow
from tests.conftest import START


def request(
    kind: str = "ownership", *, status: str = "pending", requester: str = "U0AE1", **kw: Any
) -> RequestRow:
    fields: dict[str, Any] = {"subject_id": "A-HOOLI", "summary": "", "payload": {}, "created_at": START}
    fields.update(kw)
    fields.setdefault("updated_at", fields["created_at"])
    return RequestRow(kind=kind, status=status, requester=requester, **fields)


def step(request_id: int, position: int = 0, *, state: str = "pending", **kw: Any) -> StepRow:
    fields: dict[str, Any] = {"name": f"step {position}", "mode": "one", "approvers": [], "created_at": START}
    fields.update(kw)
    return StepRow(request_id=request_id, position=position, state=state, decided_at=None, **fields)


def holdover(opportunity_id: str = "O-1005", *, new_owner: str = "U0AE1", **kw: Any) -> HoldoverRow:
    fields: dict[str, Any] = {
        "account_id": "A-HOOLI",
        "original_owner": "U0AE2",
        "created_on": date(2026, 10, 1),
        "transferred_on": START.date(),
        "ends_on": START.date() + timedelta(days=30),
        "status": "running",
        "updated_at": START,
    }
    fields.update(kw)
    return HoldoverRow(opportunity_id=opportunity_id, new_owner=new_owner, **fields)


def sla(owner: str = "U0AE1", **kw: Any) -> SlaRequestRow:
    fields: dict[str, Any] = {
        "account_id": "A-HOOLI",
        "account_name": "Hooli",
        "kind": "contact-us",
        "manager": "U0ASM3",
        "logged_by": "U0OPS1",
        "received_at": START,
        "remind_at": START + timedelta(hours=20),
        "due_at": START + timedelta(hours=24),
        "created_at": START,
    }
    fields.update(kw)
    return SlaRequestRow(owner=owner, **fields)


def sponsorship(account_id: str = "A-GLOBEX", request_id: int = 1, **kw: Any) -> SponsorshipRow:
    fields: dict[str, Any] = {
        "account_name": account_id,
        "sponsor": "U0VP1",
        "nominated_by": "U0SAL3",
        "confirmed_by": "U0CRO1",
        "starts_on": START.date(),
        "ends_on": START.date() + timedelta(days=365),
        "created_at": START,
    }
    fields.update(kw)
    return SponsorshipRow(account_id=account_id, request_id=request_id, **fields)
