"""manifest.yml is valid against Slack's own manifest schema and matches what the code registers."""

from __future__ import annotations

import json

import jsonschema
import yaml

from bot.settings import PROJECT_ROOT

# Slack's manifest schema, vendored with its MIT licence (tests/vendor/slack-app-manifest.LICENSE).
SCHEMA = PROJECT_ROOT / "tests" / "vendor" / "slack-app-manifest.schema.json"
MANIFEST = yaml.safe_load((PROJECT_ROOT / "manifest.yml").read_text())


def test_manifest_is_valid_against_slacks_schema() -> None:
    schema = json.loads(SCHEMA.read_text())
    errors = [
        f"{list(e.path)}: {e.message}" for e in jsonschema.Draft7Validator(schema).iter_errors(MANIFEST)
    ]
    assert errors == []


def test_manifest_has_both_slash_commands_with_usage_hints() -> None:
    commands = {c["command"]: c for c in MANIFEST["features"]["slash_commands"]}
    assert set(commands) == {"/gtm", "/glossary"}
    assert all(c.get("usage_hint") for c in commands.values())


def test_every_shortcut_in_the_manifest_has_a_listener_in_the_code() -> None:
    shortcuts = MANIFEST["features"].get("shortcuts") or []
    assert "glossary.lookup_message" in [s["callback_id"] for s in shortcuts if s["type"] == "message"]
    code = "".join(path.read_text() for path in (PROJECT_ROOT / "handlers").rglob("*.py"))
    assert [s["callback_id"] for s in shortcuts if f'"{s["callback_id"]}"' not in code] == []


def test_every_url_points_at_the_one_events_endpoint() -> None:
    urls = [c["url"] for c in MANIFEST["features"]["slash_commands"]]
    urls += [
        MANIFEST["settings"]["interactivity"]["request_url"],
        MANIFEST["settings"]["event_subscriptions"]["request_url"],
    ]
    assert all(u.endswith("/slack/events") for u in urls)


# The Web API methods the bot may call, and the bot scope each needs (views need none).
SCOPE_OF = {
    "chat.postMessage": "chat:write",
    "chat.update": "chat:write",
    "chat.postEphemeral": "chat:write",
    "chat.delete": "chat:write",
    "conversations.open": "im:write",
    "conversations.history": "im:history",
    "views.open": None,
    "views.update": None,
    "views.push": None,
    "views.publish": None,
    "auth.test": None,
    "chat.unfurl": "links:write",
    "users.lookupByEmail": "users:read.email",
}
# The events the bot subscribes to, and the bot scope each needs.
EVENT_SCOPE = {"app_home_opened": None, "link_shared": "links:read"}


def _methods_the_code_calls() -> set[str]:
    import re

    found: set[str] = set()
    for folder in ("bot", "handlers"):
        for path in (PROJECT_ROOT / folder).rglob("*.py"):
            if "standin" in path.parts or "playground" in path.parts:
                continue  # the stand-in answers these methods; it does not call them
            text = path.read_text()
            found.update(
                m.replace("_", ".", 1)
                for m in re.findall(r"client\.((?:chat|views|users|conversations|files)_\w+)\(", text)
            )
            found.update(re.findall(r'method="([a-z]+\.[A-Za-z]+)"', text))
    return found


def test_every_method_the_code_calls_has_its_scope_and_no_scope_is_unused() -> None:
    methods = _methods_the_code_calls()
    unknown = methods - set(SCOPE_OF)
    assert not unknown, f"add these methods and their scopes to SCOPE_OF: {unknown}"
    events = MANIFEST["settings"]["event_subscriptions"]["bot_events"]
    assert set(events) <= set(EVENT_SCOPE), (
        f"add these events and their scopes: {set(events) - set(EVENT_SCOPE)}"
    )
    needed = ({SCOPE_OF[m] for m in methods} | {EVENT_SCOPE[e] for e in events}) - {None} | {"commands"}
    assert set(MANIFEST["oauth_config"]["scopes"]["bot"]) == needed


def test_the_messages_tab_takes_the_slash_commands_the_dms_suggest() -> None:
    # Every card says "`/gtm requests N` shows its timeline" and the playground has a message box there;
    # a read-only Messages tab would refuse the command in the very place the card asks for it.
    home = MANIFEST["features"]["app_home"]
    assert home["messages_tab_enabled"] is True and home["messages_tab_read_only_enabled"] is False
    card = (PROJECT_ROOT / "templates" / "approvals" / "card.json.j2").read_text()
    assert "`/gtm requests " in card


def test_the_manifest_has_one_of_each_key_and_both_shortcuts() -> None:
    class Unique(yaml.SafeLoader):
        pass

    def no_duplicates(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
        keys = [loader.construct_object(k, deep=deep) for k, _ in node.value]
        assert len(keys) == len(set(keys)), f"duplicate keys in manifest.yml: {keys}"
        return loader.construct_mapping(node, deep)

    Unique.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, no_duplicates)
    manifest = yaml.load((PROJECT_ROOT / "manifest.yml").read_text(), Loader=Unique)  # noqa: S506
    shortcuts = {s["callback_id"]: s["type"] for s in manifest["features"]["shortcuts"]}
    assert shortcuts == {"ownership.request": "global", "glossary.lookup_message": "message"}
    assert manifest["settings"]["interactivity"]["message_menu_options_url"].endswith("/slack/events")
