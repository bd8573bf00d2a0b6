"""manifest.yml is valid against Slack's own manifest schema and matches what the code registers."""

from __future__ import annotations

import json

import jsonschema
import yaml

from bot.settings import PROJECT_ROOT

SCHEMA = PROJECT_ROOT.parent / "shared" / "schemas" / "slack-app-manifest.schema.json"
MANIFEST = yaml.safe_load((PROJECT_ROOT / "manifest.yml").read_text())


def test_manifest_is_valid_against_slacks_schema() -> None:
    assert SCHEMA.exists(), f"Slack's manifest schema is expected beside the checkout at {SCHEMA}"
    schema = json.loads(SCHEMA.read_text())
    errors = [
        f"{list(e.path)}: {e.message}" for e in jsonschema.Draft7Validator(schema).iter_errors(MANIFEST)
    ]
    assert errors == []


def test_manifest_has_both_slash_commands_with_usage_hints() -> None:
    commands = {c["command"]: c for c in MANIFEST["features"]["slash_commands"]}
    assert set(commands) == {"/gtm", "/glossary"}
    assert all(c.get("usage_hint") for c in commands.values())


def test_every_url_points_at_the_one_events_endpoint() -> None:
    urls = [c["url"] for c in MANIFEST["features"]["slash_commands"]]
    urls += [
        MANIFEST["settings"]["interactivity"]["request_url"],
        MANIFEST["settings"]["event_subscriptions"]["request_url"],
    ]
    assert all(u.endswith("/slack/events") for u in urls)
