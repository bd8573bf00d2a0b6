"""`gtm-bot sync salesforce` through the real CLI against the Salesforce and Slack stand-ins."""

from __future__ import annotations

from sqlalchemy import select

from bot.features.ownership import service as ownership
from bot.handbook.directory import Segment
from storage.directory import DirectoryRepository
from storage.models import AccountRow, CrmSyncStateRow, OpportunityRow, PersonRow
from tests.conftest import gtm_bot


async def rows(db, model):
    async with db.reads() as session:
        return list(await session.scalars(select(model)))


async def test_a_first_sync_loads_everything_through_bulk_then_passes_are_incremental(
    db, salesforce, standin, sf_env
) -> None:
    ids = salesforce.ids
    code, out, err = await gtm_bot(sf_env, "sync", "salesforce")
    assert code == 0, err
    assert "salesforce sync (full): read 38, changed 37, deleted 0, skipped 0" in out
    assert salesforce.calls_to("jobs") and not salesforce.calls_to("query")
    accounts = {a.account_id: a for a in await rows(db, AccountRow)}
    assert len(accounts) == 11
    initech_de = accounts[ids["A-INITECH-DE"]]
    assert initech_de.owner == "U0SAL1" and initech_de.root_id == ids["A-INITECH"]  # Slack ids as people
    people = {p.slack_id: p for p in await rows(db, PersonRow)}
    assert people["U0ASM3"].team_lead and people["U0AE1"].manager == "U0ASM3"
    assert people["U0PUB1"].public_sector and people["U0RD2"].region == "US-West"
    opportunities = {o.opportunity_id: o for o in await rows(db, OpportunityRow)}
    assert opportunities[ids["O-1001"]].stage == "3-Technical Evaluation"
    assert opportunities[ids["O-1001"]].sdr == "U0SDR1"
    assert len(standin.calls_to("users.lookupByEmail")) == 19
    assert all(s.watermark is not None for s in await rows(db, CrmSyncStateRow))

    salesforce.calls.clear()
    code, out, err = await gtm_bot(sf_env, "sync", "salesforce", "--once")
    assert code == 0, err
    assert "(incremental)" in out and "changed 0, deleted 0, skipped 0" in out
    assert salesforce.calls_to("query") and not salesforce.calls_to("jobs")
    assert len(standin.calls_to("users.lookupByEmail")) == 19  # the cache answered

    # Changes in Salesforce: an owner, a new account, a deleted opportunity, Acme moved under Globex.
    salesforce.put("Account", {"Id": ids["A-HOOLI"], "OwnerId": ids["U0AE1"]})
    new_id = salesforce.put(
        "Account",
        {
            "Name": "Wayne Enterprises",
            "OwnerId": ids["U0SAL1"],
            "DataFox_Country__c": "US",
            "DataFox_State__c": "NY",
            "Employees_DataFox__c": 5000,
        },
    )
    salesforce.delete("Opportunity", ids["O-1005"])
    async with db.reads() as session:
        before = await ownership.load_view(DirectoryRepository(session), ids["A-ACME"])
    assert before is not None and before.segment.segment is Segment.MID_MARKET
    salesforce.put("Account", {"Id": ids["A-ACME"], "ParentId": ids["A-GLOBEX"]})
    code, out, err = await gtm_bot(sf_env, "sync", "salesforce")
    assert code == 0, err
    assert "(incremental)" in out and "changed 3, deleted 1, skipped 0" in out
    accounts = {a.account_id: a for a in await rows(db, AccountRow)}
    assert accounts[ids["A-HOOLI"]].owner == "U0AE1"
    assert accounts[new_id].name == "Wayne Enterprises" and accounts[new_id].root_id == new_id
    assert ids["O-1005"] not in {o.opportunity_id for o in await rows(db, OpportunityRow)}
    async with db.reads() as session:
        after = await ownership.load_view(DirectoryRepository(session), ids["A-ACME"])
    assert after is not None and after.ultimate_parent.account_id == ids["A-GLOBEX"]
    assert after.segment.segment is Segment.LARGE  # the moved parent recomputed the segment

    salesforce.put("Account", {"Id": ids["A-INITECH"], "ParentId": ids["A-GLOBEX"]})  # with its children
    code, out, err = await gtm_bot(sf_env, "sync", "salesforce")
    assert code == 0 and "changed 1," in out, err
    accounts = {a.account_id: a for a in await rows(db, AccountRow)}
    assert {accounts[ids[a]].root_id for a in ("A-INITECH", "A-INITECH-DE", "A-INITECH-FR")} == {
        ids["A-GLOBEX"]
    }

    code, out, _ = await gtm_bot(sf_env, "sync", "salesforce", "--full")
    assert code == 0 and "(full)" in out and "deleted 0" in out


