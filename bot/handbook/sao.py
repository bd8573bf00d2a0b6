"""The Sales Accepted Opportunity checklist ("Criteria for Sales Accepted Opportunity (SAO)")."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from bot.handbook import facts
from bot.handbook.stages import section, thresholds


@dataclass(frozen=True, slots=True)
class SaoAnswers:
    """The SDR's answers in the `/gtm sao` modal; None means the question was left blank."""

    authority: bool | None = (
        None  # prospect directly involved: evaluator, decision maker, technical buyer, influencer
    )
    initiative: bool | None = None  # an initiative GitLab can help with has been identified
    current_tools: str | None = None  # current DevOps / SDLC tools
    entry_use_case: str | None = None  # expected entry point use case, e.g. SCM or CI
    potential_seats: int | None = None  # of the first opportunity
    next_step_date: date | None = None  # next step after the IQM
    new_account_or_buying_group: bool = True  # potential seats are required only then


@dataclass(frozen=True, slots=True)
class SaoResult:
    meets: bool
    missing: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    section: str = ""


def _blank(text: str | None) -> bool:
    return text is None or not text.strip()


def check_sao(answers: SaoAnswers, today: date) -> SaoResult:
    """Authority, Initiative, Fit and Timing must all be met before an SDR submits the opportunity."""
    limit = thresholds().next_step_days
    missing: list[str] = []
    notes: list[str] = []
    if not answers.authority:
        missing.append(
            "Authority: the prospect must be directly involved in the buying group (evaluator, "
            "decision maker, technical buyer or influencer)."
        )
        notes.append(
            "If the influencer is not directly involved, the SDR keeps the opportunity in "
            "0-Pending Acceptance and sets up a meeting with a directly involved contact in the buying group."
        )
    if not answers.initiative:
        missing.append(
            "Initiative: identify a business problem, strategic direction or modernization interest "
            "GitLab can help with."
        )
    if _blank(answers.current_tools):
        missing.append("Fit: current DevOps or software development lifecycle tools.")
    if _blank(answers.entry_use_case):
        missing.append("Fit: expected entry point use case (e.g. SCM or CI).")
    if answers.new_account_or_buying_group and (
        answers.potential_seats is None or answers.potential_seats <= 0
    ):
        missing.append("Fit: potential seats of the first opportunity (a new account or buying group).")
    if answers.next_step_date is None:
        missing.append(f"Timing: a next step set to occur within {limit} days.")
    elif answers.next_step_date < today:
        missing.append(f"Timing: the next step date has passed; set one within {limit} days.")
    elif (answers.next_step_date - today).days > limit:
        missing.append(f"Timing: the next step is more than {limit} days out.")
        notes.append(
            f"With no next step within {limit} days the opportunity remains in stage 0 and in SDR ownership "
            "to nurture until the next step is actualized."
        )
    gather = ", ".join(facts.load("stages")["sao"]["gather_before_iqm"])
    notes.append(f"Before the IQM, also aim to gather: {gather}.")
    return SaoResult(meets=not missing, missing=missing, notes=notes, section=section("sao"))
