"""App Home, called directly: what waits on me, my requests, my holdovers and my contact SLAs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from bot.approvals import service as approvals
from bot.approvals.engine import Verdict
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


@contextmanager
def reads(deps: Deps) -> Iterator[dict[str, list[str]]]:
    """The transactions begun and the SELECTs run meanwhile, on every engine of `deps.db`."""
    seen: dict[str, list[str]] = {"sessions": [], "selects": []}

    def began(_conn: Any) -> None:
        seen["sessions"].append("begin")

    def executed(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        if sql.lstrip().upper().startswith("SELECT"):
            seen["selects"].append(" ".join(sql.split())[:120])

    engines = {deps.db.engine.sync_engine, deps.db.read_engine.sync_engine}
    for engine in engines:
        event.listen(engine, "begin", began)
        event.listen(engine, "before_cursor_execute", executed)
    try:
        yield seen
    finally:
        for engine in engines:
            event.remove(engine, "begin", began)
            event.remove(engine, "before_cursor_execute", executed)


async def test_a_home_is_read_in_one_session_with_a_query_per_list_not_per_row(wired: Deps) -> None:
    """Ben's Home with something in every part: four requests of his, a decision, a request waiting on him,
    a holdover and an SLA. One read session, and a fixed number of statements however many rows: each
    list, the accounts its rows are about, the directory's version (the people cache's key)."""

    async def claim(requester: str, account_id: str) -> ownership.Claimed:
        claimed = await ownership.claim(
            wired, requester_id=requester, account_id=account_id, new_owner_id=requester, reason=""
        )
        assert isinstance(claimed, ownership.Claimed)
        return claimed

    for account in ("A-VANDELAY", "A-ACME", "A-UMBRELLA", "A-INITECH-UK"):  # two applied, two pending
        await claim("U0AE2", account)
    hooli = await claim("U0AE1", "A-HOOLI")
    [step] = [r["step_id"] for r in (await service.home(wired, "U0AE2")).overview.waiting]
    await approvals.decide(
        wired,
        request_id=hooli.request_id,
        step_id=step,
        actor="U0AE2",
        verdict=Verdict.REJECT,
        reason="Not yet",
    )
    await claim("U0AE1", "A-HOOLI")  # asks again
    await sla.log_request(
        wired, logger_id="U0SDR1", account_id="A-TINY", kind="contact-us", received_at=wired.clock(), note=""
    )
    with reads(wired) as seen:
        bens = await service.home(wired, "U0AE2")
    lists = (bens.overview.waiting, bens.overview.mine, bens.overview.decided)
    assert [len(rows) for rows in lists] == [1, 4, 1]
    assert bens.holdovers.incoming and [s["account"] for s in bens.slas] == ["Tiny Widgets"]
    assert len(seen["sessions"]) == 1, seen
    assert len(seen["selects"]) <= 9, "\n".join(seen["selects"])
