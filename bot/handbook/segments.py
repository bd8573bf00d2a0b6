"""Sales segments and account hierarchies ("Segmentation", "Sales Segment and Hierarchy Review Process")."""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache

from bot.handbook import facts
from bot.handbook.directory import Account, Segment


def _facts() -> dict:
    return facts.load("ownership")


@cache
def _bands() -> tuple[tuple[int, int | None, Segment], ...]:
    """(min, max or None, segment) of each band in the facts, made once: segment_for runs for every member
    of every hierarchy a look-up reads."""
    return tuple((band["min"], band["max"], Segment(band["segment"])) for band in _facts()["segments"])


@cache
def _count_sources() -> tuple[tuple[str, str], ...]:
    """(Account field, label) of each employee-count source, in the facts' order of precedence."""
    return tuple((source["field"], source["label"]) for source in _facts()["employee_count_sources"])


@dataclass(frozen=True, slots=True)
class EmployeeCount:
    """An employee count and the data source it came from (e.g. "DataFox")."""

    count: int
    source: str

    def __str__(self) -> str:
        return f"{self.source} {self.count:,}"


@dataclass(frozen=True, slots=True)
class Hierarchy:
    """The accounts under one ultimate parent ("Account Ownership Rules of Engagement" 2 and 8).

    `members` starts with the ultimate parent, then descendants breadth-first. `cycle` is True when the
    parent links loop (the ultimate parent is then the loop's smallest id); `missing_parent` names a
    parent id that is not in the directory.
    """

    account: Account
    ultimate_parent: Account
    members: tuple[Account, ...]
    cycle: bool = False
    missing_parent: str | None = None

    def member(self, account_id: str) -> Account | None:
        return next((a for a in self.members if a.account_id == account_id), None)


@dataclass(frozen=True, slots=True)
class OwnSegment:
    """One account's segment from its own employee count, before the hierarchy is applied."""

    account: Account
    segment: Segment | None
    count: EmployeeCount | None

    def __str__(self) -> str:
        if self.segment is None or self.count is None:
            return f"{self.account.name} (no employee count)"
        return f"{self.account.name} ({self.segment} from {self.count})"


@dataclass(frozen=True, slots=True)
class SegmentExplanation:
    """How a hierarchy's segment was reached ("Segmentation"; Rules of Engagement 8).

    `decided_by` is the member whose count set the segment; `raised_by` is that member when it is not the
    ultimate parent and the parent's own segment is lower (the parent "adopts" it).
    """

    segment: Segment | None
    own: tuple[OwnSegment, ...]
    decided_by: Account | None
    raised_by: Account | None
    source: EmployeeCount | None
    # account_id -> position in `own`, so one member's entry is found at once in a 40,000-account tree
    positions: Mapping[str, int] = field(default_factory=dict, compare=False, repr=False)

    def own_segment(self, account_id: str) -> OwnSegment | None:
        if self.positions:
            at = self.positions.get(account_id)
            return None if at is None else self.own[at]
        return next((o for o in self.own if o.account.account_id == account_id), None)

    def summary(self, account_id: str | None = None) -> str:
        """Plain text, e.g. "Initech (SMB from DataFox 80) adopts Large from its child Initech GmbH (...)"."""
        if not self.own:
            return "No accounts."
        parent = self.own[0]
        if self.segment is None:
            text = f"{parent.account.name} has no employee count from DataFox or Zoominfo in its hierarchy"
        elif self.raised_by is not None:
            raiser = self.own_segment(self.raised_by.account_id)
            raised = f"{raiser.account.name} ({raiser.count})" if raiser else self.raised_by.name
            text = f"{parent} adopts {self.segment} from its child {raised}"
        else:
            text = f"{parent} is {self.segment}"
        if account_id is not None and account_id != parent.account.account_id:
            own = self.own_segment(account_id)
            if own is not None:
                adopted = self.segment or "no segment"
                text = f"{own} is in {parent.account.name}'s hierarchy and adopts {adopted}: {text}"
        return text + "."


def segment_for(employees: int | None) -> Segment | None:
    """Large 2,000+, Mid-Market 100-1,999, SMB 0-99; None for no or a negative count ("Segmentation")."""
    if employees is None:
        return None
    for lower, upper, segment in _bands():
        if lower <= employees and (upper is None or employees <= upper):
            return segment
    return None


def employee_count(account: Account) -> EmployeeCount | None:
    """Admin override, else DataFox, else Zoominfo; LinkedIn is never a source ("Segmentation")."""
    for name, label in _count_sources():
        value = getattr(account, name)
        if value is not None:
            return EmployeeCount(value, label)
    return None


def hierarchy_of(account_id: str, accounts_by_id: Mapping[str, Account]) -> Hierarchy:
    """Walk up to the ultimate parent and collect every account under it, safe against loops.

    "Changing Account Ownership in Salesforce": the ultimate parent's details decide for the whole tree.
    Raises KeyError when `account_id` itself is unknown (a caller error, not a handbook outcome).
    """
    account = accounts_by_id[account_id]
    path: list[str] = [account_id]
    seen = {account_id}
    current = account
    cycle = False
    missing: str | None = None
    while current.parent_id is not None:
        if current.parent_id not in accounts_by_id:
            missing = current.parent_id
            break
        if current.parent_id in seen:
            cycle = True
            loop = path[path.index(current.parent_id) :]
            current = accounts_by_id[min(loop)]
            break
        current = accounts_by_id[current.parent_id]
        path.append(current.account_id)
        seen.add(current.account_id)
    root = current

    children: dict[str, list[Account]] = {}
    for other in accounts_by_id.values():
        if other.parent_id is not None:
            children.setdefault(other.parent_id, []).append(other)
    members: list[Account] = [root]
    visited = {root.account_id}
    queue = deque([root])
    while queue:
        parent = queue.popleft()
        for child in sorted(children.get(parent.account_id, []), key=lambda a: (a.name, a.account_id)):
            if child.account_id not in visited:
                visited.add(child.account_id)
                members.append(child)
                queue.append(child)
    return Hierarchy(account, root, tuple(members), cycle, missing)


def effective_segment(hierarchy: Hierarchy) -> SegmentExplanation:
    """The largest segment of any account in the hierarchy; every member adopts it.

    "Segmentation" and Rules of Engagement 8 ("All Accounts in a hierarchy will adopt the MAX Segmentation").
    On a tie the ultimate parent decides, then members in hierarchy order.
    """
    own = tuple(
        OwnSegment(member, segment_for(count.count) if count else None, count)
        for member in hierarchy.members
        for count in [employee_count(member)]
    )
    positions = {entry.account.account_id: i for i, entry in reversed(list(enumerate(own)))}
    ranked = [(entry.segment.rank, entry) for entry in own if entry.segment is not None]
    if not ranked:
        return SegmentExplanation(None, own, None, None, None, positions)
    top = max(rank for rank, _ in ranked)
    best = next(entry for rank, entry in ranked if rank == top)  # the parent first, then hierarchy order
    parent = own[0]
    raised = best is not parent and (parent.segment is None or parent.segment.rank < top)
    return SegmentExplanation(
        best.segment, own, best.account, best.account if raised else None, best.count, positions
    )
