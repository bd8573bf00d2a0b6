"""The benchmark's other processes: the Slack stand-in and the bare Bolt apps (`python -m bench.processes`).

    python -m bench.processes standin PORT
    python -m bench.processes bare PORT --default | --before-response

The stand-in answers every chat.update (the cards were seeded, not posted) and records when each one
arrived (GET /bench/updates), so a click can be timed to the moment its card changes in Slack.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.standin.web_api import SlackStandIn

SECRET = "bench-signing-secret"


class BenchStandIn(SlackStandIn):
    def __init__(self) -> None:
        super().__init__()
        self.updates: dict[str, float] = {}  # "channel:ts" -> wall time of the first chat.update
        self.counts: dict[str, int] = {}

    def _answer(self, method: str, args: dict[str, Any], auth: str) -> dict[str, Any]:
        self.counts[method] = self.counts.get(method, 0) + 1
        if method == "chat.update":
            self.updates.setdefault(f"{args.get('channel')}:{args.get('ts')}", time.time())
            return {"ok": True, "channel": args.get("channel"), "ts": args.get("ts")}
        if method == "chat.postMessage":  # keep memory flat: answer like Slack, store nothing
            channel = str(args.get("channel", ""))
            return {"ok": True, "channel": "D" + channel[1:], "ts": self._next_ts()}
        return super()._answer(method, args, auth)

    async def _record(self, call: Any) -> None:  # the benchmark doesn't keep every call
        return None

    def app(self) -> web.Application:
        app = super().app()

        async def updates(_request: web.Request) -> web.Response:
            return web.json_response({"updates": self.updates, "counts": self.counts})

        app.router.add_get("/bench/updates", updates)
        return app


def bare_app(standin_url: str, *, before_response: bool) -> web.Application:
    """Bolt with listeners that only ack: Bolt's default (ack polled every 10 ms) or before-response."""
    bolt = AsyncApp(
        signing_secret=SECRET,
        client=AsyncWebClient(token="xoxb-bench", base_url=standin_url + "api/"),
        process_before_response=before_response,
    )

    async def only_ack(ack: AsyncAck) -> None:
        await ack()

    for command in ("/gtm", "/glossary"):
        bolt.command(command)(only_ack)
    bolt.action("approval.approve")(only_ack)
    app = web.Application()

    async def events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

    app.router.add_post("/slack/events", events)
    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("what", choices=["standin", "bare"])
    parser.add_argument("port", type=int)
    parser.add_argument("--standin-url", default="")
    parser.add_argument("--before-response", action="store_true")
    args = parser.parse_args()
    if args.what == "standin":
        standin = BenchStandIn()
        standin.base_url = f"http://127.0.0.1:{args.port}/"
        web.run_app(standin.app(), host="127.0.0.1", port=args.port, print=None, access_log=None)
    else:
        app = bare_app(args.standin_url, before_response=args.before_response)
        web.run_app(app, host="127.0.0.1", port=args.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
