"""Opportunity stages: lookup, moves between stages, and warnings on an opportunity ("Opportunity Stages")."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from typing import Any

from rapidfuzz import fuzz, process

from bot.handbook import facts
from bot.handbook.directory import Opportunity
from bot.handbook.results import Allowed, Outcome, Refused

FUZZY_CUTOFF = 85


@dataclass(frozen=True, slots=True)
class Stage:
    """One canonical opportunity stage as the handbook's "Opportunity Stages" section describes it."""

    number: str
    name: str
    label: str
    summary: str
    to_complete: tuple[str, ...]
    exit_criteria: str
    sets_on_enter: tuple[str, ...]
    sets_on_leave: tuple[str, ...]
    next: tuple[str, ...]
    open: bool
    closed: bool
    won: bool
    accepted: bool
    variants: tuple[str, ...]
    aliases: tuple[str, ...]
    section: str

    @property
    def order(self) -> int:
        """Position in the pipeline: 00 is -1, 0 is 0, then the number itself."""
        return -1 if self.number == "00" else int(self.number)

    @property
    def url(self) -> str:
        return facts.section_url(self.section)


@dataclass(frozen=True, slots=True)
class StageMatch:
    stage: Stage
    typed: str
    matched_by: str  # "number", "label", "name", "variant", "alias" or "fuzzy"
    variant_note: str | None = None


@dataclass(frozen=True, slots=True)
class Thresholds:
    next_step_days: int
    iqm_move_hours: int
    holdover_days: int
    reopen_days: int
    closed_won_details_iacv: float
    lost_deal_notice_iacv: float
    terms_modification_min: float
    own_paper_min: float


@dataclass(frozen=True, slots=True)
class ClosedLostReason:
    reason: str
    requires_field: str | None
    requires: str | None


@dataclass(frozen=True, slots=True)
class MoveFacts:
    """What the caller knows about the opportunity; None means "not known", not "no".

    With `fields_known`, a missing link or detail (None or empty) refuses the move instead of
    being listed as a requirement.
    """

    was_accepted: bool | None = None
    closed_lost_reasons: tuple[str, ...] = ()
    competitor: str | None = None
    product_stage: str | None = None
    merged_opportunity: str | None = None
    duplicate_opportunity: str | None = None
    closed_won_details: str | None = None
    days_since_closed: int | None = None
    large_or_strategic: bool | None = None
    iacv: float | None = None
    new_business: bool | None = None
    upside_iacv: bool = False
    unmet_stages: tuple[str, ...] = ()
    fields_known: bool = False


@dataclass(frozen=True, slots=True)
class MoveCheck:
    allowed: bool
    reason: str
    section: str
    requires: list[str] = field(default_factory=list)
    sets_fields: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)

    @property
    def outcome(self) -> Outcome:
        return Allowed(self.reason, self.section) if self.allowed else Refused(self.reason, self.section)


@dataclass(frozen=True, slots=True)
class StageWarning:
    code: str
    message: str
    section: str


def _stage_from(row: Mapping[str, Any]) -> Stage:
    sets = row.get("sets_fields") or {}
    return Stage(
        number=str(row["number"]),
        name=row["name"],
        label=row["label"],
        summary=row["summary"],
        to_complete=tuple(row["to_complete"]),
        exit_criteria=row["exit_criteria"],
        sets_on_enter=tuple(sets.get("on_enter", ())),
        sets_on_leave=tuple(sets.get("on_leave_to_open_or_won", ())),
        next=tuple(str(n) for n in row["next"]),
        open=bool(row["open"]),
        closed=bool(row["closed"]),
        won=bool(row["won"]),
        accepted=bool(row["accepted"]),
        variants=tuple(row.get("variants") or ()),
        aliases=tuple(row.get("aliases") or ()),
        section=row["section"],
    )


@cache
def all_stages() -> tuple[Stage, ...]:
    """Every canonical stage, 00-Pre Opportunity through 10-Duplicate ("Opportunity Stages")."""
    return tuple(_stage_from(row) for row in facts.load("stages")["stages"])


