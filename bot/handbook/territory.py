"""Which region an account belongs to ("Territories"; "Changing Account Ownership in Salesforce")."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from bot.handbook import facts
from bot.handbook.directory import Account, Address, Region
from bot.handbook.segments import Hierarchy


@dataclass(frozen=True, slots=True)
class TerritoryAddress:
    """The address that places an account and the field it came from (None when no field has a country)."""

    address: Address
    source: str | None


@dataclass(frozen=True, slots=True)
class Territory:
    """A hierarchy's territory: the ultimate parent's address and the region it maps to."""

    account: Account
    address: TerritoryAddress
    region: Region | None


def territory_address(account: Account) -> TerritoryAddress:
    """First address with a country: override, DataFox, Zoominfo, shipping, billing ("Territories")."""
    for source in facts.load("ownership")["address_sources"]:
        address: Address = getattr(account, source["field"])
        if address.country:
            return TerritoryAddress(address, source["label"])
    return TerritoryAddress(Address(), None)


def _norm(value: str) -> str:
    return value.strip().upper()


@lru_cache(maxsize=1024)
def _normed(values: tuple[str, ...]) -> frozenset[str]:
    """A region's countries or states as compared; the org file's regions are few and asked every look-up."""
    return frozenset(map(_norm, values))


def region_for(address: Address, regions: Sequence[Region]) -> Region | None:
    """The first region whose countries hold the address's country and, if it lists states, its state.

    "Territories": regions are checked in the org file's order; a region with no countries matches nothing.
    """
    if not address.country:
        return None
    country = _norm(address.country)
    state = _norm(address.state) if address.state else None
    for region in regions:
        if country not in _normed(region.countries):
            continue
        if region.states and state not in _normed(region.states):
            continue
        return region
    return None


def territory_of(hierarchy: Hierarchy, regions: Sequence[Region]) -> Territory:
    """The ultimate parent's territory address and region ("Changing Account Ownership in Salesforce")."""
    parent = hierarchy.ultimate_parent
    address = territory_address(parent)
    return Territory(parent, address, region_for(address.address, regions))
