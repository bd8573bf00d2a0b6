"""One Salesforce sync pass with Slack ids for its users: what `gtm-bot sync salesforce` and the job run.

Kept apart from jobs.py (the outbox, scheduler and conflict wiring) so the CLI starts quickly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from datetime import datetime

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.crm.client import Credentials, SalesforceClient
from bot.crm.mapping import load_mapping
from bot.crm.sync import Counts, Reporter, SlackLookup, Sync
from bot.settings import SalesforceSettings
from storage.db import Database


def credentials(sf: SalesforceSettings) -> Credentials:
    """The sign-in part of the settings, which names its fields as Credentials does."""
    return Credentials(**{f.name: getattr(sf, f.name) for f in fields(Credentials)})


def slack_lookup(client: AsyncWebClient) -> SlackLookup:
    """Email -> Slack user id through users.lookupByEmail; someone not in Slack is None."""

    async def lookup(email: str) -> str | None:
        try:
            response = await client.users_lookupByEmail(email=email)
        except SlackApiError as exc:
            error = exc.response.get("error", "") if exc.response is not None else ""
            if error == "users_not_found":
                return None
            raise
        user = response.get("user") or {}
        return str(user["id"]) if user.get("id") and not user.get("deleted") else None

    return lookup


async def run_sync(
    db: Database,
    sf: SalesforceSettings,
    *,
    report: Reporter,
    clock: Callable[[], datetime],
    slack: AsyncWebClient | None,
    full: bool = False,
) -> Counts:
    mapping = load_mapping(sf.mapping_path)
    async with SalesforceClient(credentials(sf)) as client:  # one session per pass
        sync = Sync(
            db,
            client,
            mapping,
            report=report,
            clock=clock,
            lookup=slack_lookup(slack) if slack is not None else None,
        )
        return await sync.run(full=full)
