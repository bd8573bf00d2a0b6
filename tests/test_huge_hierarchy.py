"""A hierarchy of 40,000 children moves with its parent on approval (PostgreSQL's 32,767-parameter bound)."""

from __future__ import annotations

from sqlalchemy import func, insert, select

from bot.standin.web_api import SlackStandIn
from storage.db import Database
from storage.models import AccountRow
from tests.slack.client import SlackClient
from tests.test_ownership import request_hooli

CHILDREN = 40_000


async def test_approving_a_parent_with_40000_children_moves_them_all(
    slack: SlackClient, standin: SlackStandIn, db: Database, directory
) -> None:
    sent = await request_hooli(slack, standin)  # Ava asks for Hooli, Ben (its owner) decides
    async with db.sessions.begin() as session:
        await session.execute(
            insert(AccountRow),
            [
                {
                    "account_id": f"A-HOOLI-{i:05d}",
                    "name": f"Hooli Branch {i}",
                    "parent_id": "A-HOOLI",
                    "root_id": "A-HOOLI",
                    "owner": "U0AE2",
                    "named": False,
                    "public_sector": False,
                }
                for i in range(CHILDREN)
            ],
        )
    reply = await slack.click("U0AE2", "approval.approve", sent["approve"]["value"])
    assert reply.status == 200, reply.body
    async with db.reads() as session:
        moved = await session.scalar(
            select(func.count())
            .select_from(AccountRow)
            .where(AccountRow.root_id == "A-HOOLI", AccountRow.owner == "U0AE1")
        )
    assert moved == CHILDREN + 1
