"""The use-cases, one package per feature. `wire(deps)` registers every feature's approval flow, timed jobs
and outbox builders on `deps`; the app factory calls it before the Slack surface (handlers/) is wired, so
a flow's buttons work and its jobs run in any process that builds the app."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from sqlalchemy.exc import SQLAlchemyError

if TYPE_CHECKING:
    from bot.deps import Deps
    from bot.features.glossary.service import GlossaryService

log = logging.getLogger(__name__)

GLOSSARY = "glossary.service"  # deps.state key: the process's glossary index, shared by answers and the flow


def wire(deps: Deps) -> None:
    from bot.features import escalations
    from bot.features.glossary.service import GlossaryService
    from bot.features.glossary.suggestions import SuggestionFlow
    from bot.features.holdovers import service as holdovers
    from bot.features.home import service as home
    from bot.features.ownership import service as ownership
    from bot.features.reviews import service as reviews
    from bot.features.salesforce import jobs as salesforce
    from bot.features.sla import service as sla
    from bot.features.sponsorship import service as sponsorship

    glossary = deps.state[GLOSSARY] = GlossaryService(deps)
    deps.flows.update(
        {
            ownership.KIND: ownership.OwnershipFlow(),
            escalations.KIND: escalations.EscalationFlow(),
            holdovers.KIND: holdovers.ExtensionFlow(),
            reviews.KIND: reviews.ReviewFlow(),
            sponsorship.KIND: sponsorship.SponsorshipFlow(),
            SuggestionFlow.kind: SuggestionFlow(glossary),
        }
    )
    deps.jobs.update(
        {
            escalations.APPLY_JOB: escalations.apply_on_date,
            reviews.OPEN_JOB: reviews.open_queued_step,
            reviews.APPLY_JOB: reviews.apply_at_q1,
            sponsorship.REMIND_JOB: sponsorship.remind_before_end,
            sponsorship.END_JOB: sponsorship.end,
            sla.REMIND_JOB: sla.remind,
            sla.ESCALATE_JOB: sla.escalate,
        }
    )
    holdovers.register_jobs(deps)
    deps.startup.append(warm_directory)
    home.register(deps)  # App Home refreshes are built when the outbox sends them, in every process
    salesforce.wire(deps)  # only when Salesforce is configured


async def warm_directory(deps: Deps) -> None:
    """The look-ups' read cache, read before the process serves (DirectoryCache.warm). A database that
    doesn't answer yet only delays it: the first look-up reads it then, as before."""
    try:
        await deps.directory.warm(deps.db)
    except SQLAlchemyError:
        log.warning("could not read the directory at start-up; the first look-up will", exc_info=True)


def glossary_service(deps: Deps) -> GlossaryService:
    return deps.state[GLOSSARY]
