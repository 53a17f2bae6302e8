"""The compiled interval engine behind a service window.

All arithmetic runs on integer microseconds since the Unix epoch in UTC. The local rules of a
window (openings by weekday, holidays) are turned into a sorted array of UTC open intervals
and a running total of open time, built lazily for the range of dates a query needs and
extended on demand. Business time up to an instant is then one binary search; a whole array
of instants is answered with a bucket table (`_Lookup`) and no per-item Python loop.
"""

from __future__ import annotations

import threading
from bisect import bisect_left, bisect_right
from collections.abc import Container
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from functools import cached_property
from typing import TYPE_CHECKING, Any

from socialcare import _compat
from socialcare._errors import InvalidInputError
from socialcare._sla._hours import Openings
from socialcare._time import resolve_timezone

if TYPE_CHECKING:  # numpy is imported when a window first computes, not with socialcare
    import numpy as np
    import numpy.typing as npt

    Int64Array = npt.NDArray[np.int64]

UTC = timezone.utc
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_NAIVE = datetime(1970, 1, 1)
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_ONE_US = timedelta(microseconds=1)
_MIN_US = 60_000_000
_DAY_US = 86_400_000_000
_DAY_MIN = 1440
_NEG_INF = -(2**62)
_POS_INF = 2**62
_NAT = -(2**63)  # numpy's NaT as int64
# Local dates the engine can work with (datetime's range, with room for the two-day look-back).
_FIRST_DAY = date(1, 1, 4).toordinal() - _EPOCH_ORDINAL
_LAST_DAY = date(9999, 12, 28).toordinal() - _EPOCH_ORDINAL
# UTC instants the batch methods compute for (a day inside those dates, whatever the zone);
# a row outside, or whose due time falls outside, gives NaT instead of sinking the batch.
_BATCH_LO = (_FIRST_DAY + 1) * _DAY_US
_BATCH_HI = (_LAST_DAY - 1) * _DAY_US
# datetime.max as microseconds since the epoch: the latest instant 24/7 arithmetic gives.
_MAX_US = (datetime.max.replace(tzinfo=UTC) - _EPOCH) // _ONE_US
# Build at least this many days around the first instant asked about, and grow by at least
# this much when a query falls outside: few rebuilds, small arrays.
_MARGIN_DAYS = 400
# A window keeps at most two spans (the one most queries fall in and one for the latest
# elsewhere), each of at most this many days (about 41 years): a far-off instant (a typo'd
# year 9999) is answered from a span of its own instead of widening the kept one to millennia.
# Wider spans (a search for the next opening that runs for years) are built for the call only.
_CACHE_DAYS = 15_000
# Instants further apart than this are not answered from one span: batches are cut into groups
# this wide, and business time across a longer stretch is summed stretch by stretch.
_CHUNK_US = (_CACHE_DAYS - 1000) * _DAY_US
# A forward search that finds no open time in this many days gives up instead of looping.
_GIVE_UP_DAYS = 3660


class _BeyondRangeError(InvalidInputError):
    """A result lies past the last date the engine handles (the end of the year 9999)."""


