"""The command router: subcommands, aliases and second-level verbs are routed in one place."""

from __future__ import annotations

import pytest

from handlers.router import CommandRouter, Subcommand, Verb


async def _nothing(*_args: object) -> None:
    return None


QUEUE = Verb("queue", "queue", answer=_nothing)
EXPORT = Verb("export", "export [REGION]", answer=_nothing)
REVIEW = Subcommand("review", "/gtm review ACCOUNT", "Reviews", answer=_nothing, verbs=(QUEUE, EXPORT))
SLA = Subcommand("sla", "/gtm sla", "SLAs", answer=_nothing, verbs=(Verb("done", "done ID"),))
STAGE = Subcommand("stage", "/gtm stage [STAGE]", "Stages", answer=_nothing, aliases=("stages",))
DEFINE = Subcommand("define", "/gtm define TERM", "Terms", answer=_nothing)


def router() -> CommandRouter:
    r = CommandRouter()
    for sub in (REVIEW, SLA, STAGE, DEFINE):
        r.add(sub)
    return r


@pytest.mark.parametrize(
    ("command", "text", "sub", "rest"),
    [
        ("/gtm", "review Initech", REVIEW, "Initech"),
        ("/gtm", "  REVIEW   queue ", REVIEW, "queue"),
        ("/gtm", "stages Closed Won", STAGE, "Closed Won"),
        ("/gtm", "nonsense here", None, "here"),
        ("/gtm", "", None, ""),
        ("/glossary", "SAO", DEFINE, "SAO"),
    ],
)
def test_a_command_resolves_to_its_subcommand_by_name_or_alias(
    command: str, text: str, sub: Subcommand | None, rest: str
) -> None:
    found, found_rest, _typed = router().resolve(command, text)
    assert found is sub
    assert found_rest == rest


@pytest.mark.parametrize(
    ("rest", "target", "text"),
    [
        ("queue", QUEUE, ""),
        ("Queue", QUEUE, ""),
        ("export  EMEA ", EXPORT, "EMEA"),
        ("Initech", REVIEW, "Initech"),
        ("queued accounts", REVIEW, "queued accounts"),  # a verb is a whole word
        ("", REVIEW, ""),
    ],
)
def test_the_first_word_picks_a_verb_and_anything_else_goes_to_the_subcommand(
    rest: str, target: Verb | Subcommand, text: str
) -> None:
    assert REVIEW.route(rest) == (target, text)


def test_a_subcommand_without_verbs_gets_all_of_its_text() -> None:
    assert STAGE.route("queue Closed Won") == (STAGE, "queue Closed Won")


@pytest.mark.parametrize(
    ("sub", "usage"),
    [
        (REVIEW, "/gtm review ACCOUNT | queue | export [REGION]"),
        (SLA, "/gtm sla [done ID]"),
        (STAGE, "/gtm stage [STAGE]"),
    ],
)
def test_the_help_names_every_verb(sub: Subcommand, usage: str) -> None:
    assert sub.help_usage == usage


def test_a_subcommand_cannot_be_added_twice() -> None:
    with pytest.raises(ValueError, match="registered twice"):
        router().add(REVIEW)
