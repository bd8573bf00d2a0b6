"""Who may see, reassign and own an account ("Changing Ownership in Salesforce", "Record Ownership")."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from bot.handbook import facts
from bot.handbook.directory import Account, AccountType, Person, Region, Role, Segment
from bot.handbook.results import Allowed, Refused
from bot.handbook.segments import Hierarchy, SegmentExplanation, effective_segment, hierarchy_of
from bot.handbook.territory import Territory, territory_of
from bot.handbook.visibility import approvers_who_may_see, may_see


def _facts() -> dict:
    return facts.load("ownership")


def section(key: str) -> str:
    """Handbook URL for a key of `sections` in ownership.yaml."""
    return facts.section_url(_facts()["sections"][key])


@dataclass(frozen=True, slots=True)
class AccountView:
    """Everything the rules need to know about one account, computed from the directory."""

    account: Account
    hierarchy: Hierarchy
    segment: SegmentExplanation
    territory: Territory

    @property
    def region(self) -> Region | None:
        return self.territory.region

    @property
    def ultimate_parent(self) -> Account:
        return self.hierarchy.ultimate_parent

    @property
    def has_parent(self) -> bool:
        return self.account.parent_id is not None


def build_view(
    account_id: str, accounts_by_id: Mapping[str, Account], regions: Sequence[Region]
) -> AccountView:
    """Owner, hierarchy, segment and region of an account ("Account Ownership Rules of Engagement")."""
    hierarchy = hierarchy_of(account_id, accounts_by_id)
    return AccountView(
        hierarchy.account, hierarchy, effective_segment(hierarchy), territory_of(hierarchy, regions)
    )


def working_segment(person: Person) -> Segment | None:
    """The segment a person works: the directory's, else SAL/Large, AE/Mid-Market (rule 4D)."""
    if person.segment is not None:
        return person.segment
    default = _facts()["role_segments"].get(str(person.role))
    return Segment(default) if default else None


def is_default_owner(person: Person) -> bool:
    """The `Sales Admin` placeholder user ("Default Ownership")."""
    return person.name == _facts()["default_owner_name"]


# --- Rules 1-5 -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReassignAllowed(Allowed):
    """Allowed by rule `rule` (1-5) of "Changing Account Ownership in Salesforce"."""

    rule: int = 0


@dataclass(frozen=True, slots=True)
class ReassignRefused(Refused):
    """Refused; `failed` lists which of 4A-4D did not hold."""

    failed: tuple[str, ...] = ()


def _in_region(person: Person, view: AccountView) -> bool:
    return view.region is not None and person.region == view.region.name


def rule_4_failures(actor: Person, view: AccountView) -> list[tuple[str, str]]:
    """Which of 4A-4D fail for `actor`, with why ("Changing Account Ownership in Salesforce" rule 4)."""
    failures: list[tuple[str, str]] = []
    if view.has_parent:
        failures.append(("4A", "the account has a parent account"))
    if not _in_region(actor, view):
        where = view.region.name if view.region else "no known region"
        failures.append(("4B", f"the account is in {where}, not your region ({actor.region or 'none'})"))
    if view.account.employees_datafox is None:
        failures.append(("4C", "DataFox has not enriched the account's number of employees"))
    works = working_segment(actor)
    if works is None or works != view.segment.segment:
        failures.append(
            (
                "4D",
                f"the account is {view.segment.segment or 'unsegmented'}, you work {works or 'no segment'}",
            )
        )
    return failures


