"""Account ownership rules ("Changing Ownership in Salesforce", "Record Ownership", "Default Ownership")."""

from __future__ import annotations

import pytest

from bot.handbook.directory import Account, AccountType, Address, Person, Region, Role, Segment
from bot.handbook.ownership import (
    AccountView,
    Mode,
    ReassignAllowed,
    ReassignRefused,
    build_view,
    children_following_global_owner,
    contact_owner,
    may_reassign,
    new_owner_fit,
    notify_on_change,
    route_request,
)
from bot.handbook.visibility import may_see

REGIONS = [Region("US-East", ("US",), ("NY", "NJ")), Region("EMEA", ("GB", "DE"))]
NY = Address("US", "NY")

OWNER = Person("U_OWNER", "Olga", role=Role.SAL, region="US-East")
RD = Person("U_RD", "Rita", role=Role.RD, region="US-East")
RD_EMEA = Person("U_RD_EMEA", "Emil", role=Role.RD, region="EMEA")
LEAD = Person("U_LEAD", "Leo", role=Role.SAL, region="US-East", team_lead=True)
LEAD_EMEA = Person("U_LEAD_EMEA", "Lena", role=Role.SAL, region="EMEA", team_lead=True)
ADMIN = Person("U_ADMIN", "Ada", role=Role.ADMIN)
SAL = Person("U_SAL", "Sam", role=Role.SAL, region="US-East")
AE = Person("U_AE", "Abe", role=Role.AE, region="US-East")
SAL_EMEA = Person("U_SAL_EMEA", "Sven", role=Role.SAL, region="EMEA")
AE_AS_LARGE = Person("U_AE_L", "Ava", role=Role.AE, region="US-East", segment=Segment.LARGE)
SDR = Person("U_SDR", "Sid", role=Role.SDR, region="US-East")
PUBSEC = Person("U_PS", "Pat", role=Role.SAL, region="US-East", public_sector=True)
SALES_ADMIN = Person("U_DEFAULT", "Sales Admin", role=Role.SALES_OPS)
PEOPLE = [
    OWNER,
    RD,
    RD_EMEA,
    LEAD,
    LEAD_EMEA,
    ADMIN,
    SAL,
    AE,
    SAL_EMEA,
    AE_AS_LARGE,
    SDR,
    PUBSEC,
    SALES_ADMIN,
]


def view_of(account: Account, *others: Account) -> AccountView:
    accounts = {a.account_id: a for a in (account, *others)}
    return build_view(account.account_id, accounts, REGIONS)


# A stand-alone Large account in US-East that rule 4 lets an US-East SAL reassign.
SOLO = Account("solo", "Solo Inc", owner="U_OWNER", employees_datafox=5_000, datafox_address=NY)
PARENT = Account("top", "Top Corp", owner="U_OWNER", employees_datafox=5_000, datafox_address=NY)
CHILD = Account(
    "kid", "Kid Co", parent_id="top", owner="U_OWNER", employees_datafox=5_000, datafox_address=NY
)
NO_DATAFOX = Account("nodf", "NoDF", owner="U_OWNER", employees_zoominfo=5_000, datafox_address=NY)
EMEA_ACC = Account("emea", "Euro AG", owner="U_OWNER", employees_datafox=5_000, datafox_address=Address("DE"))


@pytest.mark.parametrize(
    ("actor", "view", "rule"),
    [
        (OWNER, view_of(SOLO), 1),
        (RD, view_of(SOLO), 2),
        (RD_EMEA, view_of(SOLO), 2),  # any RD, any account
        (LEAD, view_of(SOLO), 3),
        (LEAD_EMEA, view_of(EMEA_ACC), 3),
        (SAL, view_of(SOLO), 4),
        (AE_AS_LARGE, view_of(SOLO), 4),  # the directory's segment wins over the role default
        (ADMIN, view_of(SOLO), 5),
        (ADMIN, view_of(CHILD, PARENT), 5),
    ],
)
def test_each_rule_allows_whom_it_names(actor: Person, view: AccountView, rule: int) -> None:
    outcome = may_reassign(actor, view)
    assert isinstance(outcome, ReassignAllowed)
    assert outcome.rule == rule


