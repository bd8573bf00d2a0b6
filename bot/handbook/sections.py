"""The handbook page as sections (headings with their text); `/gtm ask` ranks their passages (search.py)."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from bot.handbook import facts

HEADING = re.compile(r"^(#{1,5})\s+(.*?)\s*#*\s*$")
KRAMDOWN_ATTRIBUTES = re.compile(r"^\s*\{:.*\}\s*$|^\s*\{::.*\}\s*$")
MARKDOWN_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
REFERENCE_LINK = re.compile(r"\[([^\]]*)\](?:\[[^\]]*\])?")
LINK_DEFINITION = re.compile(r"^\s*\[[^\]]+\]:\s*\S+.*$")


@dataclass(frozen=True, slots=True)
class Section:
    """One heading of the handbook and the text up to the next heading."""

    title: str
    anchor: str
    level: int
    text: str

    @property
    def url(self) -> str:
        return facts.section_url(self.anchor)


def default_handbook_path() -> Path:
    """The handbook page shipped with the bot (`bot/handbook/data/go-to-market.md`)."""
    return Path(str(resources.files("bot.handbook").joinpath("data", "go-to-market.md")))


def kramdown_anchor(title: str) -> str:
    """Kramdown's heading id: leading non-letters dropped, only [a-zA-Z0-9 -] kept, spaces to hyphens."""
    text = re.sub(r"^[^a-zA-Z]+", "", title.strip())
    text = re.sub(r"[^a-zA-Z0-9 -]", "", text)
    return text.replace(" ", "-").lower() or "section"


def strip_front_matter(text: str) -> str:
    if text.startswith("---"):
        end = text.find("\n---", 3)
        if end != -1:
            return text[text.find("\n", end + 1) + 1 :] if "\n" in text[end + 1 :] else ""
    return text


def parse_sections(text: str) -> list[Section]:
    """Split markdown into sections at `#`..`#####` headings; kramdown attribute lines are dropped."""
    sections: list[Section] = []
    used: Counter[str] = Counter()
    title, level, body = "", 0, []

    def flush() -> None:
        if not title:
            return
        base = kramdown_anchor(title)
        anchor = base if used[base] == 0 else f"{base}-{used[base]}"
        used[base] += 1
        sections.append(Section(title=title, anchor=anchor, level=level, text="\n".join(body).strip()))

    for line in strip_front_matter(text).splitlines():
        if KRAMDOWN_ATTRIBUTES.match(line):
            continue
        heading = HEADING.match(line)
        if heading:
            flush()
            level, title, body = len(heading.group(1)), heading.group(2).strip(), []
        else:
            body.append(line)
    flush()
    return sections


def plain_text(markdown: str) -> str:
    """Markdown inline syntax removed: link targets, emphasis, code ticks."""
    text = MARKDOWN_LINK.sub(r"\1", markdown)
    text = REFERENCE_LINK.sub(r"\1", text)
    text = re.sub(r"[*_`]+", "", text)
    return re.sub(r"[ \t]+", " ", text)
