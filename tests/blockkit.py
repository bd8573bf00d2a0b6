"""Block Kit checks with slack_sdk's models and Slack's documented limits."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_SECTION_TEXT = 3000
MAX_MODAL_TITLE = 24


def _check_blocks(blocks: list[dict[str, Any]], limit: int, where: str) -> None:
    assert isinstance(blocks, list), f"{where}: blocks must be a list"
    assert len(blocks) <= limit, f"{where}: {len(blocks)} blocks, Slack allows {limit}"
    for block in blocks:
        parsed = Block.parse(block)
        assert parsed is not None, f"{where}: unknown block {block.get('type')}"
        parsed.validate_json()
        if block.get("type") == "section":
            text = (block.get("text") or {}).get("text", "")
            assert len(text) <= MAX_SECTION_TEXT, f"{where}: section text of {len(text)} characters"
            for field in block.get("fields") or []:
                assert len(field.get("text", "")) <= 2000, f"{where}: section field too long"


def check_message(message: dict[str, Any], where: str = "message") -> None:
    assert isinstance(message.get("text"), str) and message["text"], f"{where}: needs a fallback text"
    _check_blocks(message.get("blocks", []), MAX_MESSAGE_BLOCKS, where)


def check_options(answer: dict[str, Any], where: str = "options") -> None:
    """An options-load (block_suggestion) answer: at most 100 options, each a valid Option."""
    from slack_sdk.models.blocks import Option

    assert set(answer) == {"options"} and len(answer["options"]) <= 100, where
    for option in answer["options"]:
        Option(**option).validate_json()
        assert len(option["text"]["text"]) <= 75 and len(option["value"]) <= 150, where


def check_view(view: dict[str, Any], where: str = "view") -> None:
    View(**view).validate_json()
    if view.get("type") == "modal":
        title = view["title"]["text"]
        assert len(title) <= MAX_MODAL_TITLE, f"{where}: modal title {title!r} over {MAX_MODAL_TITLE}"
    _check_blocks(view.get("blocks", []), MAX_VIEW_BLOCKS, where)