async def test_bad_records_are_skipped_with_id_and_reason_and_the_rest_is_written(
    db, salesforce, sf_env
) -> None:
    ids = salesforce.ids
    ghost = salesforce.put("Account", {"Name": "Ghost Owner Co", "OwnerId": "005NOBODY000000AAA"})
    salesforce.put("Account", {"Id": ids["A-INITECH"], "ParentId": ids["A-INITECH-DE"]})  # a cycle
    salesforce.put("Opportunity", {"Id": ids["O-1004"], "StageName": "Stage Banana"})
    code, out, err = await gtm_bot(sf_env, "sync", "salesforce")
    assert code == 0, err
    assert f"Account {ghost}: owner 005NOBODY000000AAA is not a Salesforce user gtm-bot knows" in err
    # Initech comes first and takes Initech GmbH as parent; GmbH then closes the loop and is skipped,
    # and its two opportunities with it (their account is not in the directory).
    assert f"Account {ids['A-INITECH-DE']}: parent {ids['A-INITECH']} makes a cycle in the hierarchy" in err
    assert f"Opportunity {ids['O-1002']}: account {ids['A-INITECH-DE']} is not in the directory" in err
    assert f"Opportunity {ids['O-1004']}: stage 'Stage Banana' is not a stage the handbook names" in err
    assert "skipped 5" in out and len(err.strip().splitlines()) >= 5
    accounts = {a.account_id for a in await rows(db, AccountRow)}
    assert ghost not in accounts and ids["A-INITECH-DE"] not in accounts and len(accounts) == 10
    assert len(await rows(db, OpportunityRow)) == 5


async def test_a_mapped_field_the_org_lacks_stops_before_reading_with_exit_2(db, salesforce, sf_env) -> None:
    salesforce.drop_field("Account", "Employees_DataFox__c")
    code, out, err = await gtm_bot(sf_env, "sync", "salesforce")
    assert code == 2
    assert "the org lacks mapped fields: Account.Employees_DataFox__c" in err
    assert not salesforce.calls_to("jobs") and await rows(db, AccountRow) == []


async def test_configuration_errors_exit_2(db, salesforce, sf_env, tmp_path) -> None:
    env = {k: v for k, v in sf_env.items() if not k.startswith("SALESFORCE_")}
    code, _, err = await gtm_bot(env, "sync", "salesforce")
    assert code == 2 and "SALESFORCE_CLIENT_ID is not set" in err
    code, _, err = await gtm_bot({**sf_env, "SALESFORCE_CLIENT_SECRET": "wrong"}, "sync", "salesforce")
    assert code == 2 and "Salesforce refused the sign-in" in err
    code, _, err = await gtm_bot({**sf_env, "SALESFORCE_USERNAME": "int@example.com"}, "sync", "salesforce")
    assert code == 2 and "SALESFORCE_PRIVATE_KEY_FILE is not set" in err
    bad = tmp_path / "mapping.yaml"
    bad.write_text("Account: {name: Name}\n")
    code, _, err = await gtm_bot({**sf_env, "SALESFORCE_MAPPING": str(bad)}, "sync", "salesforce")
    assert code == 2 and "Account must map account_id, owner, parent_id" in err


async def test_people_come_from_users_not_in_slack_keep_their_user_id_and_deactivation_removes_them(
    db, salesforce, standin, sf_env
) -> None:
    ids = salesforce.ids
    outsider = salesforce.put(
        "User",
        {
            "Name": "Quinn Out",
            "Email": "quinn@example.com",
            "IsActive": True,
            "GTM_Role__c": "AE",
            "GTM_Region__c": "US-East",
            "GTM_Segment__c": "Mid-Market",
        },
    )
    salesforce.put("Account", {"Id": ids["A-TINY"], "OwnerId": outsider})
    code, out, err = await gtm_bot(sf_env, "sync", "salesforce")
    assert code == 0, err
    people = {p.slack_id: p for p in await rows(db, PersonRow)}
    assert outsider in people and people[outsider].name == "Quinn Out"  # owns records, can't be messaged
    accounts = {a.account_id: a for a in await rows(db, AccountRow)}
    assert accounts[ids["A-TINY"]].owner == outsider

    salesforce.put("User", {"Id": ids["U0AE2"], "IsActive": False})
    code, out, err = await gtm_bot(sf_env, "sync", "salesforce")
    assert code == 0, err
    people = {p.slack_id: p for p in await rows(db, PersonRow)}
    assert "U0AE2" not in people  # their accounts now route as "owner gone"
    assert {a.owner for a in await rows(db, AccountRow) if a.account_id == ids["A-HOOLI"]} == {"U0AE2"}

    standin.add_user("U0QUINN", "Quinn Out", "quinn.out@example.com")
    salesforce.put("User", {"Id": outsider, "Email": "Quinn.Out@example.com"})  # a changed email is looked up
    code, out, err = await gtm_bot(sf_env, "sync", "salesforce")
    assert code == 0, err
    accounts = {a.account_id: a for a in await rows(db, AccountRow)}
    assert accounts[ids["A-TINY"]].owner == "U0QUINN"
    assert outsider not in {p.slack_id for p in await rows(db, PersonRow)}
