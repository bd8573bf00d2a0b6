"""A handbook section cut into passages: each numbered rule, list item, paragraph or table row on its own.

The handbook writes one sentence per line, continues a list item on unindented lines, and puts a list
right under the paragraph that introduces it ("Criteria for Reassigning Accounts:", "**4-Proposal**: ...").
So a passage is a paragraph or a list item with its continuation lines; a list hangs under the item or
paragraph it follows (a list with nothing above it is a group of its own). Whatever is short with what
hangs under it stays one passage (a rule and its cases, rules 1-5 of who may reassign); a long one is
cut, and each part keeps the text above it as context ("4-Proposal > What to Complete").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.handbook.sections import LINK_DEFINITION, Section, plain_text

LIST_ITEM = re.compile(r"^(\s*)(?:[-*+]|\d+\.|[A-Z]\.|\([ivx]+\))\s+(.*)$")
TABLE_SEPARATOR = re.compile(r"^\s*\|?[\s:|-]+\|?\s*$")
MAX_PASSAGE_CHARS = 600  # a rule with its cases up to this long is one passage; longer ones are cut
MAX_CONTEXT_CHARS = 120  # of each text above a passage, kept as its context


@dataclass(frozen=True, slots=True)
class Passage:
    """One rule, item, paragraph or row of a section, with the text above it that it depends on."""

    section: Section
    text: str  # plain text; sub-items on their own lines, bulleted
    context: tuple[str, ...] = ()  # the paragraphs or items it hangs under, outermost first


@dataclass(slots=True)
class _Node:
    text: str
    indent: int
    children: list[_Node] = field(default_factory=list)

    def lines(self, depth: int = 0) -> list[str]:
        own = [("    " * (depth - 1) + "• " if depth else "") + self.text] if self.text else []
        return own + [line for child in self.children for line in child.lines(depth + 1)]

    def size(self) -> int:
        return len(self.text) + sum(child.size() for child in self.children)


def _table_row(line: str) -> str:
    """`| Term | Definition |` reads as `Term: Definition`."""
    cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
    return ": ".join(cell for cell in cells if cell)


def _clean(text: str) -> str:
    return " ".join(plain_text(text).split())


def _tree(markdown: str) -> list[_Node]:
    """Paragraphs, list items and table rows as a tree (lists under what they follow)."""
    roots: list[_Node] = []
    stack: list[_Node] = []  # the open list items, innermost last
    paragraph: _Node | None = None  # the paragraph being read; a list right under it hangs from it
    lead: _Node | None = None  # a finished paragraph ending in ":" keeps its list even after a blank line
    group: _Node | None = None  # a list with nothing above it: its items, kept together while short
    lines = markdown.splitlines()
    for number, line in enumerate(lines):
        if LINK_DEFINITION.match(line):
            continue
        if not line.strip():
            introduces = paragraph is not None and paragraph.text.endswith(":") and not paragraph.children
            lead = paragraph if introduces else None
            paragraph, group, stack = None, None, []
            continue
        if line.lstrip().startswith("|"):
            next_line = lines[number + 1] if number + 1 < len(lines) else ""
            if not TABLE_SEPARATOR.match(line) and not TABLE_SEPARATOR.match(next_line):
                roots.append(_Node(_clean(_table_row(line)), 0))
            paragraph = lead = group = None
            stack = []
            continue
        item = LIST_ITEM.match(line)
        if item:
            node = _Node(_clean(item.group(2)), len(item.group(1).expandtabs(4)))
            while stack and stack[-1].indent >= node.indent:
                stack.pop()
            parent = stack[-1] if stack else paragraph or lead
            if parent is None:
                if group is None:
                    group = _Node("", node.indent)
                    roots.append(group)
                parent = group
            parent.children.append(node)
            stack.append(node)
            continue
        text = _clean(line)
        if stack:  # an item goes on over unindented lines
            stack[-1].text = f"{stack[-1].text} {text}".strip()
        elif paragraph is not None:
            paragraph.text = f"{paragraph.text} {text}".strip()
        else:
            paragraph, lead, group = _Node(text, 0), None, None
            roots.append(paragraph)
    return roots


def _trim(text: str) -> str:
    return text if len(text) <= MAX_CONTEXT_CHARS else text[: MAX_CONTEXT_CHARS - 1].rstrip() + "…"


def _emit(node: _Node, section: Section, context: tuple[str, ...], out: list[Passage]) -> None:
    if not node.children or node.size() <= MAX_PASSAGE_CHARS:
        text = "\n".join(node.lines())
        if text.strip():
            out.append(Passage(section, text, context))
        return
    if node.text and not node.text.endswith(":"):  # "Exceptions:" alone says nothing
        out.append(Passage(section, node.text, context))
    below = (*context, _trim(node.text)) if node.text else context
    for child in node.children:
        _emit(child, section, below, out)


def split_passages(section: Section) -> list[Passage]:
    """The section's passages in page order; a heading with no text of its own has none."""
    passages: list[Passage] = []
    for node in _tree(section.text):
        _emit(node, section, (), passages)
    return passages
