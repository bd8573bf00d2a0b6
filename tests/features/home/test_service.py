"""App Home, called directly: what waits on me, my requests, my holdovers and my contact SLAs."""

from __future__ import annotations

from bot.deps import Deps
from bot.features.home import service
from bot.features.ownership import service as ownership
from bot.features.sla import service as sla


async def test_home_gathers_what_waits_on_me_and_my_own_slas(wired: Deps) -> None:
    claimed = await ownership.claim(
        wired, requester_id="U0AE1", account_id="A-HOOLI", new_owner_id="U0AE1", reason=""
    )
    await sla.log_request(
        wired, logger_id="U0SDR1", account_id="A-HOOLI", kind="contact-us", received_at=wired.clock(), note=""
    )
    bens = await service.home(wired, "U0AE2")
    assert [r["id"] for r in bens.overview.waiting] == [claimed.request_id]
    assert [s["account"] for s in bens.slas] == ["Hooli"]
    avas = await service.home(wired, "U0AE1")
    assert avas.overview.waiting == [] and avas.slas == []
    assert [r["id"] for r in avas.overview.mine] == [claimed.request_id]
    view = await service.view(wired, "U0AE2")
    assert view["type"] == "home" and "Hooli" in str(view["blocks"])