def may_reassign(actor: Person, view: AccountView) -> ReassignAllowed | ReassignRefused:
    """Rules 1-5 of "Changing Account Ownership in Salesforce", checked 1, 2, 3, 5, then 4."""
    url = section("account_ownership")
    if not may_see(actor, view.account):
        return ReassignRefused("public sector accounts are visible only to the public sector team", url)
    if actor.slack_id == view.account.owner:
        return ReassignAllowed("you own the account (rule 1)", url, rule=1)
    if actor.role is Role.RD:
        return ReassignAllowed("any RD can reassign any account (rule 2)", url, rule=2)
    if actor.team_lead and _in_region(actor, view):
        return ReassignAllowed("team leads can reassign accounts in their region (rule 3)", url, rule=3)
    if actor.role is Role.ADMIN:
        return ReassignAllowed("any admin can reassign any account (rule 5)", url, rule=5)
    failures = rule_4_failures(actor, view)
    if not failures:
        return ReassignAllowed(
            "no parent, in your region, DataFox-enriched and your segment (rule 4)", url, rule=4
        )
    why = "; ".join(f"{code}: {text}" for code, text in failures)
    return ReassignRefused(
        f"you are not the owner, an RD, a team lead of its region or an admin, and rule 4 fails ({why})",
        url,
        failed=tuple(code for code, _ in failures),
    )


# --- New owner criteria ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Criterion:
    """One criterion for reassigning accounts and whether the new owner meets it."""

    name: str
    passed: bool
    reason: str
    section: str = ""

    @property
    def label(self) -> str:
        """How people read the criterion (the name is for code)."""
        return CRITERION_LABELS.get(self.name, self.name.replace("_", " ").capitalize())


CRITERION_LABELS = {
    "territory": "Territory",
    "segment": "Segment",
    "named_cap": "Named accounts (at most 30)",
    "record_ownership": "Account-owning role",
    "public_sector": "Public sector",
    "default_owner": "Default owner",
}


def new_owner_fit(
    new_owner: Person, view: AccountView, named_count: int, actor: Person | None = None
) -> list[Criterion]:
    """Criteria for Reassigning Accounts, the 30 named-account cap and the default user.

    Sources: "Changing Account Ownership in Salesforce" (territory, segment, Record Ownership), Rules of
    Engagement 3 (named accounts, regardless of headquarters) and 11 (owners are RD/SAL/AE), "Default
    Ownership" (only admins assign the Sales Admin user), "Record Visibility" (public sector).
    `named_count` is the new owner's named accounts today, not counting this one.
    """
    if is_default_owner(new_owner):
        admin = actor is not None and actor.role is Role.ADMIN
        why = "admins may assign the default user" if admin else "only admins may assign the Sales Admin user"
        return [Criterion("default_owner", admin, why, section("default_ownership"))]

    data = _facts()
    account = view.account
    criteria: list[Criterion] = []
    if account.named:
        criteria.append(
            Criterion(
                "territory",
                True,
                "named accounts are owned regardless of headquarters",
                section("rules_of_engagement"),
            )
        )
    else:
        region = view.region.name if view.region else None
        where = f"{view.ultimate_parent.name}'s address ({view.territory.address.source or 'none'})"
        fits = region is not None and new_owner.region == region
        reason = (
            f"{where} is in {region}, {new_owner.name}'s territory"
            if fits
            else f"{where} is in {region or 'no known region'}, "
            f"not {new_owner.name}'s ({new_owner.region or 'none'})"
        )
        criteria.append(Criterion("territory", fits, reason, section("account_ownership")))

    works = working_segment(new_owner)
    segment = view.segment.segment
    fits = works is not None and works == segment
    works_text = works or "no segment the handbook names"
    reason = f"the hierarchy is {segment or 'unsegmented'}; {new_owner.name} works {works_text}"
    criteria.append(Criterion("segment", fits, reason, section("segmentation")))

    cap = data["max_named_accounts"]
    if account.named and account.owner != new_owner.slack_id:
        after = named_count + 1
        criteria.append(
            Criterion(
                "named_cap",
                after <= cap,
                f"{new_owner.name} would own {after} named account{'' if after == 1 else 's'} (max {cap})",
                section("rules_of_engagement"),
            )
        )
    else:
        criteria.append(
            Criterion("named_cap", True, "not a new named account for them", section("rules_of_engagement"))
        )

    roles = data["account_owner_roles"]
    criteria.append(
        Criterion(
            "record_ownership",
            str(new_owner.role) in roles,
            f"accounts and their leads are owned by {'/'.join(roles)}; {new_owner.name} is {new_owner.role}",
            section("rules_of_engagement"),
        )
    )
    if account.public_sector:
        criteria.append(
            Criterion(
                "public_sector",
                new_owner.public_sector,
                "public sector accounts stay with the public sector team",
                section("record_visibility"),
            )
        )
    return criteria


