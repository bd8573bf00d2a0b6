"""App Home as the inbox: what waits on me (with the buttons), my requests (with Cancel), my holdovers and
contact SLAs. Published when someone opens the tab, and again (through the outbox) whenever a request,
step, holdover or SLA changes for that person."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.approvals import service
from bot.features.holdovers import service as holdovers
from bot.features.sla import service as sla

if TYPE_CHECKING:
    from bot.deps import Deps

REFRESH = service.HOME_REFRESH  # an outbox "method": rendered when sent, so it shows what committed


@dataclass(frozen=True, slots=True)
class Home:
    overview: service.Overview
    holdovers: holdovers.Listing
    slas: list[dict[str, Any]]


async def home(deps: Deps, user: str) -> Home:
    return Home(
        await service.overview(deps, user),
        await holdovers.mine(deps, user),
        [r for r in await sla.open_requests(deps, user) if r["mine"]],
    )


async def view(deps: Deps, user: str) -> dict[str, Any]:
    return deps.renderer.render("approvals/home.json.j2", home=await home(deps, user))


def register(deps: Deps) -> None:
    async def build(payload: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        user = str(payload["user_id"])
        return "views.publish", {"user_id": user, "view": await view(deps, user)}

    deps.outbox.builders[REFRESH] = build
