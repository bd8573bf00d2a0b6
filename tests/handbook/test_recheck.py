"""Re-checking a routed request at decision time: the transfer rules over the directory as it is now."""

from __future__ import annotations

import pytest

from bot.handbook.directory import Account, Person, Role, Segment
from bot.handbook.escalation import rep_still_fits
from bot.handbook.ownership import recheck_transfer, route_request
from tests.handbook.test_ownership import ADMIN, AE, PEOPLE, RD, RD_EMEA, REGIONS, SOLO, view_of

STARK = Account(
    "stark",
    "Stark",
    owner="U_PS",
    employees_datafox=5_000,
    datafox_address=SOLO.datafox_address,
    public_sector=True,
)
SAL_LARGE = Person("U_SL", "Sue", role=Role.SAL, region="US-East", segment=Segment.LARGE)
PUB_RD = Person("U_PRD", "Petra", role=Role.RD, region="US-East", public_sector=True)


@pytest.mark.parametrize(
    ("new_owner", "account", "failed", "approvers", "admin_only"),
    [
        (SAL_LARGE, SOLO, (), (), False),  # still fits: nothing to say
        (  # re-imported as an SDR in EMEA: territory, segment and role fail; US-East's RD may override
            Person("U_SL", "Sue", role=Role.SDR, region="EMEA"),
            SOLO,
            ("territory", "segment", "record_ownership"),
            (PUB_RD.slack_id, RD.slack_id),  # every RD of US-East
            False,
        ),
        (
            Person("U_SL", "Sue", role=Role.SAL, region="EMEA", segment=Segment.LARGE),
            SOLO,
            ("territory",),
            (PUB_RD.slack_id, RD.slack_id),  # every RD of US-East
            False,
        ),
        (
            Person("U_D", "Sales Admin", role=Role.SALES_OPS),
            SOLO,
            ("default_owner",),
            (ADMIN.slack_id,),
            True,
        ),
        # a public-sector account: the RD off the team is replaced by the team's own RD
        (
            Person("U_SL", "Sue", role=Role.SAL, region="EMEA", segment=Segment.LARGE, public_sector=True),
            STARK,
            ("territory",),
            (PUB_RD.slack_id,),
            False,
        ),
    ],
)
def test_a_routed_transfer_is_re_evaluated_against_the_directory_now(
    new_owner: Person, account: Account, failed: tuple[str, ...], approvers: tuple[str, ...], admin_only: bool
) -> None:
    refit = recheck_transfer(AE, new_owner, view_of(account), [*PEOPLE, PUB_RD], named_count=0)
    assert tuple(c.name for c in refit.failed) == failed
    assert refit.override_approvers == approvers and refit.admin_only is admin_only


def test_the_override_goes_to_admins_when_the_region_has_no_rd() -> None:
    people = [p for p in PEOPLE if p is not RD]
    sdr = Person("U_SL", "Sue", role=Role.SDR, region="US-East")
    assert recheck_transfer(AE, sdr, view_of(SOLO), people, 0).override_approvers == (ADMIN.slack_id,)


def test_routing_and_recheck_agree_on_who_may_override() -> None:
    sdr = Person("U_SL", "Sue", role=Role.SDR, region="US-East")
    routed = route_request(AE, sdr, view_of(SOLO), PEOPLE)
    assert tuple(routed.approvers) == recheck_transfer(AE, sdr, view_of(SOLO), PEOPLE, 0).override_approvers
    assert RD_EMEA.slack_id not in routed.approvers and REGIONS


REP = Person("U_REP", "Tom", role=Role.SAL, region="EMEA")


@pytest.mark.parametrize(
    ("rep", "sees", "named", "count", "says"),
    [
        (REP, True, False, 0, []),
        (REP, True, True, 29, []),
        (None, True, False, 0, ["no longer in the sales directory"]),
        (Person("U_REP", "Tom", role=Role.ASM), True, False, 0, ["Tom is now ASM"]),
        (Person("U_REP", "Tom", role=Role.AM), True, False, 0, []),
        (REP, False, False, 0, ["public sector accounts stay with the public sector team"]),
        (REP, True, True, 30, ["already owns 30 named accounts"]),
        (REP, True, False, 30, []),  # the cap is about named accounts only
    ],
)
def test_an_escalations_rep_must_still_be_someone_who_may_own_the_account(
    rep: Person | None, sees: bool, named: bool, count: int, says: list[str]
) -> None:
    found = rep_still_fits(rep, may_see_account=sees, named=named, rep_named_count=count)
    assert len(found) == len(says)
    for text, expected in zip(found, says, strict=True):
        assert expected in text
