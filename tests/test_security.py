"""Bad input and security: signatures on interactions, hostile text everywhere, forged buttons, public sector.

The property tests draw their examples with Hypothesis (modest counts, so the suite stays fast) and send
each one through the real HTTP path; every message the bot produced, on the HTTP reply and on every Web
API call the stand-in recorded, is checked for an unescaped mention or link.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.standin import signer
from bot.standin.web_api import SlackStandIn
from storage.db import Database
from storage.models import AuditRow, DecisionRow, OutboxRow, RequestRow
from tests.slack.client import SlackClient, text_value, visible_text
from tests.test_ownership import claim_values, request_hooli

HOSTILE = [
    "<!channel>",
    "<!here>",
    "<@U0EVIL1>",  # nobody the bot knows: the bot's own mentions (of U0AE2, say) are not leaks
    "<#C0GENERAL1>",
    "<http://evil.example|click>",
    "<!subteam^S1>",
]
SQL = ["'; DROP TABLE accounts; --", '" OR 1=1 --', "%", "_", "\\", "A-HOOLI' --"]
SUBCOMMANDS = ["", "help", "define", "glossary", "glossary edit", "ask", "requests", "owner", "segment",
               "claim", "stage", "sao", "name", "type"]  # fmt: skip
# What an unescaped mention or link looks like once Slack parses mrkdwn.
FORBIDDEN = ["<!channel", "<!here", "<@U0EVIL1", "<#C0GENERAL1", "<http://evil", "<!subteam"]


def hostile_text() -> st.SearchStrategy[str]:
    fragment = st.one_of(
        st.sampled_from(HOSTILE + SQL),
        st.text(min_size=0, max_size=40),  # any unicode
        st.text(alphabet="<>&|!@#*_~`", max_size=10),
    )
    long = st.builds(lambda s, n: (s * n)[:10_000], st.sampled_from(HOSTILE + ["x", "é"]), st.just(10_000))
    return st.one_of(st.lists(fragment, min_size=1, max_size=4).map(" ".join), long)


def examples(strategy: st.SearchStrategy[Any], n: int = 30) -> list[Any]:
    """Draw `n` examples with Hypothesis (the HTTP calls are async, so they run after the draw)."""
    drawn: list[Any] = []

    @settings(max_examples=n, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(strategy)
    def draw(value: Any) -> None:
        drawn.append(value)

    draw()
    return drawn


def leaks(message: Any) -> list[str]:
    text = visible_text(message)
    return [f for f in FORBIDDEN if f in text]


def everything_sent(standin: SlackStandIn, *replies: Any) -> list[Any]:
    return [*replies, *(c.args for c in standin.calls)]


async def count(db: Database, model: type, *where: Any) -> int:
    async with db.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


# ---- signatures, replays, size: for interactions too, and nothing is written -----------------------------
async def test_forged_unsigned_replayed_or_oversized_clicks_are_refused_and_change_nothing(
    slack: SlackClient, standin: SlackStandIn, db: Database, directory
) -> None:
    hooli = await request_hooli(slack, standin)
    audits = await count(db, AuditRow)
    payload = signer.block_action_payload("U0AE2", "approval.approve", hooli["approve"]["value"])
    body, content_type = signer.interaction_body(payload)
    async with slack.session.post(slack.url, data=body, headers={"Content-Type": content_type}) as response:
        assert response.status == 401
    wrong = {"Content-Type": content_type, **signer.signed_headers("not-the-secret", body)}
    async with slack.session.post(slack.url, data=body, headers=wrong) as response:
        assert response.status == 401
    assert (await slack.post(body, content_type, timestamp=int(time.time()) - 6 * 60)).status == 401
    big = signer.block_action_payload(
        "U0AE2", "approval.approve", hooli["approve"]["value"], block_id="b" * 300_000
    )
    assert (await slack.post(*signer.interaction_body(big))).status == 413
    submit = signer.view_submission_payload("U0AE1", "ownership.claim", claim_values("U0AE1", "x"))
    submit_body, submit_type = signer.interaction_body(submit)
    async with slack.session.post(
        slack.url, data=submit_body, headers={"Content-Type": submit_type}
    ) as response:
        assert response.status == 401
    await asyncio.sleep(0.1)
    assert await count(db, DecisionRow) == 0
    assert await count(db, AuditRow) == audits
    assert await count(db, RequestRow) == 1


# ---- hostile text in every subcommand and modal ------------------------------------------------------------
async def test_hostile_slash_command_text_never_fails_and_never_mentions_or_links(
    slack: SlackClient, standin: SlackStandIn, directory
) -> None:
    for i, text in enumerate(examples(hostile_text(), 30)):
        sub = SUBCOMMANDS[i % len(SUBCOMMANDS)]
        command = "/glossary" if i % 7 == 3 else "/gtm"
        standin.reset()
        reply = await slack.command(
            f"{sub} {text}".strip() if command == "/gtm" else text, "U0AE1", command=command
        )
        assert reply.status == 200, (command, sub, text[:80], reply.body[:300])
        await asyncio.sleep(0.02)  # lazy work (modals, respond) lands on the stand-in
        for message in everything_sent(standin, reply.json):
            assert not leaks(message), (command, sub, text[:80], leaks(message))


async def test_hostile_modal_values_never_fail_and_never_mention_or_link(
    slack: SlackClient, standin: SlackStandIn, deps, directory
) -> None:
    texts = examples(hostile_text(), 12)
    for text in texts:
        standin.reset()
        replies = [
            await slack.submit(
                "U0AE1", "ownership.claim", claim_values("U0AE1", text), private_metadata="A-HOOLI"
            ),
            await slack.submit(
                "U0OPS1",
                "glossary.suggest_modal",
                {"term": {"value": {"type": "plain_text_input", "value": text[:120]}},
                 "definition": {"value": {"type": "plain_text_input", "value": text}}},
            ),
            await slack.submit(
                "U0AE1", "stages.name", {"name_kind": {"value": {"type": "plain_text_input", "value": text}}}
            ),
        ]  # fmt: skip
        for reply in replies:
            assert reply.status == 200, (text[:80], reply.body[:300])
        await deps.outbox.drain()
        for message in everything_sent(standin, *(r.json for r in replies)):
            assert not leaks(message), (text[:80], leaks(message))
        async with deps.db.sessions.begin() as session:  # next example: a fresh claim is allowed again
            for request in await session.scalars(select(RequestRow)):
                request.status = "cancelled"


async def test_a_reject_reason_with_mentions_reaches_the_requester_escaped(
    slack: SlackClient, standin: SlackStandIn, deps, directory
) -> None:
    hooli = await request_hooli(slack, standin)
    reason = " ".join(HOSTILE) + " " + "x" * 3000
    values = text_value("reason", reason)
    reply = await slack.submit(
        "U0AE2", "approval.reject_reason", values, private_metadata=hooli["approve"]["value"]
    )
    assert reply.status == 200
    await deps.outbox.drain()
    assert await count(deps.db, DecisionRow) == 1
    for message in everything_sent(standin, reply.json):
        assert not leaks(message)
    told = [c for c in standin.calls_to("chat.postMessage") if c.args["channel"] == "U0AE1"]
    assert any("<!channel>" not in visible_text(c.args) and "channel" in visible_text(c.args) for c in told)


# ---- forged interactions ---------------------------------------------------------------------------------
async def test_forged_clicks_are_refused_audited_and_change_nothing(
    slack: SlackClient, standin: SlackStandIn, db: Database, deps, directory
) -> None:
    hooli = await request_hooli(slack, standin)
    request_id, step_id = hooli["approve"]["value"].split(":")
    for user, value in (
        ("U0SAL2", hooli["approve"]["value"]),  # not this person's approval
        ("U0AE1", hooli["approve"]["value"]),  # the requester approving her own request
        ("U0AE2", f"{int(request_id) + 999}:{step_id}"),  # no such request
        ("U0AE2", f"{request_id}:{int(step_id) + 999}"),  # no such step on it
        ("U0AE2", "1:2:3"),  # tampered
        ("U0AE2", "<!channel>"),  # tampered
    ):
        reply = await slack.click(user, "approval.approve", value)
        assert reply.status == 200
    await asyncio.sleep(0.05)
    assert await count(db, DecisionRow) == 0
    async with db.sessions() as session:
        actions = list(await session.scalars(select(AuditRow.action).where(AuditRow.action.like("refused%"))))
    assert actions.count("refused_decision") == 2
    assert actions.count("refused_unknown_request") == 2
    assert actions.count("refused_tampered_action") == 2
    assert await count(db, RequestRow, RequestRow.status == "pending") == 1
    for message in everything_sent(standin):
        assert not leaks(message)
    cancel = await slack.click("U0SAL2", "approval.cancel", request_id)  # someone else's request
    assert cancel.status == 200
    await asyncio.sleep(0.05)
    assert await count(db, RequestRow, RequestRow.status == "pending") == 1
    assert await count(db, OutboxRow, OutboxRow.method == "chat.update") == 0


# ---- public sector never leaks -----------------------------------------------------------------------------
async def test_public_sector_accounts_never_reach_other_users_through_any_command(
    slack: SlackClient, standin: SlackStandIn, deps, directory
) -> None:
    async def seen_by(user: str, text: str) -> str:
        standin.reset()
        reply = await slack.command(text, user)
        await asyncio.sleep(0.05)
        return "\n".join(visible_text(m) for m in everything_sent(standin, reply.json))

    for text in (
        "owner Stark Federal Systems",
        "owner A-STARK",
        "owner Stark",
        "owner Starc Federal",  # fuzzy
        "owner federal",  # substring
        "segment Stark Federal Systems",
        "segment A-STARK",
        "claim Stark Federal Systems",
        "claim A-STARK",
        "stage Stark Federal- 300 Premium",
        "stage O-1007",
        "stage Stark",
    ):
        shown = await seen_by("U0AE1", text)
        assert "Stark" not in shown.replace(text.split(" ", 1)[1], ""), (text, shown[:500])
        assert "Paula" not in shown, text
    assert "*Owner:* <@U0PUB1>" in await seen_by("U0PUB1", "owner Stark Federal Systems")
    # Paula asks for a public-sector account: her request never shows in anyone else's lists.
    reply = await slack.submit(
        "U0PUB1", "ownership.claim", claim_values("U0PUB1", "mine"), private_metadata="A-STARK"
    )
    assert reply.status == 200
    await deps.outbox.drain()
    async with deps.db.sessions() as session:
        ids = list(await session.scalars(select(RequestRow.id)))
    for user in ("U0AE1", "U0SAL1"):
        for text in ["requests", *(f"requests {i}" for i in ids)]:
            assert "Stark" not in await seen_by(user, text), (user, text)
    refused = await slack.submit(
        "U0AE1", "ownership.claim", claim_values("U0AE1", "x"), private_metadata="A-STARK"
    )
    assert "Stark" not in visible_text(refused.json)
