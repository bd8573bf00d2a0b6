"""`/gtm help`: every subcommand with one line each."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.deps import Deps
from handlers.router import CommandRouter, Subcommand


def register(app: AsyncApp, deps: Deps, router: CommandRouter) -> None:
    router.add(Subcommand("help", "/gtm help", "List every command with one line each", answer=router.help))