@pytest.mark.parametrize(
    ("actor", "view", "failed"),
    [
        (SAL, view_of(CHILD, PARENT), ("4A",)),
        (SAL_EMEA, view_of(SOLO), ("4B",)),
        (SAL, view_of(NO_DATAFOX), ("4C",)),
        (AE, view_of(SOLO), ("4D",)),
        (SDR, view_of(SOLO), ("4D",)),  # the handbook names no segment for SDRs
        (LEAD_EMEA, view_of(SOLO), ("4B",)),  # a team lead outside the region falls back to rule 4
        (AE, view_of(CHILD, PARENT), ("4A", "4D")),
        (SAL_EMEA, view_of(Account("x", "X", parent_id="top"), PARENT), ("4A", "4B", "4C")),
    ],
)
def test_rule_4_names_each_criterion_that_fails(
    actor: Person, view: AccountView, failed: tuple[str, ...]
) -> None:
    outcome = may_reassign(actor, view)
    assert isinstance(outcome, ReassignRefused)
    assert not outcome
    assert outcome.failed == failed
    for code in failed:
        assert code in outcome.reason


@pytest.mark.parametrize(
    ("person", "public_sector", "visible"),
    [
        (SAL, False, True),
        (SAL, True, False),
        (RD, True, False),
        (PUBSEC, True, True),
        (ADMIN, True, True),
    ],
)
def test_public_sector_accounts_are_visible_to_the_team_and_admins(
    person: Person, public_sector: bool, visible: bool
) -> None:
    assert may_see(person, Account("a", "A", public_sector=public_sector)) is visible


def test_no_rule_applies_to_a_public_sector_account_the_actor_cannot_see() -> None:
    hidden = Account(
        "ps", "Agency", owner="U_PS", public_sector=True, employees_datafox=5_000, datafox_address=NY
    )
    assert not may_reassign(RD, view_of(hidden))
    assert route_request(RD, SAL, view_of(hidden), PEOPLE).mode is Mode.BLOCKED


def _fit(
    new_owner: Person, view: AccountView, named: int = 0, actor: Person | None = None
) -> dict[str, bool]:
    return {c.name: c.passed for c in new_owner_fit(new_owner, view, named, actor=actor)}


NAMED = Account(
    "named", "Named Co", owner="U_OWNER", named=True, employees_datafox=5_000, datafox_address=Address("DE")
)
SMB_ACC = Account("smb", "Tiny", owner="U_OWNER", employees_datafox=10, datafox_address=NY)


CRITERIA = ("territory", "segment", "named_cap", "record_ownership")


@pytest.mark.parametrize(
    ("new_owner", "view", "named", "fits"),  # fits: one bool per CRITERIA, in order
    [
        (SAL, view_of(SOLO), 0, (True, True, True, True)),
        (SAL_EMEA, view_of(SOLO), 0, (False, True, True, True)),
        (AE, view_of(SOLO), 0, (True, False, True, True)),
        (SDR, view_of(SOLO), 0, (True, False, True, False)),
        (AE, view_of(SMB_ACC), 0, (True, False, True, True)),
        (SAL_EMEA, view_of(CHILD, PARENT), 0, (False, True, True, True)),
        # named accounts: owned regardless of headquarters, capped at 30
        (SAL, view_of(NAMED), 29, (True, True, True, True)),
        (SAL, view_of(NAMED), 30, (True, True, False, True)),
        (SAL, view_of(SOLO), 30, (True, True, True, True)),
    ],
)
def test_new_owner_fit_checks_each_criterion(
    new_owner: Person, view: AccountView, named: int, fits: tuple[bool, ...]
) -> None:
    assert _fit(new_owner, view, named) == dict(zip(CRITERIA, fits, strict=True))


def test_a_public_sector_account_must_go_to_the_public_sector_team() -> None:
    agency = Account(
        "ps", "Agency", owner="U_PS", public_sector=True, employees_datafox=5_000, datafox_address=NY
    )
    assert _fit(SAL, view_of(agency))["public_sector"] is False
    assert _fit(PUBSEC, view_of(agency))["public_sector"] is True


@pytest.mark.parametrize(("actor", "passed"), [(ADMIN, True), (RD, False), (SAL, False), (None, False)])
def test_only_admins_may_assign_the_sales_admin_default_user(actor: Person | None, passed: bool) -> None:
    assert _fit(SALES_ADMIN, view_of(SOLO), actor=actor) == {"default_owner": passed}


