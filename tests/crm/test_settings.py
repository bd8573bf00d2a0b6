"""SALESFORCE_* settings: what turns Salesforce on, and the one-line errors for what is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.crm.mapping import DEFAULT_MAPPING, MappingError, load_mapping
from bot.settings import SalesforceSettings, SettingsError


def test_no_client_id_means_no_salesforce() -> None:
    assert SalesforceSettings.from_env({}) is None


def test_client_credentials_with_defaults() -> None:
    sf = SalesforceSettings.from_env({"SALESFORCE_CLIENT_ID": "cid", "SALESFORCE_CLIENT_SECRET": "s"})
    assert sf is not None
    assert (sf.login_url, sf.api_version, sf.sync_minutes) == ("https://login.salesforce.com", "v61.0", 5)
    assert sf.client_secret == "s" and sf.username is None


def test_jwt_bearer_takes_precedence_over_a_secret(tmp_path: Path) -> None:
    key = tmp_path / "key.pem"
    key.write_text("-----BEGIN PRIVATE KEY-----\n")
    sf = SalesforceSettings.from_env(
        {
            "SALESFORCE_CLIENT_ID": "cid",
            "SALESFORCE_USERNAME": "int@example.com",
            "SALESFORCE_PRIVATE_KEY_FILE": str(key),
            "SALESFORCE_CLIENT_SECRET": "ignored",
            "SALESFORCE_LOGIN_URL": "https://acme.my.salesforce.com/",
        }
    )
    assert sf is not None and sf.private_key_file == key and sf.client_secret is None
    assert sf.login_url == "https://acme.my.salesforce.com"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"SALESFORCE_CLIENT_SECRET": "s"},
            "SALESFORCE_CLIENT_SECRET is set but SALESFORCE_CLIENT_ID is not",
        ),
        ({"SALESFORCE_CLIENT_ID": "c"}, "SALESFORCE_USERNAME + SALESFORCE_PRIVATE_KEY_FILE"),
        ({"SALESFORCE_CLIENT_ID": "c", "SALESFORCE_USERNAME": "u"}, "SALESFORCE_PRIVATE_KEY_FILE is not set"),
        (
            {"SALESFORCE_CLIENT_ID": "c", "SALESFORCE_USERNAME": "u", "SALESFORCE_PRIVATE_KEY_FILE": "/nope"},
            "/nope is not a readable file",
        ),
        (
            {"SALESFORCE_CLIENT_ID": "c", "SALESFORCE_CLIENT_SECRET": "s", "SALESFORCE_API_VERSION": "61"},
            "v61.0",
        ),
        (
            {"SALESFORCE_CLIENT_ID": "c", "SALESFORCE_CLIENT_SECRET": "s", "SALESFORCE_SYNC_MINUTES": "0"},
            "whole",
        ),
        (
            {"SALESFORCE_CLIENT_ID": "c", "SALESFORCE_CLIENT_SECRET": "s", "SALESFORCE_MAPPING": "/x.yaml"},
            "/x.yaml",
        ),
    ],
)
def test_configuration_mistakes_name_the_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message.replace("+", r"\+")):
        SalesforceSettings.from_env(env)


def test_the_shipped_mapping_maps_the_issues_fields() -> None:
    mapping = load_mapping(DEFAULT_MAPPING)
    assert "Employees_DataFox__c" in mapping.soql_fields("Account")
    assert mapping.soql_fields("User")[-1] == "SystemModstamp"
    assert mapping.missing("Account", {"Id", "Name"})[:2] == ["ParentId", "OwnerId"]


def test_a_mapping_with_an_unknown_bot_field_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "m.yaml"
    bad.write_text(
        DEFAULT_MAPPING.read_text().replace("  sdr: SDR__c\nOpportunity", "  shoe_size: Shoe__c\nOpportunity")
    )
    with pytest.raises(MappingError, match="Account has unknown fields shoe_size"):
        load_mapping(bad)
