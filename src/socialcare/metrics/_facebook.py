"""Facebook's "very responsive" badge check over a trailing seven days."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from socialcare._conversation import Conversation
from socialcare._errors import InvalidInputError, TimezoneError
from socialcare.metrics._columns import BusinessClock, Columns, as_columns
from socialcare.metrics._durations import _td
from socialcare.metrics._rates import Rate

__all__ = ["FacebookResponsiveness", "facebook_responsiveness"]

_TRAILING = timedelta(days=7)
_TARGET = timedelta(minutes=15)
_RATE_TARGET = 0.9


@dataclass(frozen=True, slots=True)
class FacebookResponsiveness:
    """The two figures behind Facebook's "very responsive" badge, and the verdict.

    ``messages``: customer turns received in ``[now - 7 days, now)`` during open hours;
    ``away``: turns in that span received in away hours (not counted anywhere else);
    ``response_rate``: turns answered before ``now`` out of ``messages``;
    ``mean_response_time`` / ``median_response_time``: over the answered turns;
    ``within_target``: answered turns answered within 15 minutes;
    ``very_responsive``: response rate >= 90% and mean response time <= 15 minutes
    (``None`` when there were no messages to judge).
    """

    messages: int
    away: int
    response_rate: Rate
    mean_response_time: timedelta | None
    median_response_time: timedelta | None
    within_target: int
    very_responsive: bool | None


def facebook_responsiveness(
    conversations: Columns | Iterable[Conversation],
    *,
    now: datetime,
    open_hours: BusinessClock | None = None,
    include_automated: bool = False,
) -> FacebookResponsiveness:
    """Check the "very responsive" badge: 90% of messages answered, answers within 15 minutes.

    A message is a customer turn (the first customer post after a brand reply), counted when
    received in the seven days before ``now``. With ``open_hours`` (a service window such as
    ``socialcare.ServiceWindow``), turns received while it is closed are away-hours messages and
    are not counted at all. A reply after ``now`` does not count (the turn is unanswered as of
    ``now``). Automated replies (instant replies, away messages) do not count unless
    ``include_automated=True``. Response times are calendar time. Pass the conversations of the
    Page's messages (Messenger), not its public comments, to match Facebook's figure.

    >>> from socialcare.metrics import from_columns
    >>> from datetime import datetime, timezone
    >>> import numpy as np
    >>> t = np.array(["2024-05-06T09:00", "2024-05-06T10:00"], "M8[us]")
    >>> cols = from_columns(first_customer_at=t, exchange_conv=[0, 1], exchange_customer_at=t,
    ...     exchange_reply_at=np.array(["2024-05-06T09:05", "2024-05-06T10:20"], "M8[us]"))
    >>> r = facebook_responsiveness(cols, now=datetime(2024, 5, 7, tzinfo=timezone.utc))
    >>> r.messages, str(r.mean_response_time), r.very_responsive
    (2, '0:12:30', True)
    """
    if not isinstance(now, datetime):
        raise InvalidInputError(f"now must be an aware datetime, got {type(now).__name__}")
    if now.tzinfo is None or now.utcoffset() is None:
        raise TimezoneError("now must be an aware datetime (for example tzinfo=timezone.utc)")
    if not isinstance(include_automated, bool):
        raise InvalidInputError("include_automated must be True or False")
    cols = as_columns(conversations)
    turns = cols.turns(include_automated=include_automated)
    end = np.datetime64(now.replace(tzinfo=None) - (now.utcoffset() or timedelta(0)), "us")
    start = end - np.timedelta64(_TRAILING)
    in_span = (turns.customer_at >= start) & (turns.customer_at < end)
    received = turns.customer_at[in_span]
    replies = turns.reply_at[in_span]
    away = np.zeros(len(received), dtype=bool)
    if open_hours is not None and len(received):
        if not callable(getattr(open_hours, "elapsed_many", None)):
            raise InvalidInputError("open_hours must have elapsed_many(starts, ends)")
        probe = np.asarray(
            open_hours.elapsed_many(received, received + np.timedelta64(1, "s"))
        ).astype("timedelta64[us]")
        away = probe <= np.timedelta64(0, "us")
    counted = ~away
    answered = counted & ~np.isnat(replies) & (replies < end)
    waits = (replies[answered] - received[answered]).astype("timedelta64[us]").view(np.int64)
    messages = int(counted.sum())
    rate = Rate.of(int(answered.sum()), messages)
    mean = _td(float(waits.mean())) if len(waits) else None
    median = _td(float(np.median(waits))) if len(waits) else None
    verdict: bool | None = None
    if messages:
        verdict = (
            rate.value is not None
            and rate.value >= _RATE_TARGET
            and mean is not None
            and mean <= _TARGET
        )
    return FacebookResponsiveness(
        messages=messages,
        away=int(away.sum()),
        response_rate=rate,
        mean_response_time=mean,
        median_response_time=median,
        within_target=int((waits <= _TARGET // timedelta(microseconds=1)).sum()),
        very_responsive=verdict,
    )
