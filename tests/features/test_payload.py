"""Request payloads, typed: every kind reads rows written before its fields existed, and writes back JSON."""

from dataclasses import fields
from datetime import date
from typing import Any

import pytest

from bot.features.escalations.payload import EscalationPayload
from bot.features.glossary.payload import SuggestionPayload
from bot.features.holdovers.payload import ExtensionPayload
from bot.features.ownership.payload import OwnershipPayload
from bot.features.payload import Payload
from bot.features.reviews.payload import ReviewPayload
from bot.features.sponsorship.payload import NominationPayload
from bot.handbook.escalation import EscalationState
from storage.models import RequestRow

KINDS = [
    EscalationPayload,
    ExtensionPayload,
    NominationPayload,
    OwnershipPayload,
    ReviewPayload,
    SuggestionPayload,
]


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_names_the_requests_it_opens(kind: type[Payload]) -> None:
    assert kind.kind and len({k.kind for k in KINDS}) == len(KINDS)


@pytest.mark.parametrize("kind", KINDS)
def test_an_empty_or_missing_payload_reads_as_the_defaults(kind: type[Payload]) -> None:
    assert kind.from_json(None) == kind.from_json({}) == kind()


@pytest.mark.parametrize("kind", KINDS)
def test_what_is_written_reads_back_the_same(kind: type[Payload]) -> None:
    written = kind().to_json()
    assert kind.from_json(written) == kind()
    assert set(written) == {f.name for f in fields(kind)}


@pytest.mark.parametrize(
    ("kind", "stored", "expected"),
    [
        # an escalation asked before `time_frame_open`, `keep_reason` and `dispute` were kept
        (
            EscalationPayload,
            {
                "account_id": "A-1",
                "global_owner": "U1",
                "territory_rep": "U2",
                "managers": ["U3"],
                "state": "requested",
                "effective_on": "2027-01-04",
                "unknown": 1,
            },
            {
                "account_id": "A-1",
                "managers": ["U3"],
                "keep_reason": "",
                "time_frame_open": False,
                "effective_on": date(2027, 1, 4),
                "chain_state": EscalationState.REQUESTED,
            },
        ),
        (EscalationPayload, {"effective_on": None}, {"effective_on": None, "chain_state": None}),
        (
            ExtensionPayload,
            {"holdover_id": 7, "ends_on": "2027-03-30", "extended_to": "2027-06-28"},
            {
                "holdover_id": 7,
                "ends_on": date(2027, 3, 30),
                "extended_to": date(2027, 6, 28),
                "close_date": None,
                "watchers": [],
            },
        ),
        (
            ReviewPayload,
            {"review": "employees", "count": 150},
            {"count": 150, "effective_on": None, "zip": ""},
        ),
        (OwnershipPayload, {"new_owner": "U1"}, {"old_owner": None, "failed": [], "routing": ""}),
    ],
)
def test_rows_written_before_read_with_defaults(
    kind: type[Payload], stored: dict[str, Any], expected: dict[str, Any]
) -> None:
    read = kind.from_json(stored)
    assert {name: getattr(read, name) for name in expected} == expected


def test_dates_are_stored_as_iso_text() -> None:
    assert ExtensionPayload(ends_on=date(2027, 3, 30)).to_json()["ends_on"] == "2027-03-30"


def test_writing_back_keeps_the_keys_the_engine_stores_beside_the_kinds_own() -> None:
    request = RequestRow(payload={"account_id": "A-1", "no_longer_fits": ["the rep left"]})
    p = EscalationPayload.of(request)
    p.keep_reason = "Their CFO asked for one owner worldwide."
    p.store(request)
    assert request.payload["no_longer_fits"] == ["the rep left"]
    assert request.payload["keep_reason"] == "Their CFO asked for one owner worldwide."


def test_reading_copies_so_changes_stay_out_of_the_row_until_stored() -> None:
    request = RequestRow(payload={"votes": {"U3": True}})
    p = EscalationPayload.of(request)
    p.votes["U4"] = False
    assert request.payload == {"votes": {"U3": True}}


def test_a_suggested_glossary_entry_reads_back_as_the_entry() -> None:
    request = RequestRow(
        subject_id="arr", payload={"entry": {"term": "ARR", "definition": "Annual revenue."}}
    )
    entry = SuggestionPayload.of(request).suggested("arr")
    assert (entry.id, entry.term, entry.definition, entry.section, entry.aliases) == (
        "arr",
        "ARR",
        "Annual revenue.",
        "glossary",
        (),
    )