# --- Routing ---------------------------------------------------------------------------------------------


class Mode(StrEnum):
    AUTO = "auto"  # the requester may reassign and the new owner fits: apply now
    SELF_OVERRIDE = "self_override"  # an RD/admin requester: apply once they write an override reason
    OWNER = "owner"  # the current owner approves
    REGION = "region"  # any one RD or team lead of the account's region approves
    OVERRIDE = "override"  # the new owner fails a criterion: an RD or admin approves with a written reason
    ADMIN_ONLY = "admin_only"  # the Sales Admin default user: only an admin approves
    BLOCKED = "blocked"  # nothing to route (cannot see the account, or no change)


@dataclass(frozen=True, slots=True)
class Routing:
    auto_apply: bool
    approvers: list[str]
    mode: Mode
    needs_override: bool
    explanation: str
    criteria: tuple[Criterion, ...] = ()


def _by_id(people: Iterable[Person]) -> dict[str, Person]:
    return {p.slack_id: p for p in people}


def _region_approvers(view: AccountView, people: Iterable[Person], *, rds_only: bool) -> list[Person]:
    if view.region is None:
        return []
    return [
        p
        for p in people
        if p.region == view.region.name and (p.role is Role.RD or (not rds_only and p.team_lead))
    ]


def _admins(people: Iterable[Person]) -> list[Person]:
    return [p for p in people if p.role is Role.ADMIN]


def _ids(found: Iterable[Person], requester: Person) -> list[str]:
    return sorted({p.slack_id for p in found if p.slack_id != requester.slack_id})


def override_approvers(view: AccountView, people: Iterable[Person], requester: Person) -> list[str]:
    """Who approves a new owner who breaks a criterion: the RDs of the account's region, else admins
    (each one someone who may see the account)."""
    people = list(people)
    found = _ids(_region_approvers(view, people, rds_only=True), requester) or _ids(
        _admins(people), requester
    )
    return approvers_who_may_see(view.account, found, _by_id(people), exclude={requester.slack_id})


def route_request(
    requester: Person, new_owner: Person, view: AccountView, people: Iterable[Person], named_count: int = 0
) -> Routing:
    """Who must approve moving `view.account` to `new_owner`: see `_route`. Whoever is named may see the
    account: on a public-sector account the public sector team's own RDs/managers (else admins) decide
    in place of anyone who may not ("Record Visibility")."""
    people = list(people)
    routing = _route(requester, new_owner, view, people, named_count)
    if not routing.approvers:
        return routing
    approvers = approvers_who_may_see(
        view.account, routing.approvers, _by_id(people), exclude={requester.slack_id}
    )
    if approvers == routing.approvers:
        return routing
    return replace(
        routing,
        approvers=approvers,
        explanation=routing.explanation
        + " Public sector accounts are decided by the public sector team (or an admin).",
    )


