"""Who may see an account and anything that names it ("Record Visibility"): the one rule.

Public sector accounts are visible only to the public sector team and admins. Every path that renders a
record (cards, DMs, App Home, request lists and timelines, SLA lists and notices, reviews, sponsorship,
holdovers) asks `may_see`; whoever may not see an account reads `HIDDEN_NAME` at most. Approvals on an
account go only to people who may see it (`approvers_who_may_see`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import is_dataclass, replace
from typing import Any

from bot.handbook.directory import Account, Person, Role

HIDDEN_NAME = "a public-sector account"
PUBLIC = Account(account_id="", name="", public_sector=True)


def may_see(person: Person | None, account: Account | None) -> bool:
    """Public sector accounts: the public sector team and admins only; someone unknown is on no team."""
    if account is None or not account.public_sector:
        return True
    return person is not None and (person.public_sector or person.role is Role.ADMIN)


def shown_name(person: Person | None, account: Account) -> str:
    """The account's name if `person` may see it, else `HIDDEN_NAME`."""
    return account.name if may_see(person, account) else HIDDEN_NAME


def approvers_who_may_see(
    account: Account | None,
    proposed: Iterable[str],
    people: Mapping[str, Person],
    *,
    exclude: Iterable[str] = (),
) -> list[str]:
    """The proposed approvers who may see the account; anyone who may not is replaced by the public
    sector team's own RDs, else its managers (ASM, VP), else the admins ("Record Visibility")."""
    proposed = list(dict.fromkeys(proposed))
    if account is None or not account.public_sector:
        return proposed
    kept = [a for a in proposed if a in people and may_see(people[a], account)]
    if len(kept) == len(proposed):
        return proposed
    skip = set(exclude)
    candidates = [p for p in people.values() if p.slack_id not in skip]
    team = [p for p in candidates if p.public_sector]
    stand_in = (
        [p for p in team if p.role is Role.RD]
        or [p for p in team if p.role in (Role.ASM, Role.VP)]
        or [p for p in candidates if p.role is Role.ADMIN]
    )
    return list(dict.fromkeys([*kept, *sorted(p.slack_id for p in stand_in)]))


def redact(value: Any, names: Iterable[str]) -> Any:
    """`value` with every string naming one of `names` rewritten to say `HIDDEN_NAME` instead.

    Walks strings, lists, tuples, dicts and dataclasses (e.g. a flow's Card), so a message built for
    someone who may see the account can be rendered for someone who may not.
    """
    wanted = sorted({n for n in names if n and n.strip()}, key=len, reverse=True)
    if not wanted:
        return value
    return _redact(value, wanted)


def _redact(value: Any, names: list[str]) -> Any:
    if isinstance(value, str):
        for name in names:
            value = value.replace(name, HIDDEN_NAME)
        return value
    if isinstance(value, list):
        return [_redact(v, names) for v in value]
    if isinstance(value, tuple):
        return tuple(_redact(v, names) for v in value)
    if isinstance(value, dict):
        return {k: _redact(v, names) for k, v in value.items()}
    if is_dataclass(value) and not isinstance(value, type):
        fields = {f: _redact(getattr(value, f), names) for f in value.__dataclass_fields__}
        return replace(value, **fields)
    return value
