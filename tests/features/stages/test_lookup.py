"""`/gtm stage`, called directly: the list, a stage, a move, an opportunity the user may see."""

from __future__ import annotations

import pytest

from bot.deps import Deps
from bot.features.stages import lookup
from bot.handbook.stages import parse_stage, stage
from tests.handbook.test_stages import CANONICAL

AVA, PAULA = "U0AE1", "U0PUB1"


@pytest.mark.parametrize(
    ("number", "after"),
    [("1", ["2-Scoping", "8-Closed Lost"]), ("5", ["6-Awaiting Signature", "8-Closed Lost"]), ("7", [])],
)
def test_next_stages_follow_the_handbook(number: str, after: list[str]) -> None:
    assert [s.label for s in lookup.next_stages(stage(number))] == after


@pytest.mark.parametrize(("typed", "first"), [("discovry", "1-Discovery"), ("negotation", "5-Negotiating")])
def test_the_closest_stages_come_best_first_and_never_empty(typed: str, first: str) -> None:
    found = lookup.closest_stages(typed)
    assert found[0].label == first and len(found) == lookup.MAX_SUGGESTIONS
    assert len(lookup.closest_stages("zzzz", limit=1)) == 1


def test_the_handbook_answers_the_list_a_stage_and_a_move_alone() -> None:
    listed = lookup.handbook_answer("  ")
    assert isinstance(listed, lookup.StageList) and [s.label for s in listed.stages] == CANONICAL
    detail = lookup.handbook_answer("won")
    assert isinstance(detail, lookup.StageDetail) and detail.match == parse_stage("won")
    move = lookup.handbook_answer("1 -> 2")
    assert isinstance(move, lookup.MoveAnswer) and (move.source.stage.label, move.target.stage.label) == (
        "1-Discovery",
        "2-Scoping",
    )
    assert lookup.handbook_answer("O-1001") is None  # an opportunity: the directory answers


@pytest.mark.parametrize(
    ("user", "typed", "kind", "found"),
    [
        (AVA, "o-1001", lookup.OpportunityAnswer, "O-1001"),
        (AVA, "Hooli- 100 Premium", lookup.OpportunityAnswer, "O-1005"),
        (AVA, "O-1007", lookup.NotFound, None),  # public sector: hidden from Ava
        (PAULA, "O-1007", lookup.OpportunityAnswer, "O-1007"),
    ],
)
async def test_an_opportunity_is_answered_to_those_who_may_see_it(
    deps: Deps, directory, user: str, typed: str, kind: type, found: str | None
) -> None:
    answer = await lookup.answer_stage(deps, user, typed)
    assert isinstance(answer, kind)
    if found is not None:
        assert answer.opportunity.opportunity_id == found


async def test_several_matching_opportunities_are_offered_as_choices(deps: Deps, directory) -> None:
    answer = await lookup.answer_stage(deps, AVA, "Initech GmbH")
    assert isinstance(answer, lookup.Choices)
    assert sorted(o.opportunity_id for o in answer.opportunities) == ["O-1002", "O-1008"]
