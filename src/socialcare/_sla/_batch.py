"""The batch arithmetic of a service window: every row answered without a per-item loop.

Instants are integer microseconds since the Unix epoch (UTC) in int64 arrays (read by
`socialcare._sla._instants`); ``_NAT`` (numpy's NaT) marks a missing value.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from socialcare._errors import InvalidInputError
from socialcare._sla._instants import _duration_us, _instants_us
from socialcare._sla._intervals import (
    _BATCH_HI,
    _BATCH_LO,
    _CHUNK_US,
    _DAY_US,
    _LAST_DAY,
    _MAX_US,
    _NAT,
    _BeyondRangeError,
    _Engine,
)

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Int64Array = npt.NDArray[np.int64]


# Rows are answered together when they lie this close: a batch that spans more is cut into
# groups (at gaps of over a year, and every _GROUP_US), each answered from a span of its own,
# so that one far-off row never makes the window build (and keep) millennia of intervals.
_GROUP_US = _CHUNK_US
_GAP_US = 366 * _DAY_US


def _groups(lo: Int64Array, hi: Int64Array) -> list[tuple[Int64Array | None, int, int]]:
    """Rows (positions, None for all) to answer together, with the least ``lo`` and greatest
    ``hi`` of each, for rows that need the instants [lo, hi] (``hi`` is ``lo`` for single
    instants); the biggest group first."""
    import numpy as np

    first, last = int(lo.min()), int(hi.max())
    if last - first <= _GROUP_US:
        return [(None, first, last)]
    order = np.argsort(lo, kind="stable")
    ordered = lo[order]
    reach = np.maximum.accumulate(hi[order])
    breaks = np.flatnonzero(ordered[1:] > reach[:-1] + _GAP_US) + 1
    cuts = [*breaks.tolist(), len(order)]
    groups: list[tuple[Int64Array | None, int, int]] = []
    begin = 0
    for cut in cuts:
        while begin < cut:
            stop = int(np.searchsorted(ordered, ordered[begin] + _GROUP_US, side="right"))
            stop = min(max(stop, begin + 1), cut)
            rows = order[begin:stop]
            groups.append((rows, int(ordered[begin]), int(hi[rows].max())))
            begin = stop
    groups.sort(key=lambda group: -len(group[0]) if group[0] is not None else 0)
    return groups


def add_many(window: _Engine, starts: Any, duration: Any) -> npt.NDArray[np.datetime64]:
    """`ServiceWindow.add_many`."""
    import numpy as np

    t = _instants_us(starts, "starts")
    if isinstance(duration, np.ndarray):
        if not np.issubdtype(duration.dtype, np.timedelta64) or duration.shape != t.shape:
            raise InvalidInputError(
                "duration must be a timedelta or a timedelta64 array as long as starts"
            )
        d = duration.astype("timedelta64[us]").view(np.int64)
        missing = (t == _NAT) | (d == _NAT)
        if np.any((d < 0) & ~missing):
            raise InvalidInputError("durations cannot be negative")
    else:
        d = np.full(t.shape, _duration_us(duration), dtype=np.int64)
        missing = t == _NAT
    out = np.full(t.shape, _NAT, dtype=np.int64)
    if window._zone is None:
        ok = ~missing & (d <= _MAX_US - np.maximum(t, 0))  # past datetime.max: NaT
        out[ok] = t[ok] + d[ok]
        return out.view("datetime64[us]")
    ok = ~missing & (t >= _BATCH_LO) & (t <= _BATCH_HI)
    if not ok.any():  # none to compute (an empty batch included)
        return out.view("datetime64[us]")
    every = bool(ok.all())
    tv, dv = (t, d) if every else (t[ok], d[ok])
    result = np.empty(len(tv), dtype=np.int64)
    for rows, _, _ in _groups(tv, tv):
        if rows is None:
            result = _due_us(window, tv, dv)
        else:
            result[rows] = _due_us(window, tv[rows], dv[rows])
    if every:
        answer: npt.NDArray[np.datetime64] = result.view("datetime64[us]")
        return answer
    out[ok] = result
    return out.view("datetime64[us]")


def _due_us(window: _Engine, at: Int64Array, duration: Int64Array) -> Int64Array:
    """`add` for each row of a weekly window: instants inside the batch range, durations >= 0.

    A due time past the last date the engine handles is ``_NAT``.
    """
    import numpy as np

    positive = duration > 0
    rows: Int64Array | None = None  # the rows still to place; None for all of them
    if not positive.all():
        if not positive.any():
            unchanged: Int64Array = at.copy()
            return unchanged  # a zero duration ends where it starts
        rows = np.flatnonzero(positive)
    window._require_open_sometime()
    span = window._span_for(int(at.min()), int(at.max()))
    result: Int64Array = at.copy()
    at_end = False
    while True:
        if rows is None:
            target = span.business_many(at) + duration
        else:
            target = span.business_many(at[rows]) + duration[rows]
        # The due instant lies in the first interval whose open time reaches the target.
        columns = span.columns
        index = columns.after.right(target - 1)
        found = columns.starts_after[index] < span.hi
        due: Int64Array = target - columns.origin_after[index]
        if rows is None and found.all():
            return due
        if rows is None:
            np.copyto(result, due, where=found)
            rows = np.flatnonzero(~found)
        else:
            result[rows[found]] = due[found]
            rows = rows[~found]
        if not len(rows):
            return result
        if at_end:  # due after the last date the engine handles
            result[rows] = _NAT
            return result
        # The slowest row leads the growth (and raises if the window stays closed).
        slowest = int(rows[np.argmax(target[~found])])
        try:
            span = window._forward(int(at[slowest]), int(duration[slowest]), span)[0]
        except _BeyondRangeError:
            span, at_end = window._span_for(span.lo, span.hi, grow_to=_LAST_DAY), True


def is_open_many(window: _Engine, instants: Any) -> npt.NDArray[np.bool_]:
    """`ServiceWindow.is_open_many`."""
    import numpy as np

    t = _instants_us(instants, "instants")
    present: npt.NDArray[np.bool_] = t != _NAT
    if window._zone is None:
        return present
    ok = present & (t >= _BATCH_LO) & (t <= _BATCH_HI)
    if not ok.any():  # none to compute (an empty batch included)
        return np.zeros(t.shape, dtype=bool)
    every = bool(ok.all())
    tv = t if every else t[ok]
    opened = np.empty(len(tv), dtype=bool)
    for rows, lo, hi in _groups(tv, tv):
        span = window._span_for(lo, hi)
        if rows is None:
            opened = span.open_many(tv)
        else:
            opened[rows] = span.open_many(tv[rows])
    if every:
        return opened
    out: npt.NDArray[np.bool_] = np.zeros(t.shape, dtype=bool)
    out[ok] = opened
    return out


def next_open_many(window: _Engine, instants: Any) -> npt.NDArray[np.datetime64]:
    """`ServiceWindow.next_open_many`."""
    import numpy as np

    t = _instants_us(instants, "instants")
    if window._zone is None:
        same: npt.NDArray[np.datetime64] = t.copy().view("datetime64[us]")
        return same
    out = np.full(t.shape, _NAT, dtype=np.int64)
    ok = (t != _NAT) & (t >= _BATCH_LO) & (t <= _BATCH_HI)
    if not ok.any():  # none to compute (an empty batch included)
        return out.view("datetime64[us]")
    every = bool(ok.all())
    window._require_open_sometime()
    tv: Int64Array = t if every else t[ok]
    result: Int64Array = tv.copy()
    for rows, lo, hi in _groups(tv, tv):
        if rows is None:
            result = _next_open_us(window, tv, lo, hi)
        else:
            result[rows] = _next_open_us(window, tv[rows], lo, hi)
    if every:
        answer: npt.NDArray[np.datetime64] = result.view("datetime64[us]")
        return answer
    out[ok] = result
    return out.view("datetime64[us]")


def _next_open_us(window: _Engine, tv: Int64Array, lo: int, hi: int) -> Int64Array:
    """`next_open` for each row of a weekly window (instants in [lo, hi])."""
    import numpy as np

    span = window._span_for(lo, hi)
    columns = span.columns
    index = columns.starts.right(tv)
    closed = tv >= columns.ends_before[index]
    result: Int64Array = tv.copy()
    # A closed instant's next opening is the next interval's start, if the span holds it.
    following = columns.starts_after[index]
    near = closed & (following < span.hi)
    result[near] = following[near]
    far = np.flatnonzero(closed & ~near)
    if len(far):
        # Further away: where one microsecond of business time after it is used up, less it.
        due = _due_us(window, tv[far], np.ones(len(far), dtype=np.int64))
        result[far] = np.where(due == _NAT, _NAT, due - 1)
    return result


def elapsed_many(
    window: _Engine, starts: Any, ends: Any, on_error: Literal["nat", "raise"]
) -> npt.NDArray[np.timedelta64]:
    """`ServiceWindow.elapsed_many`."""
    import numpy as np

    if on_error not in ("nat", "raise"):
        raise InvalidInputError(f"on_error must be 'nat' or 'raise', got {on_error!r}")
    a = _instants_us(starts, "starts")
    b = _instants_us(ends, "ends")
    if a.shape != b.shape:
        raise InvalidInputError(
            f"starts and ends must be as long as each other, got {len(a)} and {len(b)}"
        )
    missing = (a == _NAT) | (b == _NAT)
    reversed_ = ~missing & (b < a)
    if on_error == "raise" and reversed_.any():
        first = int(np.flatnonzero(reversed_)[0])
        raise InvalidInputError(
            f"{int(reversed_.sum())} pairs end before they start (first at index {first})"
        )
    ok = ~(missing | reversed_)
    if window._zone is not None:
        ok &= (a >= _BATCH_LO) & (b <= _BATCH_HI)
    out = np.full(a.shape, _NAT, dtype=np.int64)
    if ok.any():
        av, bv = a[ok], b[ok]
        if window._zone is None:
            out[ok] = bv - av
        else:
            spent = np.empty(len(av), dtype=np.int64)
            # A pair that spans decades is summed stretch by stretch (rare: a loop is fine).
            wide = np.flatnonzero(bv - av > _CHUNK_US)
            if len(wide):
                for row in wide.tolist():
                    spent[row] = window._elapsed_us(int(av[row]), int(bv[row]))
                narrow = np.flatnonzero(bv - av <= _CHUNK_US)
                if len(narrow):
                    spent[narrow] = _spent_us(window, av[narrow], bv[narrow])
            else:
                spent = _spent_us(window, av, bv)
            out[ok] = spent
    return out.view("timedelta64[us]")


def _spent_us(window: _Engine, av: Int64Array, bv: Int64Array) -> Int64Array:
    """Business time for each pair of a weekly window (pairs no wider than ``_CHUNK_US``)."""
    import numpy as np

    spent = np.empty(len(av), dtype=np.int64)
    for rows, lo, hi in _groups(av, bv):
        span = window._span_for(lo, hi)
        if rows is None:
            spent = span.business_many(bv) - span.business_many(av)
        else:
            spent[rows] = span.business_many(bv[rows]) - span.business_many(av[rows])
    return spent
