"""Response and resolution times: per-sample extraction and the DurationSummary."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from socialcare._conversation import Conversation
from socialcare._errors import InvalidInputError
from socialcare.metrics._columns import BusinessClock, Columns, as_columns
from socialcare.metrics._stats import GroupDurations, group_durations

__all__ = [
    "DurationMetric",
    "DurationSummary",
    "Samples",
    "first_response_time",
    "next_response_time",
    "reply_wait_time",
    "samples",
    "summaries",
    "time_to_resolution",
]

DurationMetric = Literal[
    "first_response_time", "next_response_time", "reply_wait_time", "time_to_resolution"
]
DURATION_METRICS: tuple[DurationMetric, ...] = (
    "first_response_time",
    "next_response_time",
    "reply_wait_time",
    "time_to_resolution",
)
IntArray = npt.NDArray[np.int64]


def _td(value: float) -> timedelta | None:
    if value != value:  # NaN: no samples
        return None
    return timedelta(microseconds=int(np.rint(value)))


@dataclass(frozen=True, slots=True)
class DurationSummary:
    """Summary of measured durations, with the items not measured counted, not dropped.

    ``count`` items were measured; ``pending`` items still wait for their end event (a reply,
    a resolution) and are excluded from the statistics; ``excluded`` items cannot have one
    (no customer post, or no reply needed and none given). Every statistic is ``None`` when
    ``count`` is 0, never a zero duration. Quantiles interpolate linearly between ranks (numpy
    and pandas' default); means are rounded to the microsecond.
    """

    count: int
    mean: timedelta | None
    median: timedelta | None
    p90: timedelta | None
    p95: timedelta | None
    min: timedelta | None
    max: timedelta | None
    pending: int
    excluded: int

    @classmethod
    def from_stats(
        cls, stats: GroupDurations, pending: IntArray, excluded: IntArray
    ) -> list[DurationSummary]:
        """One summary per group of vectorised statistics (converted in bulk, not per value)."""

        def deltas(values: npt.NDArray[np.float64]) -> list[timedelta | None]:
            # NaN -> NaT -> None; everything else rounds to the microsecond.
            out: list[timedelta | None] = np.rint(values).astype("timedelta64[us]").tolist()
            return out

        return [
            cls(int(c), mean, median, p90, p95, low, high, int(p), int(e))
            for c, mean, median, p90, p95, low, high, p, e in zip(
                stats.count.tolist(),
                deltas(stats.mean),
                deltas(stats.median),
                deltas(stats.p90),
                deltas(stats.p95),
                deltas(stats.minimum),
                deltas(stats.maximum),
                pending.tolist(),
                excluded.tolist(),
                strict=True,
            )
        ]


@dataclass(frozen=True, slots=True)
class Samples:
    """The measured durations (microseconds) of one metric and which conversation each has."""

    values: IntArray
    conv: IntArray
    pending_conv: IntArray
    excluded_conv: IntArray


def _elapsed(
    starts: npt.NDArray[np.datetime64],
    ends: npt.NDArray[np.datetime64],
    window: BusinessClock | None,
) -> IntArray:
    if window is None:
        return (ends - starts).astype("timedelta64[us]").view(np.int64)
    if len(starts) == 0:
        return np.zeros(0, dtype=np.int64)
    if not callable(getattr(window, "elapsed_many", None)):
        raise InvalidInputError(
            f"window must have elapsed_many(starts, ends) (a socialcare.ServiceWindow), got "
            f"{type(window).__name__}"
        )
    result = window.elapsed_many(starts, ends)
    array = np.asarray(result)
    if array.dtype.kind != "m":
        array = np.array(list(result), dtype="timedelta64[us]")
    if array.shape != starts.shape:
        raise InvalidInputError("window.elapsed_many returned a result of the wrong length")
    return array.astype("timedelta64[us]").view(np.int64)


def _split(
    starts: npt.NDArray[np.datetime64],
    ends: npt.NDArray[np.datetime64],
    conv: IntArray,
    waiting: npt.NDArray[np.bool_],
    window: BusinessClock | None,
) -> Samples:
    """Measure where both instants exist; the rest is pending (``waiting``) or excluded."""
    done = ~np.isnat(starts) & ~np.isnat(ends)
    values = _elapsed(starts[done], ends[done], window)
    measured_conv = conv[done]
    negative = values < 0  # an end before its start: inconsistent input, not a duration
    not_done = ~done
    pending = not_done & waiting
    excluded = not_done & ~waiting
    return Samples(
        values=values[~negative],
        conv=measured_conv[~negative],
        pending_conv=conv[pending],
        excluded_conv=np.concatenate([conv[excluded], measured_conv[negative]]),
    )


def samples(
    cols: Columns,
    metric: DurationMetric,
    *,
    window: BusinessClock | None = None,
    include_automated: bool = False,
) -> Samples:
    """The measured durations of ``metric`` over columns (see `first_response_time`)."""
    needs = cols.needs_reply
    if metric == "first_response_time":
        rows = np.arange(len(cols), dtype=np.int64)
        return _split(
            cols.first_customer_at,
            cols.response_at(include_automated=include_automated),
            rows,
            needs,
            window,
        )
    if metric == "time_to_resolution":
        rows = np.arange(len(cols), dtype=np.int64)
        return _split(cols.first_customer_at, cols.resolved_at, rows, needs, window)
    if metric not in ("next_response_time", "reply_wait_time"):
        raise InvalidInputError(
            f"unknown duration metric {metric!r}; use one of {DURATION_METRICS}"
        )
    turns = cols.turns(include_automated=include_automated)
    keep = ~turns.is_first if metric == "next_response_time" else np.ones(len(turns.conv), bool)
    conv = turns.conv[keep]
    return _split(turns.customer_at[keep], turns.reply_at[keep], conv, needs[conv], window)


def summaries(
    cols: Columns,
    metric: DurationMetric,
    groups: IntArray,
    n_groups: int,
    *,
    window: BusinessClock | None = None,
    include_automated: bool = False,
) -> list[DurationSummary]:
    """One summary per group code (``groups`` gives each conversation's group)."""
    found = samples(cols, metric, window=window, include_automated=include_automated)
    stats = group_durations(found.values, groups[found.conv], n_groups)
    pending = np.bincount(groups[found.pending_conv], minlength=n_groups)
    excluded = np.bincount(groups[found.excluded_conv], minlength=n_groups)
    return DurationSummary.from_stats(stats, pending, excluded)


def _one(
    source: Columns | Iterable[Conversation],
    metric: DurationMetric,
    window: BusinessClock | None,
    include_automated: Any,
) -> DurationSummary:
    if not isinstance(include_automated, bool):
        raise InvalidInputError(
            f"include_automated must be True or False, got {include_automated!r}"
        )
    cols = as_columns(source)
    groups = np.zeros(len(cols), dtype=np.int64)
    return summaries(cols, metric, groups, 1, window=window, include_automated=include_automated)[0]


def first_response_time(
    conversations: Columns | Iterable[Conversation],
    *,
    window: BusinessClock | None = None,
    include_automated: bool = False,
) -> DurationSummary:
    """Time from the first customer post to the brand's first reply, one per conversation.

    Start: the first customer post. End: the first brand post after it by a person (also by
    automation with ``include_automated=True``). Unanswered conversations that need a reply
    are ``pending``; unanswered ones that do not (route ``"none"``) and conversations without
    a customer post are ``excluded``. With ``window`` the time is business time. Zendesk's
    first reply time (bots excluded, null until both events) in spirit; see docs/metrics.md.

    >>> from socialcare.metrics import from_columns
    >>> import numpy as np
    >>> cols = from_columns(
    ...     first_customer_at=np.array(["2024-05-01T09:00"] * 3, "M8[us]"),
    ...     first_response_at=np.array(["2024-05-01T09:10", "2024-05-01T09:30", "NaT"], "M8[us]"))
    >>> s = first_response_time(cols)
    >>> s.count, str(s.median), s.pending
    (2, '0:20:00', 1)
    """
    return _one(conversations, "first_response_time", window, include_automated)


def next_response_time(
    conversations: Columns | Iterable[Conversation],
    *,
    window: BusinessClock | None = None,
    include_automated: bool = False,
) -> DurationSummary:
    """Time from each later customer turn to the brand's reply to it, one per turn.

    A turn is the first customer post after a brand reply; the first turn of a conversation is
    left out (that is the first response time). Counts are turns, not conversations; a last
    turn still unanswered is ``pending``.
    """
    return _one(conversations, "next_response_time", window, include_automated)


def reply_wait_time(
    conversations: Columns | Iterable[Conversation],
    *,
    window: BusinessClock | None = None,
    include_automated: bool = False,
) -> DurationSummary:
    """How long customers waited for each reply: every turn, the first one included.

    It is the union of first and next response times, one sample per customer turn, so a
    conversation with many back-and-forths weighs more than in `first_response_time`.
    """
    return _one(conversations, "reply_wait_time", window, include_automated)


def time_to_resolution(
    conversations: Columns | Iterable[Conversation],
    *,
    window: BusinessClock | None = None,
    include_automated: bool = False,
) -> DurationSummary:
    """Time from the first customer post to the latest resolution, for resolved conversations.

    A conversation reopened and not resolved again is ``pending`` (when it needs a reply),
    like one never resolved. ``include_automated`` is accepted for a uniform signature; it does
    not change this metric.
    """
    return _one(conversations, "time_to_resolution", window, include_automated)
