"""The foundation through the real HTTP path: signatures, help, health."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest

from bot.deps import Deps
from bot.render import Renderer, TemplatesBroken
from bot.standin import signer
from tests.slack.client import SlackClient


async def test_gtm_help_lists_every_subcommand(slack: SlackClient) -> None:
    reply = await slack.command("help", "U0AE1")
    assert reply.status == 200
    assert "/gtm help" in reply.text
    assert reply.json["response_type"] == "ephemeral"


@pytest.mark.parametrize("text", ["frobnicate", "<!channel> now"])
async def test_an_unknown_subcommand_answers_with_help_and_escapes_it(slack: SlackClient, text: str) -> None:
    reply = await slack.command(text, "U0AE1")
    assert reply.status == 200
    assert "I don't know" in reply.text
    assert "/gtm help" in reply.text
    assert "<!channel>" not in reply.body


async def test_empty_gtm_answers_with_help(slack: SlackClient) -> None:
    reply = await slack.command("", "U0AE1")
    assert "Here is what I can do" in reply.text
    assert "I don't know" not in reply.text


async def test_an_unsigned_request_is_refused(slack: SlackClient) -> None:
    body, content_type = signer.command_body("/gtm", "help", "U0AE1")
    async with slack.session.post(slack.url, data=body, headers={"Content-Type": content_type}) as response:
        assert response.status == 401


async def test_a_wrongly_signed_request_is_refused(slack: SlackClient) -> None:
    body, content_type = signer.command_body("/gtm", "help", "U0AE1")
    headers = {"Content-Type": content_type, **signer.signed_headers("not-the-secret", body)}
    async with slack.session.post(slack.url, data=body, headers=headers) as response:
        assert response.status == 401


async def test_a_request_replayed_after_five_minutes_is_refused(slack: SlackClient) -> None:
    body, content_type = signer.command_body("/gtm", "help", "U0AE1")
    reply = await slack.post(body, content_type, timestamp=int(time.time()) - 6 * 60)
    assert reply.status == 401


async def test_an_oversized_request_is_refused_with_413(slack: SlackClient) -> None:
    body, content_type = signer.command_body("/gtm", "help " + "x" * 400_000, "U0AE1")
    reply = await slack.post(body, content_type)
    assert reply.status == 413


async def test_healthz_says_the_database_answers(slack: SlackClient) -> None:
    async with slack.session.get(slack.url.replace("/slack/events", "/healthz")) as response:
        assert response.status == 200
        assert (await response.json()) == {"ok": True, "database": "up", "templates": "ok"}


async def test_missing_templates_show_in_healthz_and_are_not_called_a_database_outage(
    slack: SlackClient, deps: Deps, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    shipped = deps.renderer
    deps.renderer = Renderer(tmp_path)  # what a wheel without its templates looked like
    try:
        async with slack.session.get(slack.url.replace("/slack/events", "/healthz")) as response:
            assert (await response.json()) == {"ok": False, "database": "up", "templates": "missing"}
        with caplog.at_level(logging.WARNING):
            reply = await slack.command("help", "U0AE1")
        assert reply.status == 500
        assert "database unavailable" not in caplog.text
        assert "TemplateNotFound" in caplog.text
    finally:
        deps.renderer = shipped


def test_the_renderer_check_refuses_a_folder_without_templates(tmp_path: Path) -> None:
    with pytest.raises(TemplatesBroken, match="no templates found"):
        Renderer(tmp_path).check()
    (tmp_path / "common").mkdir()
    (tmp_path / "common" / "help.json.j2").write_text("{% if %}")
    with pytest.raises(TemplatesBroken, match="common/help.json.j2 does not compile"):
        Renderer(tmp_path).check()
    assert Renderer().check() > 50  # the shipped templates, found as the `templates` package
