"""The reassignment escalation chain on the approval engine (Rules of Engagement 4, 6, 7, 11, 13).

The pure state machine is bot/handbook/escalation.py; the request's payload holds its EscalationState,
the people in each part and the managers' votes. Each human step is an engine step: the global owner's
decision, the territory rep's accept/disagree, the managers (all must agree), the CRO. A transfer decided by
any path goes through bot/features/ownership/service.py apply_transfer (owner change, both owners told,
holdovers recorded).

common: the people and stored state; requests: the use-cases; flow: what a settled step means;
steps: advancing the chain (next step, transfer, announcements, the dated apply job).
"""

from bot.features.escalations.common import (
    APPLY_JOB,
    CRO,
    GLOBAL,
    KIND,
    MANAGERS,
    REP,
    TIME_FRAME,
    Opened,
    considerations,
    stand_alone_reasons,
)
from bot.features.escalations.flow import EscalationFlow
from bot.features.escalations.requests import (
    EscalationForm,
    escalate,
    form,
    give_reason,
    hand_off,
    propose_date,
)
from bot.features.escalations.steps import apply_on_date

__all__ = [
    "APPLY_JOB",
    "CRO",
    "GLOBAL",
    "KIND",
    "MANAGERS",
    "REP",
    "TIME_FRAME",
    "EscalationFlow",
    "EscalationForm",
    "Opened",
    "apply_on_date",
    "considerations",
    "escalate",
    "form",
    "give_reason",
    "hand_off",
    "propose_date",
    "stand_alone_reasons",
]
