"""Queue order: which conversation a person should pick up first, as one sort key."""

from __future__ import annotations

import math
from datetime import datetime

from socialcare._errors import InvalidInputError
from socialcare._sla._policy import SLAReport, SLAState
from socialcare._time import parse_timestamp
from socialcare._triage._decision import PRIORITY_RANK, Decision

__all__ = ["queue_key"]

_RUNNING = (SLAState.PENDING, SLAState.AT_RISK, SLAState.BREACHED)


def queue_key(
    decision: Decision,
    sla: SLAReport | None = None,
    *,
    now: datetime | None = None,
    waiting_since: datetime | None = None,
) -> tuple[float, ...]:
    """A sort key for a work queue: ``sorted(items, key=...)`` puts the most urgent first.

    The order, each step breaking the ties of the one before:

    1. **priority**: urgent, high, normal, low, then posts without one (the brand's own);
    2. **SLA time left**: the running clock (first response, next response or resolution)
       nearest its due time, overdue ones first (by how long overdue); without ``sla`` or
       with no running clock, after every post that has one;
    3. **influence**: influencers first;
    4. **wait**: the earlier ``waiting_since``, the sooner; without it, last.

    Args:
        sla: the conversation's clocks (``SLAPolicy.evaluate``); needs ``now``.
        now: the instant the queue is sorted at (aware).
        waiting_since: when the customer's open turn began (aware), e.g.
            ``conversation.timeline.first_customer_at``.

    >>> from socialcare import Decision
    >>> def d(priority, influencer=False):
    ...     return Decision(route="agent", intent="query", confidence=0.9, uncertain=False,
    ...                     priority=priority, sensitive=None, sentiment="neutral",
    ...                     take_private=False, influencer=influencer, reasons=())
    >>> queue = [d("normal"), d("urgent"), d("normal", influencer=True), d("low")]
    >>> [(x.priority, x.influencer) for x in sorted(queue, key=queue_key)]
    [('urgent', False), ('normal', True), ('normal', False), ('low', False)]
    """
    if not isinstance(decision, Decision):
        raise InvalidInputError(f"queue_key takes a Decision, got {type(decision).__name__}")
    left = math.inf
    if sla is not None:
        if not isinstance(sla, SLAReport):
            raise InvalidInputError(f"sla must be an SLAReport, got {type(sla).__name__}")
        if now is None:
            raise InvalidInputError("queue_key needs now= (an aware datetime) to read SLA clocks")
        at = parse_timestamp(now)
        for result in sla.results:
            if result.state in _RUNNING and result.stopped_at is None and result.due_at is not None:
                left = min(left, (result.due_at - at).total_seconds())
    waited = math.inf
    if waiting_since is not None:
        waited = parse_timestamp(waiting_since).timestamp()
    return (
        -float(PRIORITY_RANK[decision.priority]),
        left,
        0.0 if decision.influencer else 1.0,
        waited,
    )