@cache
def thresholds() -> Thresholds:
    """The handbook's numbers: 60 days, 48 hours, 180 days, 30 days, $12,000, $25k, $100k."""
    return Thresholds(**facts.load("stages")["thresholds"])


@cache
def closed_lost_reasons() -> tuple[ClosedLostReason, ...]:
    """Closed Lost reasons and the field each needs ("Opportunity Stages", 8-Closed Lost)."""
    return tuple(ClosedLostReason(**row) for row in facts.load("stages")["closed_lost_reasons"])


def section(key: str) -> str:
    """Handbook anchor for one of the sections this module cites."""
    return facts.load("stages")["sections"][key]


def stage(number: str) -> Stage:
    """The canonical stage with this number ("00", "0" .. "10")."""
    return _by_number()[number]


@cache
def _by_number() -> dict[str, Stage]:
    return {s.number: s for s in all_stages()}


def _loose(text: str) -> str:
    """Lowercase, unify dashes and quotes, collapse spaces: keeps the shape of what was typed."""
    text = text.strip().strip("`'\"*").replace("\u2013", "-").replace("\u2014", "-").replace("_", " ")
    return re.sub(r"\s+", " ", text).lower()


def _compact(text: str) -> str:
    """Letters and digits only, so "closed-won", "Closed Won" and "closedwon" meet."""
    return re.sub(r"[^0-9a-z]", "", _loose(text))


def _leading_number(text: str) -> str | None:
    found = re.match(r"\s*(\d+)", text)
    return found.group(1) if found else None


def _variant_note(variant: str, canonical: Stage) -> str:
    what = "number" if _leading_number(variant) not in (None, canonical.number) else "label"
    return f"{variant} is how one part of the handbook writes it; the canonical {what} is {canonical.label}."


def reopen_note(current: Stage) -> str | None:
    """What a closed stage still allows: a lost deal reopens within 30 days ("Opportunity Stages")."""
    if current.number != "8":
        return None
    days = thresholds().reopen_days
    return (
        f"Reopen it to an open stage if the prospect re-engages within {days} days of closing; "
        "later, create a new opportunity."
    )


@cache
def _keys() -> dict[str, list[tuple[str, str, Stage, str]]]:
    """Lookup tables: kind -> (key, matched_by, stage, original spelling)."""
    stages = all_stages()
    return {
        "loose": [(_loose(s.label), "label", s, s.label) for s in stages]
        + [(_loose(v), "variant", s, v) for s in stages for v in s.variants],
        "compact": [(_compact(s.label), "label", s, s.label) for s in stages]
        + [(_compact(s.name), "name", s, s.name) for s in stages]
        + [(_compact(v), "variant", s, v) for s in stages for v in s.variants]
        + [(_compact(a), "alias", s, a) for s in stages for a in s.aliases],
    }


def _match(typed: str, matched_by: str, found: Stage, spelling: str) -> StageMatch:
    note = _variant_note(spelling, found) if matched_by == "variant" else None
    return StageMatch(stage=found, typed=typed, matched_by=matched_by, variant_note=note)


