"""Metrics of one conversation, computed straight from its timeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from socialcare._conversation import Conversation
from socialcare._errors import InvalidInputError
from socialcare.metrics._columns import BusinessClock

__all__ = ["ConversationMetrics", "conversation_metrics"]


@dataclass(frozen=True, slots=True)
class ConversationMetrics:
    """The measurable facts of one conversation; a duration is ``None`` until both ends exist.

    ``next_response_times`` has one entry per customer turn after the first: the wait, or
    ``None`` for a turn not answered yet. ``brand_touches`` counts brand posts after the first
    customer post (people only unless automated replies are included).
    """

    id: str
    needs_reply: bool
    first_response_time: timedelta | None
    next_response_times: tuple[timedelta | None, ...]
    time_to_resolution: timedelta | None
    brand_touches: int
    reopened: bool


def _between(
    start: datetime | None, end: datetime | None, window: BusinessClock | None
) -> timedelta | None:
    if start is None or end is None or end < start:
        return None
    if window is None:
        return end - start
    s = np.array([start.replace(tzinfo=None)], dtype="datetime64[us]")
    e = np.array([end.replace(tzinfo=None)], dtype="datetime64[us]")
    value = np.asarray(window.elapsed_many(s, e)).astype("timedelta64[us]")[0]
    return timedelta(microseconds=int(value.astype(np.int64)))


def conversation_metrics(
    conversation: Conversation,
    *,
    window: BusinessClock | None = None,
    include_automated: bool = False,
) -> ConversationMetrics:
    """First and next response times, time to resolution, touches and reopening of one thread.

    >>> from datetime import datetime, timezone
    >>> from socialcare import Author, Conversation, Post
    >>> t = lambda m: datetime(2024, 5, 1, 9, m, tzinfo=timezone.utc)
    >>> ana, acme = Author(id="1"), Author(id="2", is_brand=True)
    >>> c = Conversation(id="c", posts=[
    ...     Post(id="a", platform="x", author=ana, created_at=t(0)),
    ...     Post(id="b", platform="x", author=acme, created_at=t(7)),
    ...     Post(id="c", platform="x", author=ana, created_at=t(10)),
    ... ])
    >>> m = conversation_metrics(c)
    >>> str(m.first_response_time), m.next_response_times, m.brand_touches
    ('0:07:00', (None,), 1)
    """
    if not isinstance(conversation, Conversation):
        raise InvalidInputError(
            f"conversation_metrics takes a Conversation, got {type(conversation).__name__}"
        )
    if not isinstance(include_automated, bool):
        raise InvalidInputError("include_automated must be True or False")
    t = conversation.timeline
    response = t.first_response_at if include_automated else t.first_human_response_at
    turns = t.exchanges if include_automated else t.human_exchanges
    return ConversationMetrics(
        id=conversation.id,
        needs_reply=t.first_customer_at is not None and conversation.route != "none",
        first_response_time=_between(t.first_customer_at, response, window),
        next_response_times=tuple(
            _between(turn.customer_at, turn.reply_at, window) for turn in turns[1:]
        ),
        time_to_resolution=_between(t.first_customer_at, t.resolved_at, window),
        brand_touches=t.brand_touches if include_automated else t.human_touches,
        reopened=bool(t.reopened_at),
    )
