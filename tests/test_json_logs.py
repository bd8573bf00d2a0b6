"""LOG_FORMAT=json through the real `gtm-bot serve`: one JSON object per line, each Slack request with its
request id, listener, user, approval request and duration; never a token, the signing secret or a request
signature, even at DEBUG."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import aiohttp

from bot.standin import signer
from bot.standin.web_api import SlackStandIn
from tests.test_cli_operator import free_port

GTM_BOT = str(Path(sys.executable).with_name("gtm-bot"))
SAMPLES = Path(__file__).resolve().parent.parent / "bot" / "samples"
SECRET = "json-logs-signing-secret-1234"
TOKEN = "xoxb-json-logs-bot-token-5678"
CLAIM = {
    "new_owner": {"ownership.new_owner": {"type": "users_select", "selected_user": "U0AE1"}},
    "reason": {"value": {"type": "plain_text_input", "value": "I run their renewal"}},
}


async def gtm_bot(*args: str, env: dict[str, str], cwd: Path) -> asyncio.subprocess.Process:
    """The log goes to a file: a DEBUG log fills a pipe nobody reads until the end, and the server stalls."""
    log = (cwd / f"{args[0]}.log").open("a")
    try:
        return await asyncio.create_subprocess_exec(GTM_BOT, *args, env=env, cwd=cwd, stdout=log, stderr=log)
    finally:
        log.close()


async def test_json_logs_carry_the_request_and_never_a_secret(tmp_path: Path, standin: SlackStandIn) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL", "LOG_"))},
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_API_URL": standin.base_url + "api/",
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'logs.db'}",
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "DEBUG",
    }
    for kind, name in (("org", "org.yaml"), ("accounts", "accounts.csv")):
        process = await gtm_bot("import", kind, str(SAMPLES / name), env=env, cwd=tmp_path)
        assert await process.wait() == 0
    port = free_port()
    server = await gtm_bot("serve", "--host", "127.0.0.1", "--port", str(port), env=env, cwd=tmp_path)
    base = f"http://127.0.0.1:{port}"
    signatures: list[str] = []
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(120):
                try:
                    async with http.get(base + "/healthz") as response:
                        assert response.status == 200
                        break
                except aiohttp.ClientError:
                    await asyncio.sleep(0.25)

            async def post(body: str, content_type: str, **headers: str) -> int:
                signed = {"Content-Type": content_type, **signer.signed_headers(SECRET, body), **headers}
                signatures.append(signed["X-Slack-Signature"])
                async with http.post(base + "/slack/events", data=body.encode(), headers=signed) as response:
                    return response.status

            assert await post(*signer.command_body("/gtm", "help", "U0AE1")) == 200
            payload = signer.view_submission_payload(
                "U0AE1", "ownership.claim", CLAIM, private_metadata="A-UMBRELLA"
            )
            assert await post(*signer.interaction_body(payload)) == 200
            forged = "v0=" + "ab" * 32
            signatures.append(forged)
            body, content_type = signer.command_body("/gtm", "help", "U0AE2")
            headers = {"Content-Type": content_type, "X-Slack-Request-Timestamp": "1"}
            headers["X-Slack-Signature"] = forged
            async with http.post(base + "/slack/events", data=body.encode(), headers=headers) as response:
                assert response.status == 401
    finally:
        server.terminate()
        await server.wait()
    log = (tmp_path / "serve.log").read_text()
    lines = [line for line in log.splitlines() if line.strip()]
    entries = [json.loads(line) for line in lines]  # every line is one JSON object
    assert all({"time", "level", "logger", "message"} <= entry.keys() for entry in entries)
    handled = {e["listener"]: e for e in entries if e["logger"] == "gtm_bot.requests"}
    help_line = handled["/gtm help"]
    assert help_line["user"] == "U0AE1" and help_line["outcome"] == "ok"
    assert len(help_line["request_id"]) == 16 and help_line["duration_ms"] > 0
    claim_line = handled["view:ownership.claim"]
    assert claim_line["user"] == "U0AE1" and isinstance(claim_line["approval_request_id"], int)
    assert claim_line["request_id"] != help_line["request_id"]
    assert "/gtm" not in handled  # the forged request reached no listener: one warning, nothing of its body
    assert any(e["level"] == "WARNING" and e["message"].startswith("refused a request") for e in entries)
    assert any(e["message"].startswith("gtm-bot listening on") for e in entries)
    # serve froze what start-up built (templates, the directory's index...) before it served: once
    [frozen] = [e for e in entries if e["message"].startswith("start-up heap frozen")]
    assert int(frozen["message"].split(": ")[1].split()[0]) > 10_000
    for secret in (SECRET, TOKEN, *signatures, *(s.removeprefix("v0=") for s in signatures)):
        assert secret not in log
