"""The pooled Slack client's short path for plain JSON calls answers exactly as slack_sdk's own path does:
the same data, and the same SlackApiError (its error, HTTP status and Retry-After) that the outbox reads."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.standin.web_api import Fault, SlackStandIn
from bot.web_client import SharedSessionWebClient


async def outcome(client: AsyncWebClient, method: str, payload: dict[str, Any]) -> dict[str, Any]:
    try:
        response = await client.api_call(method, json=dict(payload))
    except SlackApiError as exc:
        answer = exc.response
        return {
            "raised": True,
            "status": answer.status_code,
            "error": answer.get("error"),
            "retry_after": answer.headers.get("Retry-After"),
        }
    data = {k: v for k, v in response.data.items() if k not in ("ts", "message")}  # ts differs per post
    return {"raised": False, "status": response.status_code, "data": data}


@pytest.mark.parametrize(
    ("method", "payload", "fault"),
    [
        ("chat.postMessage", {"channel": "U0AE1", "text": "hi"}, None),
        ("chat.postMessage", {"channel": "", "text": "no channel"}, None),  # ok: false, status 200
        ("chat.update", {"channel": "D0AE1", "ts": "1.000001", "text": "gone"}, None),
        ("chat.postMessage", {"channel": "U0AE1", "text": "x"}, Fault(status=500)),
        ("chat.postMessage", {"channel": "U0AE1", "text": "x"}, Fault(status=429, retry_after=7)),
        ("views.publish", {"user_id": "U0AE1", "view": {"type": "home", "blocks": []}}, None),
    ],
)
async def test_the_short_path_answers_as_slack_sdk_does(
    standin: SlackStandIn,
    monkeypatch: pytest.MonkeyPatch,
    method: str,
    payload: dict[str, Any],
    fault: Fault | None,
) -> None:
    base_url = standin.base_url + "api/"
    plain = AsyncWebClient(token="xoxb-test", base_url=base_url)
    if fault is not None:
        standin.fail_next(method, fault)
    expected = await outcome(plain, method, payload)
    pooled = SharedSessionWebClient(token="xoxb-test", base_url=base_url)

    async def generic(**_kwargs: Any) -> dict[str, Any]:
        raise AssertionError("a plain JSON call went through slack_sdk's generic request")

    monkeypatch.setattr(pooled, "_request", generic)
    if fault is not None:
        standin.fail_next(method, fault)
    try:
        assert await outcome(pooled, method, payload) == expected
    finally:
        await pooled.close()
    sent = standin.calls_to(method)[-1].args  # the same JSON body reached Slack (less the fault's mark)
    assert {k: v for k, v in sent.items() if k != "_fault"} == payload