def parse_stage(text: str) -> StageMatch | None:
    """Resolve a number, label, name, handbook variant or near miss to a canonical stage."""
    typed = text.strip()
    loose = re.sub(r"^stage\s+", "", _loose(typed))
    if not loose:
        return None
    if loose in _by_number():
        return StageMatch(stage=_by_number()[loose], typed=typed, matched_by="number")
    tables = _keys()
    for key, matched_by, found, spelling in tables["loose"]:
        if loose == key:
            return _match(typed, matched_by, found, spelling)
    compact = _compact(loose)
    for key, matched_by, found, spelling in tables["compact"]:
        if compact == key:
            return _match(typed, matched_by, found, spelling)
    if len(compact) < 3:
        return None
    choices = [key for key, *_ in tables["compact"]]
    best = process.extractOne(compact, choices, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
    if best is None:
        return None
    _, _, found, _ = tables["compact"][best[2]]
    return StageMatch(stage=found, typed=typed, matched_by="fuzzy")


_ARROW = re.compile(r"^\s*(?P<a>.+?)\s*(?:->|\u2192|=>)\s*(?P<b>.+?)\s*$")
_FROM_TO = re.compile(r"^\s*from\s+(?P<a>.+?)\s+to\s+(?P<b>.+?)\s*$", re.IGNORECASE)


def parse_move(text: str) -> tuple[str, str] | None:
    """Split `A -> B`, `A → B` or `from A to B` into its two stage texts."""
    for pattern in (_FROM_TO, _ARROW):
        found = pattern.match(text)
        if found and found.group("a") and found.group("b"):
            return found.group("a"), found.group("b")
    return None


def remaining_for(current: Stage) -> list[str]:
    """What to complete in this stage, then its exit criteria ("Opportunity Stages")."""
    return [*current.to_complete, f"Exit criteria: {current.exit_criteria}"]


def revert_target(current: Stage, unmet_stages: Iterable[str]) -> Stage:
    """The stage to revert to: the earliest unmet stage, the latest one whose predecessors are all complete.

    "Reverting an Opportunity to a Previous Stage": technical questions during 5-Negotiating send the
    opportunity back to 3-Technical Evaluation.
    """
    unmet = [stage(n) for n in unmet_stages if n in _by_number()]
    earlier = [s for s in unmet if s.accepted and s.open and s.order <= current.order]
    return min(earlier, key=lambda s: s.order) if earlier else current


def _sets_fields(from_stage: Stage, to_stage: Stage) -> list[str]:
    fields = list(to_stage.sets_on_enter)
    if to_stage.open or to_stage.won:
        passed = [s for s in all_stages() if from_stage.order <= s.order < to_stage.order]
        fields = [line for s in passed for line in s.sets_on_leave] + fields
    return fields


def _refused(reason: str, key: str) -> MoveCheck:
    return MoveCheck(allowed=False, reason=reason, section=section(key))


def _missing(value: str | None) -> bool:
    return value is None or not value.strip()


def _closed_lost_check(from_stage: Stage, move: MoveFacts, sets: list[str]) -> MoveCheck:
    limits = thresholds()
    requires = [
        "Select all applicable Closed Lost Reasons.",
        "Enter as much detail as you can in `Closed Lost Detail`.",
    ]
    given = {reason.lower() for reason in move.closed_lost_reasons}
    values = {
        "Competitor": move.competitor,
        "Product Maturity: Product Line": move.product_stage,
        "Merged Opportunity": move.merged_opportunity,
    }
    for rule in closed_lost_reasons():
        if rule.requires is None or rule.requires_field is None:
            continue
        if rule.reason.lower() in given:
            if _missing(values[rule.requires_field]):
                return _refused(
                    f"Closed Lost reason '{rule.reason}' needs `{rule.requires_field}`. {rule.requires}",
                    "stages",
                )
            continue
        requires.append(f"If the reason is {rule.reason}: {rule.requires}")
    if move.fields_known and not given:
        return _refused("8-Closed Lost needs at least one Closed Lost Reason.", "stages")
    notices = []
    big = move.large_or_strategic or (move.iacv is not None and move.iacv >= limits.lost_deal_notice_iacv)
    if big and move.new_business is not False:
        notices.append(
            f"New business with a large/strategic account or IACV of ${limits.lost_deal_notice_iacv:,.0f}"
            " or more is announced in #lost-deals."
        )
    notices.append(
        f"Re-engaged within {limits.reopen_days} days it can be reopened; later, it needs a new opportunity."
    )
    if not from_stage.accepted:
        notices.append("An opportunity that was never qualified normally goes to 9-Unqualified instead.")
    return MoveCheck(
        True, "Any open opportunity can be closed as lost.", section("stages"), requires, sets, notices
    )


def _closed_won_requires(move: MoveFacts) -> tuple[list[str], str | None]:
    limits = thresholds()
    needs_details = move.large_or_strategic or (
        move.iacv is not None and move.iacv >= limits.closed_won_details_iacv
    )
    line = (
        f"Enter `Closed Won Details` (large/strategic account or IACV of "
        f"${limits.closed_won_details_iacv:,.0f} or more)."
    )
    if needs_details and move.fields_known and _missing(move.closed_won_details):
        return [], line
    if needs_details or move.large_or_strategic is None or move.iacv is None:
        return [
            line
            if needs_details
            else f"If large/strategic or IACV >= ${limits.closed_won_details_iacv:,.0f}: {line}"
        ], None
    return [], None


def check_move(from_stage: Stage, to_stage: Stage, move: MoveFacts | None = None) -> MoveCheck:
    """Whether an opportunity may move between two stages and what the move needs.

    "Opportunity Stages", "Opportunity Stage Movement Considerations", "Reverting an Opportunity to a
    Previous Stage" and "How to create an Opportunity".
    """
    move = move or MoveFacts()
    limits = thresholds()
    accepted = from_stage.accepted or bool(move.was_accepted)
    sets = _sets_fields(from_stage, to_stage)
    if from_stage == to_stage:
        return _refused(f"The opportunity is already in {to_stage.label}.", "stages")

    if from_stage.closed:
        if from_stage.number == "8" and to_stage.open:
            if move.days_since_closed is not None and move.days_since_closed > limits.reopen_days:
                return _refused(
                    f"It was closed lost {move.days_since_closed} days ago; beyond {limits.reopen_days} days "
                    "you create a new opportunity instead of reopening it.",
                    "stages",
                )
            return MoveCheck(
                True,
                f"A closed-lost opportunity can be reopened if the prospect re-engages within "
                f"{limits.reopen_days} days.",
                section("stages"),
                [f"The prospect re-engaged within {limits.reopen_days} days of closing."],
                sets,
            )
        return _refused(
            f"The handbook gives no way out of {from_stage.label}; contact Sales Operations.", "movement"
        )

    if accepted and to_stage.number in ("00", "0", "9"):
        return _refused(
            f"Once qualified, an opportunity cannot go back to {to_stage.label}; contact Sales Operations to "
            "determine why it is no longer qualified.",
            "movement",
        )

    if to_stage.number == "10":
        if accepted and not move.upside_iacv:
            return _refused(
                "An accepted opportunity cannot be marked as a duplicate; move it to 8-Closed Lost with a "
                "reason such as 'Consolidating order - part of another subscription' or "
                "'Merged into another opportunity'.",
                "stages",
            )
        link = "Fill out the `Duplicate Opportunity` lookup field with the opportunity it duplicates."
        if move.fields_known and _missing(move.duplicate_opportunity):
            return _refused(f"10-Duplicate needs the `Duplicate Opportunity` link. {link}", "stages")
        reason = (
            "An Upside IACV opportunity moves to Duplicate when its parent closes."
            if move.upside_iacv
            else "A never-accepted opportunity that duplicates another can be marked Duplicate."
        )
        key = "upside_iacv" if move.upside_iacv else "stages"
        requires = [] if not _missing(move.duplicate_opportunity) else [link]
        return MoveCheck(True, reason, section(key), requires, sets)

    if to_stage.number == "9":
        return MoveCheck(
            True,
            "An opportunity that does not meet the Sales Accepted Opportunity criteria goes to "
            "9-Unqualified.",
            section("stages"),
            ["Update the Reason for Closed Lost and note why the opportunity was not qualified."],
            sets,
            ["The SDR Team Lead is notified; schedule a feedback session between the AE and the Team Lead."],
        )

    if to_stage.number == "8":
        return _closed_lost_check(from_stage, move, sets)

    if from_stage.number == "00":
        if to_stage.number == "0":
            return MoveCheck(
                True,
                "Convert to 0-Pending Acceptance when the opportunity meets the criteria for an opportunity.",
                section("stages"),
                [
                    "Schedule the Initial Qualifying Meeting and assign it to the opportunity owner.",
                    "Set the NEXT STEP DATE and NEXT STEPS.",
                ],
                sets,
            )
        return _refused(
            "Sales-assisted opportunities must enter 0-Pending Acceptance before moving further in "
            "the pipeline.",
            "stages",
        )

    if to_stage.number == "00":
        return MoveCheck(
            True,
            "A pending opportunity passed back to an SDR for further qualification returns to "
            "00-Pre Opportunity.",
            section("stages"),
            [],
            sets,
        )

    if from_stage.number == "0" and to_stage.number != "1":
        return _refused(
            "An opportunity becomes a Sales Accepted Opportunity by moving from 0-Pending Acceptance to "
            "1-Discovery; accept it first.",
            "sao",
        )

    if from_stage.number == "0":
        return MoveCheck(
            True,
            "Moving from 0-Pending Acceptance to 1-Discovery makes it a Sales Accepted Opportunity.",
            section("sao"),
            [
                "The opportunity meets the Sales Accepted Opportunity criteria "
                "(Authority, Initiative, Fit, Timing).",
                "Populate `Amount` with the estimated pipeline.",
            ],
            sets,
        )

    if to_stage.order < from_stage.order:
        target = revert_target(from_stage, move.unmet_stages)
        if move.unmet_stages and target != to_stage:
            return _refused(
                f"Revert to the latest stage where all activities were completed: {target.label}.",
                "reverting",
            )
        return MoveCheck(
            True,
            "If a previously met criterion is now unmet, revert to the latest stage where all "
            "activities were completed.",
            section("reverting"),
            [f"A criterion of {to_stage.label} or later is now unmet."],
            sets,
        )

    skipped = [s for s in all_stages() if s.open and from_stage.order <= s.order < to_stage.order]
    requires = [f"Complete {s.label}: {item}" for s in skipped for item in s.to_complete]
    if to_stage.won:
        details, refusal = _closed_won_requires(move)
        if refusal:
            return _refused(f"7-Closed Won needs `Closed Won Details`. {refusal}", "stages")
        requires += details
    between = [s.label for s in skipped if s != from_stage]
    summary = (
        f"Completing {from_stage.label} moves it on to {to_stage.label}."
        if not between
        else f"Moving from {from_stage.label} to {to_stage.label} skips {_and(between)}: "
        "complete what each stage needs first."
    )
    return MoveCheck(
        True,
        summary,
        section("stages"),
        requires,
        sets,
    )


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _days_to(later: date, earlier: date) -> int:
    return (later - earlier).days


def opportunity_warnings(
    opp: Opportunity,
    today: date,
    *,
    next_step_date: date | None = None,
    iqm_date: date | None = None,
    account_transferred_on: date | None = None,
) -> list[StageWarning]:
    """Next step too far out (SAO "Timing"), IQM not acted on within 48 hours, holdover past 180 days."""
    limits = thresholds()
    found = parse_stage(opp.stage)
    if found is None:
        return [
            StageWarning(
                "unknown_stage", f"'{opp.stage}' is not a stage the handbook knows.", section("stages")
            )
        ]
    current = found.stage
    warnings: list[StageWarning] = []
    if found.variant_note:
        warnings.append(StageWarning("stage_variant", found.variant_note, section("stages")))
    if next_step_date and current.open and _days_to(next_step_date, today) > limits.next_step_days:
        if current.accepted:
            message = (
                f"The next step is {_days_to(next_step_date, today)} days out; the account leader "
                f"takes the next step within {limits.next_step_days} days, or reverts the "
                "opportunity to the SDR or disqualifies it."
            )
        else:
            message = (
                f"The next step is {_days_to(next_step_date, today)} days out; beyond "
                f"{limits.next_step_days} days the opportunity stays in stage 0 with the SDR to nurture."
            )
        warnings.append(StageWarning("next_step_too_far", message, section("sao")))
    held = iqm_date is not None and iqm_date <= today
    if held and current.number == "0" and today - iqm_date > timedelta(hours=limits.iqm_move_hours):
        warnings.append(
            StageWarning(
                "iqm_not_moved",
                f"The IQM was on {iqm_date.isoformat()} and the opportunity is still in "
                f"{current.label}; move it within {limits.iqm_move_hours} hours of the IQM.",
                section("sao"),
            )
        )
    transferred = account_transferred_on is not None and opp.created_date is not None
    if transferred and current.open and opp.created_date <= account_transferred_on:
        age = _days_to(today, opp.created_date)
        if age > limits.holdover_days:
            warnings.append(
                StageWarning(
                    "holdover_expired",
                    f"Open {age} days on a transferred account; the original owner keeps it no more than "
                    f"{limits.holdover_days} days after creation.",
                    section("holdover"),
                )
            )
    return warnings
