"""Territory addresses and regions ("Territories"; "Changing Account Ownership in Salesforce")."""

from __future__ import annotations

import pytest

from bot.handbook.directory import Account, Address, Region
from bot.handbook.territory import region_for, territory_address

US_EAST = Region("US-East", countries=("US",), states=("NY", "NJ", "MA"))
US_WEST = Region("US-West", countries=("US",), states=("CA", "WA"))
US_ANY = Region("US-Other", countries=("US",))
EMEA = Region("EMEA", countries=("GB", "DE", "FR"))
REGIONS = [US_EAST, US_WEST, EMEA]

OVERRIDE = Address("FR")
DATAFOX = Address("DE")
ZOOMINFO = Address("GB")
SHIPPING = Address("US", "NY")
BILLING = Address("US", "CA")


@pytest.mark.parametrize(
    ("fields", "expected_address", "source"),
    [
        (
            dict(
                override_address=OVERRIDE,
                datafox_address=DATAFOX,
                zoominfo_address=ZOOMINFO,
                shipping_address=SHIPPING,
                billing_address=BILLING,
            ),
            OVERRIDE,
            "Admin override",
        ),
        (
            dict(
                datafox_address=DATAFOX,
                zoominfo_address=ZOOMINFO,
                shipping_address=SHIPPING,
                billing_address=BILLING,
            ),
            DATAFOX,
            "DataFox",
        ),
        (dict(zoominfo_address=ZOOMINFO, shipping_address=SHIPPING), ZOOMINFO, "Zoominfo"),
        (dict(shipping_address=SHIPPING, billing_address=BILLING), SHIPPING, "Shipping address"),
        (dict(billing_address=BILLING), BILLING, "Billing address"),
        (dict(datafox_address=Address(None, "NY"), billing_address=BILLING), BILLING, "Billing address"),
        ({}, Address(), None),
    ],
)
def test_territory_address_follows_the_source_priority(
    fields: dict[str, Address], expected_address: Address, source: str | None
) -> None:
    found = territory_address(Account("a", "A", **fields))
    assert (found.address, found.source) == (expected_address, source)


@pytest.mark.parametrize(
    ("address", "regions", "expected"),
    [
        (Address("US", "NY"), REGIONS, US_EAST),
        (Address("us", "nj"), REGIONS, US_EAST),
        (Address("US", "CA"), REGIONS, US_WEST),
        (Address("US", "TX"), REGIONS, None),  # a state list narrows the country
        (Address("US", None), REGIONS, None),
        (Address("US", "TX"), [*REGIONS, US_ANY], US_ANY),
        (Address("US", "NY"), [US_ANY, US_EAST], US_ANY),  # first match wins
        (Address("DE"), REGIONS, EMEA),
        (Address("DE", "BY"), REGIONS, EMEA),
        (Address("JP"), REGIONS, None),
        (Address(None, "NY"), REGIONS, None),
        (Address("DE"), [Region("Nowhere")], None),
    ],
)
def test_region_for_takes_the_first_matching_region(
    address: Address, regions: list[Region], expected: Region | None
) -> None:
    assert region_for(address, regions) == expected