def _route(
    requester: Person, new_owner: Person, view: AccountView, people: list[Person], named_count: int
) -> Routing:
    """Who must approve moving `view.account` to `new_owner` ("Changing Account Ownership in Salesforce").

    Auto-apply when the requester may reassign (rules 1-5) and the new owner fits. When the new owner fails a
    criterion, an RD/admin requester applies it with a written override reason; anyone else's request goes to
    the RDs of the account's region (admins if none), who approve only with a written override reason (the
    Sales Admin user: admins only). Otherwise it goes to the current owner, or, when the owner is unknown
    or gone, to any RD or team lead of the region (admins if none).
    """
    directory = _by_id(people)
    if not may_see(requester, view.account):
        return Routing(
            False,
            [],
            Mode.BLOCKED,
            False,
            "Public sector accounts are visible only to the public sector team.",
        )
    if view.account.owner == new_owner.slack_id:
        return Routing(False, [], Mode.BLOCKED, False, f"{new_owner.name} already owns {view.account.name}.")

    criteria = tuple(new_owner_fit(new_owner, view, named_count, actor=requester))
    failed = [c for c in criteria if not c.passed]
    allowed = may_reassign(requester, view)

    over_cap = next((c for c in failed if c.name == "named_cap"), None)
    if over_cap is not None:  # "no more than 30 named accounts": no override, no exception
        return Routing(
            False,
            [],
            Mode.BLOCKED,
            False,
            f"{over_cap.reason}; a sales rep owns no more than "
            f"{_facts()['max_named_accounts']} named accounts, and no override changes that.",
            criteria,
        )
    if failed:
        why = "; ".join(f"{c.label}: {c.reason}" for c in failed)
        if any(c.name == "default_owner" for c in failed):
            admins = _ids(_admins(people), requester)
            return Routing(
                False,
                admins,
                Mode.ADMIN_ONLY,
                True,
                f"Only an admin may assign the Sales Admin user ({why}).",
                criteria,
            )
        if requester.role in (Role.RD, Role.ADMIN):
            return Routing(
                True,
                [],
                Mode.SELF_OVERRIDE,
                True,
                f"{new_owner.name} does not fit ({why}); write an override reason to apply.",
                criteria,
            )
        rds = _ids(_region_approvers(view, people, rds_only=True), requester) or _ids(
            _admins(people), requester
        )
        return Routing(
            False,
            rds,
            Mode.OVERRIDE,
            True,
            f"{new_owner.name} does not fit ({why}); an RD or admin must approve with an override reason.",
            criteria,
        )
    if allowed:
        return Routing(True, [], Mode.AUTO, False, f"{allowed.reason}; {new_owner.name} fits.", criteria)

    owner = directory.get(view.account.owner or "")
    if owner is not None and not is_default_owner(owner) and owner.slack_id != requester.slack_id:
        return Routing(
            False,
            [owner.slack_id],
            Mode.OWNER,
            False,
            f"{allowed.reason}. The current owner, {owner.name}, decides.",
            criteria,
        )
    region = _ids(_region_approvers(view, people, rds_only=False), requester)
    if region:
        where = view.region.name if view.region else ""
        return Routing(
            False,
            region,
            Mode.REGION,
            False,
            f"{allowed.reason}. The owner is unknown, so an RD or team lead of {where} decides.",
            criteria,
        )
    return Routing(
        False,
        _ids(_admins(people), requester),
        Mode.REGION,
        False,
        f"{allowed.reason}. No owner or regional approver is known, so an admin decides.",
        criteria,
    )


def within_named_cap(account: Account, new_owner_id: str, named_count: int) -> Allowed | Refused:
    """Rules of Engagement 3: "A sales rep will own no more than 30 named accounts", checked again when a
    request is applied (the cap may have filled while it waited)."""
    cap = _facts()["max_named_accounts"]
    if account.named and account.owner != new_owner_id and named_count + 1 > cap:
        return Refused(
            f"the new owner already owns {named_count} named accounts; no more than {cap}, no exception",
            section("rules_of_engagement"),
        )
    return Allowed("within the named-account cap", section("rules_of_engagement"))


def notify_on_change(actor: Person, old_owner: str | None, new_owner: str | None) -> set[str]:
    """A non-admin change notifies both owners ("Changing Account Ownership in Salesforce")."""
    if actor.role is Role.ADMIN:
        return set()
    return {owner for owner in (old_owner, new_owner) if owner}


# --- Contacts and children -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ContactOwnership:
    role: str | None  # "SDR" or "AE" (the account's owner)
    slack_id: str | None
    reason: str
    can_reassign_by_hand: bool = False
    section: str = ""