def _from_us(value: int) -> datetime:
    try:
        return _EPOCH + timedelta(0, value // 1_000_000, value % 1_000_000)
    except OverflowError:
        raise InvalidInputError(
            "the result is outside the range of datetime (years 1 to 9999)"
        ) from None


# Local wall time to UTC ----------------------------------------------------------------------


class _ZoneClock:
    """Turns local wall times of one zone into UTC instants, vectorised.

    A wall time ``w`` maps to the first instant at which the local clock shows ``w`` or later:
    in a fold (a wall time shown twice) that is the first occurrence; in a gap (a wall time
    skipped when clocks go forward) it is the instant the clocks jump, the first instant after
    the gap. The map never decreases, so openings that do not overlap on the wall clock never
    overlap in UTC.
    """

    __slots__ = ("local_ends", "offsets", "starts")

    def __init__(self, name: str) -> None:
        import numpy as np

        tz = resolve_timezone(name)
        transitions = _compat.utc_transitions(tz)
        if transitions is not None:
            times, infos = transitions
            starts = [_NEG_INF] + [(t - _EPOCH_NAIVE) // _ONE_US for t in times[1:]]
            offsets = [info[0] // _ONE_US for info in infos]
        else:
            offset = tz.utcoffset(datetime(2000, 1, 1))
            starts, offsets = [_NEG_INF], [(offset or timedelta(0)) // _ONE_US]
        self.starts: Int64Array = np.array(starts, dtype=np.int64)
        self.offsets: Int64Array = np.array(offsets, dtype=np.int64)
        # The local clock reading at the end of each period (exclusive).
        ends = np.append(self.starts[1:], _POS_INF)
        self.local_ends: Int64Array = ends + self.offsets
        # Real zones change offset by hours, months apart: the readings keep increasing.
        self.local_ends = np.maximum.accumulate(self.local_ends)

    def to_utc(self, wall: Int64Array) -> Int64Array:
        import numpy as np

        period = np.searchsorted(self.local_ends, wall, side="right")
        result: Int64Array = np.maximum(self.starts[period], wall - self.offsets[period])
        return result


# The open intervals ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Span:
    """The open intervals (UTC microseconds) of a window, exact for instants in [lo, hi]."""

    first_day: int
    end_day: int
    lo: int
    hi: int
    starts: Int64Array
    ends: Int64Array
    before: Int64Array  # open time before each interval (from an arbitrary origin)
    after: Int64Array  # open time up to the end of each interval
    starts_list: list[int]
    ends_list: list[int]
    before_list: list[int]
    after_list: list[int]

    def business(self, at: int) -> int:
        index = bisect_right(self.starts_list, at) - 1
        if index < 0:
            return 0
        return self.before_list[index] + min(at, self.ends_list[index]) - self.starts_list[index]

    @cached_property
    def columns(self) -> _Columns:
        """The arrays the batch forms read, built on their first use."""
        return _Columns(self.starts, self.ends, self.before, self.after)

    def business_many(self, at: Int64Array) -> Int64Array:
        """Open time up to each instant (in the span's origin), for instants in [lo, hi]."""
        import numpy as np

        columns = self.columns
        index = columns.starts.right(at)
        result: Int64Array = columns.origin_before[index] + np.minimum(
            at, columns.ends_before[index]
        )
        return result

    def open_many(self, at: Int64Array) -> npt.NDArray[np.bool_]:
        """Whether the window is open at each instant, for instants in [lo, hi]."""
        columns = self.columns
        result: npt.NDArray[np.bool_] = at < columns.ends_before[columns.starts.right(at)]
        return result


class _Columns:
    """The open intervals laid out for branch-free batch lookups.

    ``*_before`` arrays hold a sentinel interval at position 0 (before every instant: it ends
    at ``_NEG_INF`` and has no open time), so that ``array[count of starts <= t]`` is the
    interval at or before ``t``; ``*_after`` arrays hold one past the last interval (it starts
    at ``_POS_INF``), so that ``array[count of intervals whose running total is below a
    target]`` always exists.
    """

    __slots__ = ("after", "ends_before", "origin_after", "origin_before", "starts", "starts_after")

    def __init__(
        self, starts: Int64Array, ends: Int64Array, before: Int64Array, after: Int64Array
    ) -> None:
        import numpy as np

        origin = before - starts  # open time at t inside interval i is origin[i] + t
        self.starts = _Lookup(starts)
        self.after = _Lookup(after)
        self.ends_before: Int64Array = np.concatenate(([_NEG_INF], ends))
        self.origin_before: Int64Array = np.concatenate(([-_NEG_INF], origin))
        self.starts_after: Int64Array = np.concatenate((starts, [_POS_INF]))
        self.origin_after: Int64Array = np.concatenate((origin, [0]))


# Sorted-array lookups -------------------------------------------------------------------------

# A bucket table is used when no bucket holds more than this many values (else binary search).
_MAX_STEPS = 4


class _Lookup:
    """``numpy.searchsorted(values, x, side="right")`` for many ``x``, on sorted int64 values.

    Binary search takes a hard-to-predict branch at each of its dozen levels, which costs more
    than the rest of a batch put together on instants in random order. Instead, the line is cut
    into buckets of ``2**shift`` microseconds, sized so that each holds a few values at most;
    a table gives the number of values before each bucket, and ``steps`` branch-free passes
    (one gather and one comparison each) count the values of ``x``'s bucket that are ``<= x``.
    Values too clustered for a small table keep ``numpy.searchsorted``.
    """

    __slots__ = ("first", "padded", "shift", "steps", "table", "values")

    def __init__(self, values: Int64Array) -> None:
        import numpy as np

        self.values = values
        self.padded: Int64Array = np.concatenate((values, [np.iinfo(np.int64).max]))
        self.table: Int64Array | None = None
        self.first = self.shift = self.steps = 0
        count = len(values)
        if count < 2 or values[-1] == values[0]:
            return
        shift = max((int(values[-1] - values[0]) // count).bit_length() - 1, 0)
        while True:
            buckets = values >> shift
            first = int(buckets[0])
            steps = int(np.bincount(buckets - first).max())
            if steps <= _MAX_STEPS:
                break
            width = (int(values[-1]) >> (shift - 1)) - (int(values[0]) >> (shift - 1)) + 1
            if shift == 0 or width > 8 * count:
                return  # clustered: a table fine enough would be too large
            shift -= 1
        edges = np.arange(first, int(buckets[-1]) + 1, dtype=np.int64) << shift
        self.table = np.searchsorted(values, edges, side="left")
        self.first, self.shift, self.steps = first, shift, steps

    def right(self, x: Int64Array) -> Int64Array:
        """How many values are ``<= x``, for each ``x``."""
        import numpy as np

        table = self.table
        if table is None:
            found: Int64Array = np.searchsorted(self.values, x, side="right")
            return found
        bucket = np.clip((x >> self.shift) - self.first, 0, len(table) - 1)
        index: Int64Array = table[bucket]
        padded = self.padded
        for _ in range(self.steps):
            index += padded[index] <= x
        return index


def _widen(span: _Span, first: int, end: int) -> tuple[int, int] | None:
    """Local dates for ``span`` widened to cover [first, end), or None past ``_CACHE_DAYS``.

    It grows by at least its own width (few rebuilds for a workload that drifts), less if
    that would pass the cap.
    """
    width = span.end_day - span.first_day
    low, high = min(first, span.first_day), max(end, span.end_day)
    if high - low > _CACHE_DAYS:
        return None
    step = max(width, _MARGIN_DAYS)
    if first < span.first_day:
        low = max(min(low, span.first_day - step), high - _CACHE_DAYS, _FIRST_DAY)
    if end > span.end_day:
        high = min(max(high, span.end_day + step), low + _CACHE_DAYS, _LAST_DAY)
    return low, high


class _Engine:
    """The state and interval arithmetic of a window (`ServiceWindow` is its public face)."""

    __slots__ = (
        "_clock",
        "_holiday_dates",
        "_holiday_lookup",
        "_lock",
        "_never_open",
        "_span",
        "_spare",
        "_week",
        "_zone",
    )

    def __init__(
        self,
        zone: str | None,
        week: tuple[Openings, ...],
        holiday_dates: frozenset[date] = frozenset(),
        holiday_lookup: Container[Any] | None = None,
    ) -> None:
        self._zone = zone
        self._week = week
        self._never_open = zone is not None and not any(week)
        self._holiday_dates = holiday_dates
        self._holiday_lookup = holiday_lookup
        self._lock = threading.Lock()
        self._span: _Span | None = None
        self._spare: _Span | None = None
        self._clock: _ZoneClock | None = None

    def _zone_clock(self) -> _ZoneClock:
        clock = self._clock
        if clock is None:
            assert self._zone is not None
            clock = _ZoneClock(self._zone)
            self._clock = clock
        return clock

    def _is_holiday_mask(self, days: Int64Array) -> npt.NDArray[np.bool_]:
        import numpy as np

        mask = np.zeros(len(days), dtype=bool)
        if self._holiday_dates:
            known = np.array(
                sorted(d.toordinal() - _EPOCH_ORDINAL for d in self._holiday_dates),
                dtype=np.int64,
            )
            mask |= np.isin(days, known)
        lookup = self._holiday_lookup
        if lookup is not None:
            for index, day in enumerate(days.tolist()):
                if date.fromordinal(day + _EPOCH_ORDINAL) in lookup:
                    mask[index] = True
        return mask

    def _build(self, first_day: int, end_day: int) -> _Span:
        """Intervals for local dates [first_day, end_day), exact for UTC instants in [lo, hi]."""
        import numpy as np

        clock = self._zone_clock()
        days = np.arange(first_day - 2, end_day, dtype=np.int64)
        open_days = days[~self._is_holiday_mask(days)]
        weekday = (open_days + 3) % 7  # 1970-01-01 was a Thursday
        wall_starts: list[Int64Array] = []
        wall_ends: list[Int64Array] = []
        for day_index, openings in enumerate(self._week):
            if not openings:
                continue
            base = open_days[weekday == day_index] * _DAY_US
            for start, end in openings:
                wall_starts.append(base + start * _MIN_US)
                wall_ends.append(base + end * _MIN_US)
        if wall_starts:
            all_starts = np.concatenate(wall_starts)
            order = np.argsort(all_starts, kind="stable")
            starts = clock.to_utc(all_starts[order])
            ends = clock.to_utc(np.concatenate(wall_ends)[order])
            keep = ends > starts  # an opening swallowed by a DST gap is empty
            starts, ends = starts[keep], ends[keep]
            if len(starts):
                separate = starts[1:] > ends[:-1]  # merge touching intervals
                starts = starts[np.concatenate(([True], separate))]
                ends = ends[np.concatenate((separate, [True]))]
        else:
            starts = ends = np.empty(0, dtype=np.int64)
        lengths = ends - starts
        after = np.cumsum(lengths)
        before = after - lengths
        bounds = clock.to_utc(np.array([first_day, end_day], dtype=np.int64) * _DAY_US)
        return _Span(
            first_day,
            end_day,
            int(bounds[0]),
            int(bounds[1]),
            starts,
            ends,
            before,
            after,
            starts.tolist(),
            ends.tolist(),
            before.tolist(),
            after.tolist(),
        )

    def _span_for(self, lo: int, hi: int, *, grow_to: int | None = None) -> _Span:
        """A span exact for every instant in [lo, hi] (and reaching local date ``grow_to``).

        A kept span that covers the request answers it. Otherwise the kept span (then the
        spare) is widened if it stays within ``_CACHE_DAYS``; failing both, a span of the
        request alone is built, and kept as the spare only if it is that narrow too.
        """
        need_end = grow_to if grow_to is not None else _FIRST_DAY
        for span in (self._span, self._spare):
            if span is not None and span.lo <= lo and hi <= span.hi and span.end_day >= need_end:
                return span
        with self._lock:
            main, spare = self._span, self._spare
            for span in (main, spare):
                if (
                    span is not None
                    and span.lo <= lo
                    and hi <= span.hi
                    and span.end_day >= need_end
                ):
                    return span
            # Local dates of lo and hi are within a day of their UTC dates (offsets < 24 h).
            first = lo // _DAY_US - 2
            end = hi // _DAY_US + 3
            if grow_to is not None:
                end = max(end, grow_to)
            first, end = max(first, _FIRST_DAY), min(end, _LAST_DAY)
            if lo < first * _DAY_US - _DAY_US or hi > end * _DAY_US + _DAY_US:
                raise InvalidInputError(
                    "instants must lie between the years 1 and 9999 for business-time arithmetic"
                )
            for slot, span in (("_span", main), ("_spare", spare)):
                if span is None:
                    continue
                widened = _widen(span, first, end)
                if widened is not None:
                    built = self._build(*widened)
                    setattr(self, slot, built)
                    return built
            first = max(first - _MARGIN_DAYS, _FIRST_DAY)
            if grow_to is None:
                end = min(end + _MARGIN_DAYS, _LAST_DAY)
            built = self._build(first, end)
            if end - first <= _CACHE_DAYS:
                if main is None:
                    self._span = built
                else:
                    self._spare = built
            return built

    def _elapsed_us(self, start: int, end: int) -> int:
        """Business time from ``start`` to ``end`` (>= start), summed over stretches of at most
        ``_CHUNK_US`` so that no span wider than the cache cap is built."""
        total = 0
        while end - start > _CHUNK_US:
            middle = start + _CHUNK_US
            span = self._span_for(start, middle)
            total += span.business(middle) - span.business(start)
            start = middle
        span = self._span_for(start, end)
        return total + span.business(end) - span.business(start)

    def _grow(self, span: _Span, needed_end_us: int | None = None) -> _Span:
        """Widen ``span`` forward (for additions that run past its end)."""
        if span.end_day >= _LAST_DAY:
            raise _BeyondRangeError("the result lies beyond the year 9999")
        width = span.end_day - span.first_day
        end = span.end_day + max(width, _MARGIN_DAYS)
        if needed_end_us is not None:
            end = max(end, needed_end_us // _DAY_US + 3)
        return self._span_for(span.lo, span.hi, grow_to=min(end, _LAST_DAY))

    def _require_open_sometime(self) -> None:
        if self._never_open:
            raise InvalidInputError(
                f"{self!r} has no opening on any weekday, so no business time ever passes; "
                "give it at least one opening (e.g. {'mon-fri': '09:00-17:00'})"
            )

    def _forward(self, at: int, duration: int, span: _Span) -> tuple[_Span, int, int]:
        """Find where ``duration`` (> 0) of business time after ``at`` is used up.

        Returns the span, the index of the interval the due instant lies in, and the target
        (cumulative business time at the due instant, in the span's origin). Grows the span
        forward as needed; gives up when no open time appears for ``_GIVE_UP_DAYS`` days.
        """
        progress_day, seen = span.end_day, -1
        while True:
            target = span.business(at) + duration
            index = bisect_left(span.after_list, target)
            if index < len(span.starts_list) and span.starts_list[index] < span.hi:
                return span, index, target
            open_after = (span.after_list[-1] if span.after_list else 0) - span.business(at)
            if open_after > seen:
                progress_day, seen = span.end_day, open_after
            elif span.end_day - progress_day > _GIVE_UP_DAYS:
                raise InvalidInputError(
                    f"{self!r} has no opening in the {_GIVE_UP_DAYS} days after "
                    f"{_from_us(at + seen).isoformat()} or so (are all its days holidays?)"
                )
            span = self._grow(span)