@pytest.mark.parametrize(
    ("requester", "new_owner", "view", "people", "mode", "approvers", "auto", "override"),
    [
        (OWNER, SAL, view_of(SOLO), PEOPLE, Mode.AUTO, [], True, False),
        (SAL, SAL, view_of(SOLO), PEOPLE, Mode.AUTO, [], True, False),  # a claim under rule 4
        (AE, SAL, view_of(SOLO), PEOPLE, Mode.OWNER, ["U_OWNER"], False, False),
        (SAL, SAL, view_of(CHILD, PARENT), PEOPLE, Mode.OWNER, ["U_OWNER"], False, False),
        # the owner is gone: any RD or team lead of the region
        (
            AE,
            SAL,
            view_of(SOLO),
            [p for p in PEOPLE if p is not OWNER],
            Mode.REGION,
            ["U_LEAD", "U_RD"],
            False,
            False,
        ),
        (
            AE,
            SAL,
            view_of(Account("o", "Orphan", employees_datafox=5_000, datafox_address=NY)),
            PEOPLE,
            Mode.REGION,
            ["U_LEAD", "U_RD"],
            False,
            False,
        ),
        # nobody in the region: admins
        (AE, SAL, view_of(SOLO), [AE, SAL, ADMIN], Mode.REGION, ["U_ADMIN"], False, False),
        # the new owner does not fit: RDs of the account's region, with an override reason
        (AE, AE, view_of(SOLO), PEOPLE, Mode.OVERRIDE, ["U_RD"], False, True),
        (OWNER, SAL_EMEA, view_of(SOLO), PEOPLE, Mode.OVERRIDE, ["U_RD"], False, True),
        (LEAD, AE, view_of(SOLO), PEOPLE, Mode.OVERRIDE, ["U_RD"], False, True),
        (OWNER, AE, view_of(SOLO), [OWNER, AE, ADMIN], Mode.OVERRIDE, ["U_ADMIN"], False, True),
        (RD, AE, view_of(SOLO), PEOPLE, Mode.SELF_OVERRIDE, [], True, True),
        (ADMIN, SALES_ADMIN, view_of(SOLO), PEOPLE, Mode.AUTO, [], True, False),
        (RD, SALES_ADMIN, view_of(SOLO), PEOPLE, Mode.ADMIN_ONLY, ["U_ADMIN"], False, True),
        (SAL, OWNER, view_of(SOLO), PEOPLE, Mode.BLOCKED, [], False, False),  # no change
    ],
)
def test_route_request_says_exactly_who_approves(
    requester: Person,
    new_owner: Person,
    view: AccountView,
    people: list[Person],
    mode: Mode,
    approvers: list[str],
    auto: bool,
    override: bool,
) -> None:
    routing = route_request(requester, new_owner, view, people)
    assert (routing.mode, routing.approvers, routing.auto_apply, routing.needs_override) == (
        mode,
        approvers,
        auto,
        override,
    )
    assert routing.explanation


@pytest.mark.parametrize("requester", [OWNER, RD, ADMIN, AE])
def test_a_31st_named_account_is_refused_whoever_asks_override_or_not(requester: Person) -> None:
    routing = route_request(requester, SAL, view_of(NAMED), PEOPLE, named_count=30)
    assert (routing.mode, routing.approvers, routing.auto_apply) == (Mode.BLOCKED, [], False)
    assert "no more than 30 named accounts" in routing.explanation and "no override" in routing.explanation
    assert route_request(OWNER, SAL, view_of(NAMED), PEOPLE, named_count=29).mode is Mode.AUTO


@pytest.mark.parametrize(
    ("named", "owner", "count", "allowed"),
    [
        (True, "U_X", 29, True),
        (True, "U_X", 30, False),
        (True, "U_SAL", 30, True),  # already theirs: not a new one
        (False, "U_X", 30, True),  # not a named account
    ],
)
def test_the_named_cap_is_checked_again_when_applied(
    named: bool, owner: str, count: int, allowed: bool
) -> None:
    from bot.handbook.ownership import within_named_cap

    account = Account("n", "Named", owner=owner, named=named)
    assert bool(within_named_cap(account, "U_SAL", count)) is allowed


OWNER_STEP = route_request(AE, SAL, view_of(SOLO), PEOPLE)
REGION_STEP = route_request(AE, SAL, view_of(SOLO), [p for p in PEOPLE if p is not OWNER])
OVERRIDE_STEP = route_request(AE, AE, view_of(SOLO), PEOPLE)
DEFAULT_STEP = route_request(RD, SALES_ADMIN, view_of(SOLO), PEOPLE)


@pytest.mark.parametrize(
    ("actor", "old", "new", "expected"),
    [
        (SAL, "U_OWNER", "U_SAL", {"U_OWNER", "U_SAL"}),
        (RD, "U_OWNER", "U_SAL", {"U_OWNER", "U_SAL"}),
        (SAL, None, "U_SAL", {"U_SAL"}),
        (ADMIN, "U_OWNER", "U_SAL", set()),
    ],
)
def test_a_non_admin_change_notifies_both_owners(
    actor: Person, old: str | None, new: str | None, expected: set[str]
) -> None:
    assert notify_on_change(actor, old, new) == expected


