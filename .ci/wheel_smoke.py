"""The install a user does: run with the python of a fresh venv that has only the built wheel installed.

From a directory outside the checkout it imports the sample directory with `gtm-bot import`, starts
`gtm-bot serve` with Slack tokens and SLACK_API_URL pointing at the Slack stand-in (started here, in-process,
from the installed package), and drives `/gtm help`, `/glossary SAO` and one claim through the real endpoint
with signed requests. Any failure exits non-zero with the server's log.

    python .ci/wheel_smoke.py WORKDIR
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sys
from pathlib import Path

import aiohttp
from aiohttp import web

import bot
from bot.standin import signer
from bot.standin.web_api import SlackStandIn

SECRET = "wheel-smoke-signing-secret"
TOKEN = "xoxb-wheel-smoke-token"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def visible(message: object) -> str:
    return json.dumps(message, ensure_ascii=False)


async def gtm_bot(*args: str, env: dict[str, str], cwd: Path) -> None:
    exe = str(Path(sys.executable).with_name("gtm-bot"))
    process = await asyncio.create_subprocess_exec(exe, *args, env=env, cwd=cwd)
    assert await process.wait() == 0, f"gtm-bot {' '.join(args)} failed"


INSTALLED = Path(bot.__file__).resolve()
SAMPLES = INSTALLED.parent / "samples"
SAMPLE_FILES = (("org", "org.yaml"), ("accounts", "accounts.csv"), ("opportunities", "opportunities.csv"))


async def main(workdir: Path) -> None:
    standin = SlackStandIn()
    runner = web.AppRunner(standin.app())
    await runner.setup()
    slack_port, port = free_port(), free_port()
    await web.TCPSite(runner, "127.0.0.1", slack_port).start()
    standin.base_url = f"http://127.0.0.1:{slack_port}/"

    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL", "GTM_"))},
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_API_URL": standin.base_url + "api/",
        "DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'gtm-bot.db'}",
    }
    for kind, name in SAMPLE_FILES:
        await gtm_bot("import", kind, str(SAMPLES / name), env=env, cwd=workdir)

    log = (workdir / "serve.log").open("w")
    exe = str(Path(sys.executable).with_name("gtm-bot"))
    server = await asyncio.create_subprocess_exec(
        exe, "serve", "--host", "127.0.0.1", "--port", str(port), env=env, cwd=workdir, stderr=log, stdout=log
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(120):
                assert server.returncode is None, "gtm-bot serve exited"
                try:
                    async with http.get(base + "/healthz") as response:
                        health = await response.json()
                        break
                except aiohttp.ClientError:
                    await asyncio.sleep(0.25)
            else:
                raise AssertionError("gtm-bot serve never answered /healthz")
            assert health == {"ok": True, "database": "up", "templates": "ok"}, health

            async def post(body: str, content_type: str) -> dict:  # type: ignore[type-arg]
                headers = {"Content-Type": content_type, **signer.signed_headers(SECRET, body)}
                async with http.post(base + "/slack/events", data=body.encode(), headers=headers) as response:
                    text = await response.text()
                    assert response.status == 200, (response.status, text)
                    return json.loads(text) if text else {}

            help_reply = await post(*signer.command_body("/gtm", "help", "U0AE1"))
            assert "/gtm help" in visible(help_reply) and "/gtm claim" in visible(help_reply), help_reply
            print("/gtm help: ok")

            sao = await post(*signer.command_body("/glossary", "SAO", "U0AE1"))
            assert "Sales Accepted Opportunity" in visible(sao), sao
            print("/glossary SAO: ok")

            await post(*signer.command_body("/gtm", "claim Umbrella Labs", "U0AE1", trigger_id="trig-claim"))
            opened = await standin.wait_for("views.open")
            assert opened[0].args["view"]["callback_id"] == "ownership.claim", opened[0].args
            values = {
                "new_owner": {"ownership.new_owner": {"type": "users_select", "selected_user": "U0AE1"}},
                "reason": {"value": {"type": "plain_text_input", "value": "I run their renewal"}},
            }
            payload = signer.view_submission_payload(
                "U0AE1", "ownership.claim", values, private_metadata="A-UMBRELLA"
            )
            done = await post(*signer.interaction_body(payload))
            assert "Ownership changed" in visible(done), done
            owner = await post(*signer.command_body("/gtm", "owner Umbrella Labs", "U0AE1"))
            assert "*Owner:* <@U0AE1>" in visible(owner), owner  # Ava Cole, as a mention
            print("claim of Umbrella Labs: ok")

            async with http.get(base + "/metrics") as response:
                metrics = await response.text()
            assert response.status == 200 and "gtm_requests_total" in metrics, metrics[:500]
            print("/metrics: ok")
    finally:
        server.terminate()
        await server.wait()
        await runner.cleanup()
        log.close()
    served = (workdir / "serve.log").read_text()
    assert "Traceback" not in served, served
    assert SECRET not in served and TOKEN not in served, "a secret reached the log"
    assert "listening on http://127.0.0.1" in served, served


if __name__ == "__main__":
    where = Path(sys.argv[1]).resolve()
    assert INSTALLED.is_relative_to(Path(sys.prefix).resolve()), f"bot comes from {INSTALLED}, not the wheel"
    try:
        asyncio.run(main(where))
    except BaseException:
        log = where / "serve.log"
        if log.exists():
            print(log.read_text(), file=sys.stderr)
        raise
    print("the wheel serves from outside the checkout")
