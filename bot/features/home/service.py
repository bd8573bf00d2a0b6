"""App Home as the inbox: what waits on me (with the buttons), my requests (with Cancel), my holdovers and
contact SLAs. Published when someone opens the tab, and again (through the outbox) whenever a request,
step, holdover or SLA changes for that person, if they have ever opened it: a Home nobody looks at is not
rebuilt on every change (opening it publishes a fresh one anyway)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.approvals import service
from bot.features.holdovers import service as holdovers
from bot.features.sla import service as sla
from bot.features.usecase import reading
from storage import home_viewers
from storage.models import OutboxRow

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement

    from bot.deps import Deps

REFRESH = service.HOME_REFRESH  # an outbox "method": rendered when sent, so it shows what committed
REF_PREFIX = "home:"  # a refresh's ref_key: "home:" + the user id (bot/approvals/service.py Context.touch)


@dataclass(frozen=True, slots=True)
class Home:
    overview: service.Overview
    holdovers: holdovers.Listing
    slas: list[dict[str, Any]]


async def home(deps: Deps, user: str) -> Home:
    """Every part of `user`'s Home read in one read session (one snapshot, one read of the directory's
    version for the people cache), so a refresh in a burst of clicks costs a few statements."""
    async with reading(deps, user) as ctx:
        return Home(await service.overview_in(ctx), await holdovers.listing(ctx), await sla.owned_open(ctx))


async def view(deps: Deps, user: str) -> dict[str, Any]:
    return deps.renderer.render("approvals/home.json.j2", home=await home(deps, user))


async def opened(deps: Deps, user: str) -> dict[str, Any]:
    """`user` opened the Home tab: remember that they look at it (before building the view, so a change
    committed after this view was built is republished for them), then their view as it reads now."""
    known: set[str] = deps.state.setdefault("home_viewers", set())  # recorded by this process already
    if user not in known:
        async with deps.db.sessions.begin() as session:
            await home_viewers.record(session, user, deps.clock())
        known.add(user)
    return await view(deps, user)


def never_opened() -> ColumnElement[bool]:
    """Refreshes (outbox rows) for people who have never opened the Home tab: not published. Context.touch
    keys each person's refreshes by REF_PREFIX + their user id (in order per person)."""
    return OutboxRow.ref_key.not_in(home_viewers.keyed(REF_PREFIX))


def register(deps: Deps) -> None:
    async def build(payload: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        user = str(payload["user_id"])
        return "views.publish", {"user_id": user, "view": await view(deps, user)}

    deps.outbox.builders[REFRESH] = build
    deps.outbox.skips[REFRESH] = never_opened()