@pytest.mark.parametrize(
    ("segment", "account_type", "sdr", "role", "slack_id"),
    [
        (Segment.LARGE, AccountType.CUSTOMER, "U_SDR", "SDR", "U_SDR"),
        (Segment.LARGE, AccountType.PROSPECT, None, "AE", "U_OWNER"),
        (Segment.MID_MARKET, AccountType.CUSTOMER, "U_SDR", "AE", "U_OWNER"),
        (Segment.MID_MARKET, AccountType.PROSPECT, "U_SDR", "SDR", "U_SDR"),
        (Segment.SMB, AccountType.CUSTOMER, "U_SDR", "AE", "U_OWNER"),
        (Segment.SMB, AccountType.FORMER_CUSTOMER, "U_SDR", "SDR", "U_SDR"),
        (Segment.SMB, None, None, "AE", "U_OWNER"),
        (Segment.SMB, AccountType.PROSPECT, "U_GONE", "AE", "U_OWNER"),  # an SDR not in the directory
        (None, AccountType.CUSTOMER, "U_SDR", None, None),
    ],
)
def test_contact_owner_follows_record_ownership_and_is_never_set_by_hand(
    segment: Segment | None,
    account_type: AccountType | None,
    sdr: str | None,
    role: str | None,
    slack_id: str | None,
) -> None:
    account = Account("a", "A", owner="U_OWNER", sdr=sdr)
    ownership = contact_owner(account, account_type, segment, PEOPLE)
    assert (ownership.role, ownership.slack_id) == (role, slack_id)
    assert ownership.can_reassign_by_hand is False


def test_children_of_the_old_global_owner_follow_except_named_accounts() -> None:
    accounts = {
        "p": Account("p", "P", owner="U_OWNER"),
        "a": Account("a", "A", parent_id="p", owner="U_OWNER"),
        "b": Account("b", "B", parent_id="p", owner="U_OWNER", named=True),
        "c": Account("c", "C", parent_id="p", owner="U_SAL_EMEA"),  # agreed territory rep
        "d": Account("d", "D", parent_id="a", owner="U_OWNER"),
    }
    hierarchy = build_view("p", accounts, REGIONS).hierarchy
    assert [a.account_id for a in children_following_global_owner(hierarchy, "U_OWNER")] == ["a", "d"]
    assert children_following_global_owner(hierarchy, None) == []


SDR = Person("U_SDR", "Sid", role=Role.SDR, region="US-East")


@pytest.mark.parametrize(
    ("employees", "type_", "sdr", "contacts"),
    [
        (
            5_000,
            AccountType.CUSTOMER,
            "U_SDR",
            "Contacts stay with Sid, the account's SDR (Large customer account)",
        ),
        (5_000, AccountType.CUSTOMER, None, "Contacts go to Sam (Large customer account, no SDR assigned)"),
        (
            500,
            AccountType.PROSPECT,
            "U_SDR",
            "Contacts stay with Sid, the account's SDR (Mid-Market non-customer",
        ),
        (500, AccountType.CUSTOMER, "U_SDR", "Contacts go to Sam (Mid-Market customer account)"),
        (50, AccountType.PROSPECT, None, "Contacts go to Sam (SMB non-customer account, no SDR assigned)"),
    ],
)
def test_record_ownership_says_where_contacts_and_leads_go_for_this_account(
    employees: int, type_: AccountType, sdr: str | None, contacts: str
) -> None:
    from bot.handbook.ownership import record_ownership_after

    account = Account(
        "r", "Rec", owner="U_OWNER", type=type_, employees_datafox=employees, datafox_address=NY, sdr=sdr
    )
    said = record_ownership_after(view_of(account), SAL, [*PEOPLE, SDR])
    assert said.startswith(contacts) and "Leads follow the account owner, Sam." in said


def test_a_recheck_over_the_named_cap_offers_no_override() -> None:
    from bot.handbook.ownership import recheck_transfer

    over = recheck_transfer(OWNER, SAL, view_of(NAMED), PEOPLE, named_count=30)
    assert [c.name for c in over.failed] == ["named_cap"] and over.override_approvers == ()
    assert recheck_transfer(OWNER, SAL, view_of(NAMED), PEOPLE, named_count=29).failed == ()
