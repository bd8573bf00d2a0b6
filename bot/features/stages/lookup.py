"""Use-cases behind `/gtm stage`: list, describe, check a move, look up an opportunity.

The rules are in bot/handbook/stages.py; this module resolves what the user typed (a stage, a move or an
opportunity the user may see) and gathers what the templates show.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from rapidfuzz import fuzz, process

from bot.deps import Deps
from bot.handbook import facts, holdover
from bot.handbook.directory import Account, Opportunity, Person
from bot.handbook.opptypes import addon_parent_problem
from bot.handbook.stages import (
    MoveCheck,
    Stage,
    StageMatch,
    StageWarning,
    all_stages,
    check_move,
    opportunity_warnings,
    parse_move,
    parse_stage,
    remaining_for,
    reopen_note,
    section,
    stage,
    thresholds,
)
from bot.handbook.visibility import may_see
from storage.directory import DirectoryRepository

MAX_SUGGESTIONS = 3
MAX_CHOICES = 8
_WORD = re.compile(r"[0-9A-Za-z][0-9A-Za-z&.'-]{2,}")


@dataclass(frozen=True, slots=True)
class StageList:
    stages: tuple[Stage, ...]


@dataclass(frozen=True, slots=True)
class StageDetail:
    match: StageMatch
    next_stages: list[Stage]
    after_close: str | None = None  # what a closed stage still allows (reopening a lost deal)


@dataclass(frozen=True, slots=True)
class MoveAnswer:
    source: StageMatch
    target: StageMatch
    check: MoveCheck

    @property
    def url(self) -> str:
        return facts.section_url(self.check.section)


@dataclass(frozen=True, slots=True)
class OpportunityAnswer:
    opportunity: Opportunity
    account_name: str
    owner_name: str
    match: StageMatch | None
    remaining: list[str]
    next_stages: list[Stage]
    warnings: list[StageWarning]
    unchecked: list[str]  # what the directory cannot tell (no next-step, IQM or transfer dates)
    # No transfer dates: if the account changed owner, the opportunity would stay with its owner until then.
    holdover_until: date | None = None
    holdover_days: int = 0

    @property
    def url(self) -> str:
        return facts.section_url(section("stages"))


@dataclass(frozen=True, slots=True)
class Choices:
    """Several opportunities match the typed name."""

    typed: str
    opportunities: list[Opportunity]


@dataclass(frozen=True, slots=True)
class NotFound:
    """Neither a stage nor an opportunity the user may see; `side` is "from"/"to" for a move."""

    typed: str
    stages: list[Stage]
    opportunities: list[Opportunity] = field(default_factory=list)
    side: str | None = None


StageAnswer = StageList | StageDetail | MoveAnswer | OpportunityAnswer | Choices | NotFound


def next_stages(current: Stage) -> list[Stage]:
    return [stage(number) for number in current.next]


def closest_stages(text: str, limit: int = MAX_SUGGESTIONS) -> list[Stage]:
    """The stages whose label, name or alias look most like `text`, best first; never empty."""
    choices: list[tuple[str, Stage]] = []
    for s in all_stages():
        choices += [(key.lower(), s) for key in (s.label, s.name, *s.aliases, *s.variants)]
    ranked = process.extract(
        text.lower(), [key for key, _ in choices], scorer=fuzz.WRatio, limit=len(choices)
    )
    found: list[Stage] = []
    for _, _, index in ranked:
        candidate = choices[index][1]
        if candidate not in found:
            found.append(candidate)
        if len(found) == limit:
            break
    return found


def handbook_answer(text: str) -> StageAnswer | None:
    """The answer when `text` is about stages alone (the list, a stage, a move): the same for everyone
    and always; None when it names an opportunity."""
    typed = text.strip()
    if not typed:
        return StageList(all_stages())
    move = parse_move(typed)
    if move is not None:
        return _answer_move(*move)
    found = parse_stage(typed)
    if found is not None:
        return StageDetail(found, next_stages(found.stage), reopen_note(found.stage))
    return None


async def answer_stage(deps: Deps, user_id: str, text: str) -> StageAnswer:
    """What `/gtm stage TEXT` answers: the list, a stage, a move, or an opportunity the user may see."""
    answer = handbook_answer(text)
    if answer is not None:
        return answer
    typed = text.strip()
    async with deps.db.reads() as session:  # read-only: never queue behind writers for the lock
        return await _answer_opportunity(DirectoryRepository(session), user_id, typed, deps.clock().date())


def _answer_move(source_text: str, target_text: str) -> StageAnswer:
    source, target = parse_stage(source_text), parse_stage(target_text)
    if source is None:
        return NotFound(source_text, closest_stages(source_text), side="from")
    if target is None:
        return NotFound(target_text, closest_stages(target_text), side="to")
    return MoveAnswer(source, target, check_move(source.stage, target.stage))


class _Visibility:
    """Which opportunities the asking person may see ("Record Visibility": public sector)."""

    def __init__(self, repo: DirectoryRepository, person: Person | None) -> None:
        self.repo = repo
        self.person = person
        self.accounts: dict[str, Account | None] = {}

    async def account(self, account_id: str) -> Account | None:
        if account_id not in self.accounts:
            self.accounts[account_id] = await self.repo.account(account_id)
        return self.accounts[account_id]

    async def visible(self, opportunities: list[Opportunity]) -> list[Opportunity]:
        return [opp for opp in opportunities if await self.may_see(opp)]

    async def may_see(self, opp: Opportunity) -> bool:
        account = await self.account(opp.account_id)
        if account is None or not account.public_sector:
            return True
        # Someone missing from the directory is nobody on the public-sector team.
        return self.person is not None and may_see(self.person, account)


async def _answer_opportunity(
    repo: DirectoryRepository, user_id: str, typed: str, today: date
) -> StageAnswer:
    seen = _Visibility(repo, await repo.person(user_id))
    by_id = [o for o in (await repo.opportunity(typed), await repo.opportunity(typed.upper())) if o]
    exact = await seen.visible(by_id[:1])
    if exact:
        return await _describe(repo, seen, exact[0], today)
    named = await seen.visible(await repo.opportunities_named_like(typed, limit=MAX_CHOICES))
    if len(named) == 1:
        return await _describe(repo, seen, named[0], today)
    if named:
        return Choices(typed, named)
    return NotFound(typed, closest_stages(typed), await _similar(repo, seen, typed))


async def _similar(repo: DirectoryRepository, seen: _Visibility, typed: str) -> list[Opportunity]:
    """Opportunities sharing a word with `typed`, ranked by how alike the names are."""
    pool: dict[str, Opportunity] = {}
    for word in _WORD.findall(typed)[:5]:
        for opp in await repo.opportunities_named_like(word, limit=MAX_CHOICES):
            pool.setdefault(opp.opportunity_id, opp)
    visible = await seen.visible(list(pool.values()))
    visible.sort(key=lambda o: fuzz.WRatio(typed.lower(), o.name.lower()), reverse=True)
    return visible[:MAX_SUGGESTIONS]


async def _describe(
    repo: DirectoryRepository, seen: _Visibility, opp: Opportunity, today: date
) -> OpportunityAnswer:
    account = await seen.account(opp.account_id)
    people = await repo.people([p for p in (opp.owner, account.owner if account else None) if p])
    found = parse_stage(opp.stage)
    limits = thresholds()
    unchecked: list[str] = []
    transferred_on: date | None = None
    holdover_until: date | None = None
    current = found.stage if found else None
    if current is not None and current.open:
        unchecked.append(
            f"Next step: the directory has no next-step date; make sure the next step is within "
            f"{limits.next_step_days} days."
        )
        if current.number == "0" and opp.created_date is not None:
            unchecked.append(
                f"IQM: the directory has no IQM date; the opportunity was created "
                f"{(today - opp.created_date).days} days ago. Once the IQM is held, move it within "
                f"{limits.iqm_move_hours} hours."
            )
        if account is not None and account.owner and opp.owner and account.owner != opp.owner:
            # The account's owner changed after this opportunity was opened: treat it as transferred.
            transferred_on = today
            new_owner = people.get(account.owner)
            unchecked.append(
                f"Holdover: the account is owned by {new_owner.name if new_owner else account.owner}, "
                "not the opportunity's owner, so I treat the account as transferred after the "
                "opportunity was created."
            )
        elif opp.created_date is not None:
            holdover_until = holdover.holdover_end(opp.created_date)  # the template says it, with the date
    warnings = [
        w
        for w in opportunity_warnings(opp, today, account_transferred_on=transferred_on)
        if w.code != "stage_variant"  # the stage line already carries the variant note
    ]
    if opp.parent_opportunity_id:  # e.g. imported before the importer refused it, or set in Salesforce
        parent = await repo.opportunity(opp.parent_opportunity_id)
        problem = addon_parent_problem(opp.type, parent.type if parent else None)
        if problem is not None:
            warnings.append(
                StageWarning(
                    "addon_parent",
                    f"Its parent {opp.parent_opportunity_id} is an Add-on too. {problem.reason}",
                    problem.section,
                )
            )
    owner = people.get(opp.owner or "")
    return OpportunityAnswer(
        opportunity=opp,
        account_name=account.name if account else opp.account_id,
        owner_name=owner.name if owner else (opp.owner or "nobody"),
        match=found,
        remaining=remaining_for(current) if current is not None and current.open else [],
        next_stages=next_stages(current) if current is not None else [],
        warnings=warnings,
        unchecked=unchecked,
        holdover_until=holdover_until,
        holdover_days=limits.holdover_days,
    )
