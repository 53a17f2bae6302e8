"""Automation metrics: conversations answered by automation alone, time to acknowledgement.

The first human response is measured apart from automatic replies by `first_response_time`
(its default, ``include_automated=False``); these two measure the automatic side.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from socialcare._conversation import Conversation
from socialcare.metrics._columns import BusinessClock, Columns, as_columns
from socialcare.metrics._durations import DurationSummary, _split
from socialcare.metrics._rates import Rate, check_zero_division
from socialcare.metrics._stats import group_durations

__all__ = ["automation_rate", "time_to_acknowledgement"]


def automation_rate(
    conversations: Columns | Iterable[Conversation], *, zero_division: float | None = None
) -> Rate:
    """Share of conversations needing a reply that automation answered, with no person needed.

    Denominator: conversations with a customer post whose route is not ``"none"`` (as for
    `reply_rate`). Numerator: those with an automated brand reply, no human one, and either
    routed ``"auto"`` or resolved. A conversation waiting for a person after an automatic
    acknowledgement is not "answered automatically".

    >>> import numpy as np
    >>> from socialcare.metrics import from_columns
    >>> at = np.array(["2024-05-01T09:00"] * 3, "M8[us]")
    >>> cols = from_columns(
    ...     first_customer_at=at,
    ...     first_response_at=np.array(["2024-05-01T09:01", "2024-05-01T09:02", "NaT"], "M8[us]"),
    ...     first_human_response_at=np.array(["NaT", "2024-05-01T09:02", "NaT"], "M8[us]"),
    ...     route=["auto", "agent", "agent"])
    >>> automation_rate(cols)
    Rate(numerator=1, denominator=3, value=0.3333333333333333)
    """
    policy = check_zero_division(zero_division)
    cols = as_columns(conversations)
    needs = cols.needs_reply
    automated_only = ~np.isnat(cols.first_response_at) & np.isnat(cols.first_human_response_at)
    done = (cols.route.codes == cols.route.code_of("auto")) | ~np.isnat(cols.resolved_at)
    automated_only &= done
    return Rate.of(int((needs & automated_only).sum()), int(needs.sum()), zero_division=policy)


def time_to_acknowledgement(
    conversations: Columns | Iterable[Conversation], *, window: BusinessClock | None = None
) -> DurationSummary:
    """From the first customer post to the first brand reply, when that reply was automated.

    Measures the instant acknowledgement. Conversations whose first brand reply came from a
    person have no acknowledgement and count as ``excluded``; those still waiting for any
    reply count as ``pending``. Calendar time, or business time in ``window``.

    >>> import numpy as np
    >>> from socialcare.metrics import from_columns
    >>> cols = from_columns(
    ...     first_customer_at=np.array(["2024-05-01T09:00", "2024-05-01T10:00"], "M8[us]"),
    ...     first_response_at=np.array(["2024-05-01T09:00:05", "2024-05-01T10:09"], "M8[us]"),
    ...     first_human_response_at=np.array(["2024-05-01T09:20", "2024-05-01T10:09"], "M8[us]"))
    >>> summary = time_to_acknowledgement(cols)
    >>> summary.count, str(summary.median), summary.excluded
    (1, '0:00:05', 1)
    """
    cols = as_columns(conversations)
    first = cols.first_response_at
    human = cols.first_human_response_at
    automated_first = ~np.isnat(first) & (np.isnat(human) | (first < human))
    ends = np.where(automated_first, first, np.datetime64("NaT", "us"))
    waiting = cols.needs_reply & np.isnat(first)
    rows = np.arange(len(cols), dtype=np.int64)
    found = _split(cols.first_customer_at, ends, rows, waiting, window)
    groups = np.zeros(len(cols), dtype=np.int64)
    stats = group_durations(found.values, groups[found.conv], 1)
    pending = np.bincount(groups[found.pending_conv], minlength=1)
    excluded = np.bincount(groups[found.excluded_conv], minlength=1)
    return DurationSummary.from_stats(stats, pending, excluded)[0]
