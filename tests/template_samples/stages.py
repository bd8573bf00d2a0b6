"""Samples for templates/stages, built with the real rules so they carry real shapes."""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.features.stages import forms, lookup
from bot.handbook.directory import Opportunity
from bot.handbook.stages import StageMatch, StageWarning, all_stages, check_move, parse_stage, stage

HOSTILE = "<!channel> <@U123> <http://evil.example|click> & @here"


def _match(text: str) -> StageMatch:
    found = parse_stage(text)
    assert found is not None
    return found


def _opp(name: str = "Acme, Inc- 50 Premium", stage_text: str = "5-Negotiating") -> Opportunity:
    return Opportunity(
        opportunity_id="O-1",
        name=name,
        account_id="A-1",
        owner="U0AE1",
        stage=stage_text,
        created_date=date(2026, 1, 2),
        amount=22000.0,
        close_date=date(2026, 12, 15),
    )


def _opportunity(opp: Opportunity, **kw: Any) -> lookup.OpportunityAnswer:
    found = parse_stage(opp.stage)
    defaults: dict[str, Any] = {
        "opportunity": opp,
        "account_name": "Acme, Inc",
        "owner_name": "Ava Cole",
        "match": found,
        "remaining": ["Agree on business terms.", "Exit criteria: verbal agreement."],
        "next_stages": lookup.next_stages(found.stage) if found else [],
        "warnings": [StageWarning("holdover_expired", "Open 200 days on a transferred account.", "x")],
        "unchecked": ["Next step: the directory has no next-step date."],
        "holdover_until": date(2027, 1, 31),
        "holdover_days": 180,
    }
    return lookup.OpportunityAnswer(**{**defaults, **kw})


def _name(kind: forms.NameKind) -> dict[str, Any]:
    return {
        "kind": kind.value,
        "kinds": [(k.value, label) for k, label in forms.NAME_KINDS.items()],
        "fields": forms.name_fields(kind),
        "editions": forms.EDITIONS,
    }


SAMPLES: dict[str, list[dict[str, Any]]] = {
    "stages/list.json.j2": [{"answer": lookup.StageList(all_stages())}],
    "stages/detail.json.j2": [
        {"answer": lookup.StageDetail(m, lookup.next_stages(m.stage))}
        for m in [_match(s.label) for s in all_stages()]
        + [_match("6-Closed Won"), _match("negotating"), StageMatch(stage("3"), HOSTILE, "fuzzy")]
    ],
    "stages/move.json.j2": [
        {"answer": lookup.MoveAnswer(_match(a), _match(b), check_move(_match(a).stage, _match(b).stage))}
        for a, b in [("3", "4"), ("1", "7"), ("3", "0"), ("6-Closed Won", "8-Unqualified"), ("2", "8")]
    ]
    + [
        {
            "answer": lookup.MoveAnswer(
                StageMatch(stage("1"), HOSTILE, "variant", HOSTILE),
                _match("2"),
                check_move(stage("1"), stage("2")),
            )
        }
    ],
    "stages/opportunity.json.j2": [
        {"answer": _opportunity(_opp())},
        {"answer": _opportunity(_opp(HOSTILE, "6-Closed Won"), account_name=HOSTILE, owner_name=HOSTILE)},
        {"answer": _opportunity(_opp(stage_text=HOSTILE), remaining=[], warnings=[], unchecked=[])},
    ],
    "stages/choices.json.j2": [{"answer": lookup.Choices(HOSTILE, [_opp(), _opp(HOSTILE, HOSTILE)])}],
    "stages/not_found.json.j2": [
        {"answer": lookup.NotFound(HOSTILE, lookup.closest_stages(HOSTILE), [_opp(HOSTILE)])},
        {"answer": lookup.NotFound(HOSTILE, lookup.closest_stages("won"), side="to")},
    ],
    "stages/sao_modal.json.j2": [{"next_step_days": 60}],
    "stages/sao_result.json.j2": [
        {"outcome": forms.check_sao_form({}, date(2026, 11, 24))},
        {
            "outcome": forms.check_sao_form(
                {
                    forms.SAO_AUTHORITY: "yes",
                    forms.SAO_INITIATIVE: "yes",
                    forms.SAO_TOOLS: HOSTILE,
                    forms.SAO_USE_CASE: "SCM",
                    forms.SAO_SEATS: "50",
                    forms.SAO_NEXT_STEP: "2026-12-01",
                },
                date(2026, 11, 24),
            )
        },
    ],
    "stages/name_modal.json.j2": [_name(kind) for kind in forms.NameKind],
    "stages/name_result.json.j2": [
        {
            "outcome": forms.NameOutcome(
                forms.NameKind.NEW_BUSINESS, name="Acme, Inc- 50 Premium", url="https://x"
            )
        },
        {
            "outcome": forms.NameOutcome(
                forms.NameKind.REFUND, name=HOSTILE + " ```x``` - REFUND", url="https://x"
            )
        },
    ],
    "stages/type_modal.json.j2": [{"parent_types": forms.PARENT_TYPES}],
    "stages/type_result.json.j2": [
        {
            "outcome": forms.check_type_form(
                {
                    forms.TYPE_NEW_ACCOUNT: "no",
                    forms.TYPE_NEW_SUBSCRIPTION: "no",
                    forms.TYPE_NEW_AMOUNT: "yes",
                    forms.TYPE_PARENT_TYPE: "Add-On Business",
                    forms.TYPE_PARENT_AMOUNT: "100,000",
                    forms.TYPE_POTENTIAL_TOTAL: "150,000",
                }
            )
        },
        {
            "outcome": forms.check_type_form(
                {
                    forms.TYPE_NEW_ACCOUNT: "yes",
                    forms.TYPE_NEW_SUBSCRIPTION: "no",
                    forms.TYPE_NEW_AMOUNT: "yes",
                }
            )
        },
        {
            "outcome": forms.check_type_form(
                {
                    forms.TYPE_NEW_ACCOUNT: "no",
                    forms.TYPE_NEW_SUBSCRIPTION: "no",
                    forms.TYPE_NEW_AMOUNT: "no",
                    forms.TYPE_POTENTIAL_TOTAL: "10",
                    forms.TYPE_PARENT_AMOUNT: "100",
                }
            )
        },
        {
            "outcome": forms.check_type_form(
                {
                    forms.TYPE_NEW_ACCOUNT: "no",
                    forms.TYPE_NEW_SUBSCRIPTION: "yes",
                    forms.TYPE_NEW_AMOUNT: "yes",
                    forms.TYPE_PARENT_AMOUNT: "5",
                }
            )
        },
    ],
}
