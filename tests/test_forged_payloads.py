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
    answers = await standin.wait_for("response_url", count=4, within=10)  # each click answered, after its ack
    assert all("Nothing changed" in visible_text(a.args) for a in answers), answers
    assert standin.calls_to("views.open") == []
    assert "Hooli" not in everything(standin)
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


async def test_picking_a_new_owner_updates_only_a_claim_modal_opened_for_the_clicker(
    slack: SlackClient, standin: SlackStandIn, directory: Database
) -> None:
    await slack.command("claim Globex Corporation", "U0AE1")
    [opened] = await standin.wait_for("views.open")
    avas = {**opened.args["view"], "id": "V0AVA0001"}
    assert avas["external_id"].startswith("ownership.claim.U0AE1.")
    standin.reset()
    bare = {key: value for key, value in avas.items() if key != "external_id"}
    for view in (avas, bare):  # Ava's modal as it is, and a bare view id
        assert (await slack.click("U0SAL2", "ownership.new_owner", "", view=view)).status == 200
    await asyncio.sleep(0.2)
    assert standin.calls_to("views.update") == []
    assert (await slack.click("U0AE1", "ownership.new_owner", "", view=avas)).status == 200
    [update] = await standin.wait_for("views.update")
    assert update.args["external_id"] == avas["external_id"]
