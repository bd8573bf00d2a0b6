"""The directory as plain data: people, regions, accounts, opportunities. No database here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum


class Role(StrEnum):
    SDR = "SDR"
    AE = "AE"
    SAL = "SAL"
    AM = "AM"
    ASM = "ASM"
    RD = "RD"
    VP = "VP"
    CRO = "CRO"
    SALES_OPS = "SALES_OPS"
    ADMIN = "ADMIN"


class Segment(StrEnum):
    """Sales segments, smallest first ("Segmentation")."""

    SMB = "SMB"
    MID_MARKET = "Mid-Market"
    LARGE = "Large"

    @property
    def rank(self) -> int:
        return _RANKS[self]


_RANKS = {segment: rank for rank, segment in enumerate(Segment)}  # (a look-up ranks every member's segment)


class AccountType(StrEnum):
    CUSTOMER = "Customer"
    PROSPECT = "Prospect"
    PROSPECT_CE_USER = "Prospect - CE User"
    FORMER_CUSTOMER = "Former Customer"
    PARTNER = "Partner"


@dataclass(frozen=True, slots=True)
class Region:
    """A territory region; `countries` match, `states` narrow a single country ("Territories")."""

    name: str
    countries: tuple[str, ...] = ()
    states: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Person:
    slack_id: str
    name: str
    email: str = ""
    role: Role = Role.AE
    region: str | None = None
    segment: Segment | None = None
    manager: str | None = None
    team_lead: bool = False
    public_sector: bool = False
    e_group: bool = False  # a member of e-group (the org file's `e_group`; CRO and VPs by default)


@dataclass(frozen=True, slots=True)
class Address:
    country: str | None = None
    state: str | None = None


@dataclass(frozen=True, slots=True)
class Account:
    """One account row as imported; sources are kept apart so rules can say which one decided."""

    account_id: str
    name: str
    parent_id: str | None = None
    owner: str | None = None  # slack_id
    type: AccountType | None = None
    named: bool = False
    website: str | None = None
    employees_datafox: int | None = None
    employees_zoominfo: int | None = None
    employees_override: int | None = None
    override_address: Address = field(default_factory=Address)
    datafox_address: Address = field(default_factory=Address)
    zoominfo_address: Address = field(default_factory=Address)
    shipping_address: Address = field(default_factory=Address)
    billing_address: Address = field(default_factory=Address)
    public_sector: bool = False
    sdr: str | None = None  # slack_id


@dataclass(frozen=True, slots=True)
class Opportunity:
    opportunity_id: str
    name: str
    account_id: str
    owner: str | None
    stage: str
    type: str | None = None
    created_date: date | None = None
    amount: float | None = None
    close_date: date | None = None
    parent_opportunity_id: str | None = None
    sdr: str | None = None
