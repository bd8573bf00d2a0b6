"""Forged payloads, signed with the secret: a button naming someone else's request shows nothing of it.

The reject / override / escalation reason modals open only for a person who may decide that step now.
"""

from __future__ import annotations

import asyncio

import pytest

from bot.standin.web_api import SlackStandIn
from storage.db import Database
from tests.slack.client import SlackClient, visible_text
from tests.test_escalations import ALEX, SALLY, TOM, card_button, escalate
from tests.test_ownership import request_hooli


def everything(standin: SlackStandIn) -> str:
    return "\n".join(visible_text(c.args) for c in standin.calls)


@pytest.mark.parametrize("action", ["approval.reject", "approval.approve_override"])
async def test_a_reason_modal_opens_only_for_the_approver_of_the_pending_step(
    slack: SlackClient, standin: SlackStandIn, deps, directory: Database, action: str
) -> None:
    hooli = await request_hooli(slack, standin)
    await deps.outbox.drain()
    value = hooli["approve"]["value"]
    request_id, step_id = value.split(":")
    standin.reset()
    for user, forged in (
        ("U0SAL2", value),  # a bystander
        ("U0AE1", value),  # the requester
        ("U0AE2", f"{request_id}:{int(step_id) + 1}"),  # the approver, another step
        ("U0AE2", f"{int(request_id) + 1}:{step_id}"),  # no such request
    ):
        assert (await slack.click(user, action, forged)).status == 200
    await asyncio.sleep(0.2)
    assert standin.calls_to("views.open") == []
    assert "Hooli" not in everything(standin)
    assert "Nothing changed" in everything(standin)
    assert (await slack.click("U0AE2", action, value)).status == 200  # the approver: the modal opens
    [opened] = await standin.wait_for("views.open")
    assert "Hooli" in visible_text(opened.args["view"])


@pytest.mark.parametrize("action", ["escalation.reason", "escalation.reassign"])
async def test_an_escalation_modal_opens_only_for_the_global_owner_it_waits_on(
    slack: SlackClient, standin: SlackStandIn, deps, db: Database, directory: Database, action: str
) -> None:
    request_id = await escalate(slack, standin, db)
    value = await card_button(standin, SALLY, "escalation.reason", request_id)  # the global step
    await deps.outbox.drain()
    standin.reset()
    for user in (TOM, ALEX, "U0AE1"):
        assert (await slack.click(user, action, value)).status == 200
    await asyncio.sleep(0.2)
    assert standin.calls_to("views.open") == []
    assert "Initech" not in everything(standin)
    assert (await slack.click(SALLY, action, value)).status == 200
    await standin.wait_for("views.open")
