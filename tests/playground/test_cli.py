"""`gtm-bot serve`: no Slack tokens -> the playground; one token alone -> the one-line error as before."""

from __future__ import annotations

import pytest

from bot import cli


@pytest.mark.parametrize(
    ("env", "local"),
    [
        ({}, True),
        ({"SLACK_SIGNING_SECRET": " ", "SLACK_BOT_TOKEN": ""}, True),
        ({"SLACK_SIGNING_SECRET": "s"}, False),
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, False),
        ({"SLACK_SIGNING_SECRET": "s", "SLACK_BOT_TOKEN": "xoxb-1"}, False),
    ],
)
def test_local_mode_only_when_neither_token_is_set(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], local: bool
) -> None:
    for name in ("SLACK_SIGNING_SECRET", "SLACK_BOT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert cli._local_mode() is local


@pytest.mark.parametrize(
    ("set_name", "missing"),
    [("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"), ("SLACK_SIGNING_SECRET", "SLACK_BOT_TOKEN")],
)
def test_serve_with_one_token_stops_with_one_line_naming_the_other(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], set_name: str, missing: str
) -> None:
    monkeypatch.delenv(missing, raising=False)
    monkeypatch.setenv(set_name, "x")
    assert cli.main(["serve"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"gtm-bot: error: {missing} is not set; see README.md, 'Configuration'"]


def test_socket_mode_without_an_app_token_stops_with_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    monkeypatch.delenv("SLACK_APP_TOKEN", raising=False)
    assert cli.main(["socket"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["gtm-bot: error: SLACK_APP_TOKEN is not set; see README.md, 'Configuration'"]
