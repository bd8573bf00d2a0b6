"""The handbook's naming-convention examples, built from their parts ("Opportunity Naming Convention")."""

from __future__ import annotations

import pytest

from bot.handbook.naming import NameKind, NameRequest, build_name

ACME = "Acme, Inc"


@pytest.mark.parametrize(
    ("req", "expected"),
    [
        (NameRequest(NameKind.NEW_BUSINESS, ACME, 50, "Starter"), "Acme, Inc- 50 Starter"),
        (NameRequest(NameKind.ADD_ON_SEATS, ACME, 25, "Starter"), "Acme, Inc- Add 25 Starter"),
        (NameRequest(NameKind.UPGRADE, ACME, edition="Ultimate"), "Acme, Inc- Upgrade to Ultimate"),
        (NameRequest(NameKind.RENEWAL, ACME, 50, "Premium", "01/17"), "Acme, Inc- 50 Premium Renewal 01/17"),
        (
            NameRequest(NameKind.RENEWAL_ADD_ON, ACME, "50", "Premium", "01/17", add_quantity="25"),
            "Acme, Inc- 50 Premium Renewal 01/17 + Add 25",
        ),
        (
            NameRequest(NameKind.RENEWAL_UPGRADE, ACME, 50, "Premium", "01/17"),
            "Acme, Inc- 50 Upgrade to Premium + Renewal 01/17",
        ),
        (
            NameRequest(NameKind.PROFESSIONAL_SERVICES, ACME, mm_yy="06/18"),
            "Acme, Inc- Professional Services 06/18",
        ),
        (
            NameRequest(NameKind.REFUND, original_name="Acme, Inc- 50 Upgrade to Premium + Renewal 01/17"),
            "Acme, Inc- 50 Upgrade to Premium + Renewal 01/17 - REFUND",
        ),
        # reseller: "if it is a Perforce deal, the opportunity name should start with P4 -"
        (NameRequest(NameKind.NEW_BUSINESS, ACME, 50, "Starter", partner="P4"), "P4 - Acme, Inc- 50 Starter"),
        (
            NameRequest(NameKind.REFUND, original_name="P4 - Acme, Inc- 50 Starter", partner="P4"),
            "P4 - Acme, Inc- 50 Starter - REFUND",
        ),
        # tidy inputs
        (
            NameRequest(NameKind.RENEWAL, "  Acme,  Inc ", " 1,000 ", "Premium", "1/17"),
            "Acme, Inc- 1000 Premium Renewal 01/17",
        ),
    ],
)
def test_the_handbooks_examples_are_built_exactly(req: NameRequest, expected: str) -> None:
    result = build_name(req)
    assert (result.name, result.errors) == (expected, {})


@pytest.mark.parametrize(
    ("req", "field"),
    [
        (NameRequest(NameKind.NEW_BUSINESS, ACME, 0, "Starter"), "quantity"),
        (NameRequest(NameKind.NEW_BUSINESS, ACME, -5, "Starter"), "quantity"),
        (NameRequest(NameKind.NEW_BUSINESS, ACME, "2.5", "Starter"), "quantity"),
        (NameRequest(NameKind.NEW_BUSINESS, ACME, "fifty", "Starter"), "quantity"),
        (NameRequest(NameKind.NEW_BUSINESS, ACME, True, "Starter"), "quantity"),
        (NameRequest(NameKind.NEW_BUSINESS, ACME, None, "Starter"), "quantity"),
        (NameRequest(NameKind.NEW_BUSINESS, "  ", 50, "Starter"), "company"),
        (NameRequest(NameKind.ADD_ON_SEATS, ACME, 25, ""), "edition"),
        (NameRequest(NameKind.RENEWAL, ACME, 50, "Premium", "13/17"), "mm_yy"),
        (NameRequest(NameKind.RENEWAL, ACME, 50, "Premium", "00/17"), "mm_yy"),
        (NameRequest(NameKind.RENEWAL, ACME, 50, "Premium", "01/2017"), "mm_yy"),
        (NameRequest(NameKind.RENEWAL, ACME, 50, "Premium", "Jan 17"), "mm_yy"),
        (
            NameRequest(NameKind.RENEWAL_ADD_ON, ACME, 50, "Premium", "01/17", add_quantity="0"),
            "add_quantity",
        ),
        (NameRequest(NameKind.PROFESSIONAL_SERVICES, ACME), "mm_yy"),
        (NameRequest(NameKind.REFUND), "original_name"),
    ],
)
def test_invalid_inputs_are_reported_per_field(req: NameRequest, field: str) -> None:
    result = build_name(req)
    assert result.name is None
    assert field in result.errors
    assert result.section == "opportunity-naming-convention"


def test_every_case_has_a_template() -> None:
    assert all(build_name(NameRequest(kind)).errors for kind in NameKind)