def contact_owner(
    account: Account, account_type: AccountType | None, segment: Segment | None, people: Iterable[Person]
) -> ContactOwnership:
    """Who owns the account's contacts; set by automation, never by hand ("Changing Contact Ownership")."""
    url = section("contact_ownership")
    known = _by_id(people)
    if segment is None:
        return ContactOwnership(
            None, None, "the account has no segment, so contact ownership is undetermined", section=url
        )
    customer = account_type is AccountType.CUSTOMER
    row = next(
        r
        for r in _facts()["contact_ownership"]
        if r["segment"] == str(segment) and r["customer"] in (None, customer)
    )
    holders = {"SDR": account.sdr, "AE": account.owner}
    kind = "customer" if customer else "non-customer"
    for role in row["owners"]:
        slack_id = holders[role]
        if slack_id and slack_id in known:
            reason = f"{segment} {kind} account: contacts go to the {role}" + (
                " (no SDR assigned)" if role == "AE" and "SDR" in row["owners"] else ""
            )
            return ContactOwnership(
                role,
                slack_id,
                reason + "; contact ownership is automated and can't be changed by hand",
                section=url,
            )
    return ContactOwnership(
        None,
        None,
        f"{segment} {kind} account has no {' or '.join(row['owners'])} in the directory",
        section=url,
    )


def record_ownership_after(view: AccountView, new_owner: Person, people: Iterable[Person]) -> str:
    """What "Record Ownership" (Rules of Engagement 12) means for this account once `new_owner` owns it:
    contacts of a Large or non-customer account go to its SDR where there is one, else to the owner;
    leads follow the account owner ("All Leads are to be owned by the owner of the Account")."""
    people = list(people)
    account = replace(view.account, owner=new_owner.slack_id)
    found = contact_owner(account, account.type, view.segment.segment, [*people, new_owner])
    names = _by_id([*people, new_owner])
    kind = found.reason.split(":")[0].split(";")[0]  # e.g. "Large customer account"
    if found.slack_id is None:
        contacts = f"Contacts: {kind}."
    elif found.role == "SDR":
        contacts = f"Contacts stay with {names[found.slack_id].name}, the account's SDR ({kind})."
    else:
        no_sdr = ", no SDR assigned" if "no SDR" in found.reason else ""
        contacts = f"Contacts go to {new_owner.name} ({kind}{no_sdr})."
    return f"{contacts} Leads follow the account owner, {new_owner.name}. Both are set automatically."


def children_following_global_owner(hierarchy: Hierarchy, old_owner: str | None) -> list[Account]:
    """Children the old global owner held that follow the new one; named ones stay (Rules of Engagement 2)."""
    if old_owner is None:
        return []
    return [a for a in hierarchy.members[1:] if a.owner == old_owner and not a.named]


# --- Re-checking a routed request when it is decided ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Refit:
    """A routed transfer re-evaluated against the directory as it is now."""

    failed: tuple[Criterion, ...] = ()
    override_approvers: tuple[str, ...] = ()  # who may approve it anyway, with a written reason
    admin_only: bool = False


def recheck_transfer(
    requester: Person | None,
    new_owner: Person,
    view: AccountView,
    people: Iterable[Person],
    named_count: int,
) -> Refit:
    """Does the new owner still fit the criteria ("Criteria for Reassigning Accounts")? When not, an RD of
    the account's region (admins when none) may still approve with an override reason, as at routing;
    the Sales Admin user needs an admin ("Default Ownership")."""
    people = list(people)
    failed = tuple(c for c in new_owner_fit(new_owner, view, named_count, actor=requester) if not c.passed)
    if not failed:
        return Refit()
    asking = requester or Person(slack_id="", name="")
    if any(c.name == "named_cap" for c in failed):
        return Refit(failed, ())  # "no more than 30 named accounts": nobody may override it
    if any(c.name == "default_owner" for c in failed):
        admins = _ids(_admins(people), asking)
        return Refit(failed, tuple(admins), admin_only=True)
    return Refit(failed, tuple(override_approvers(view, people, asking)))
