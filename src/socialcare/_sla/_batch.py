"""Instants in, for the batch forms of a service window, and the batch arithmetic itself.

Instants are integer microseconds since the Unix epoch (UTC) in int64 arrays; ``_NAT`` (numpy's
NaT) marks a missing value. Each batch form answers every row without a per-item Python loop.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from itertools import compress, repeat
from operator import attrgetter, is_, sub
from typing import TYPE_CHECKING, Any, Literal

from socialcare._errors import InvalidInputError, TimezoneError
from socialcare._sla._intervals import (
    _BATCH_HI,
    _BATCH_LO,
    _CHUNK_US,
    _DAY_US,
    _EPOCH,
    _LAST_DAY,
    _MAX_US,
    _NAT,
    _ONE_US,
    _BeyondRangeError,
    _Engine,
)

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Int64Array = npt.NDArray[np.int64]

_NONE_TYPE = type(None)
_PLAIN = frozenset({datetime, _NONE_TYPE})
_SECONDS = timedelta.total_seconds
_TZINFO = attrgetter("tzinfo")
_EPOCH_NAIVE = datetime(1970, 1, 1)
# Seconds from the epoch below which a float total_seconds() gives the exact microseconds.
_EXACT_SECONDS = 2.0**32
_PYTZ_FIXED: frozenset[Any] | None = None


def _to_us(value: Any, what: str) -> int:
    """An aware datetime as integer microseconds since the epoch (UTC)."""
    if not isinstance(value, datetime):
        raise InvalidInputError(f"{what} must be an aware datetime, got {type(value).__name__}")
    try:
        found = (value - _EPOCH) // _ONE_US
    except TypeError:  # naive: no offset to subtract
        raise TimezoneError(
            f"{what} {value!r} is naive: attach a zone, e.g. datetime(..., tzinfo=timezone.utc)"
        ) from None
    if type(found) is not int:  # pandas.NaT (a datetime subclass) gives NaN
        raise InvalidInputError(
            f"{what} is missing ({value!r}): give an aware datetime (the batch forms read "
            "a missing value as a missing row)"
        )
    return found


def _duration_us(duration: Any) -> int:
    if not isinstance(duration, timedelta):
        raise InvalidInputError(
            f"a duration must be a datetime.timedelta, got {type(duration).__name__}"
        )
    value: int = duration // _ONE_US
    if value < 0:
        raise InvalidInputError(
            f"a duration cannot be negative, got {duration!r}: business time only runs forward"
        )
    return value


def _instants_us(values: Any, what: str) -> Int64Array:
    """Instants as int64 microseconds (UTC); missing values (NaT, None) become ``_NAT``.

    numpy ``datetime64`` arrays are read as UTC (numpy has no zones) with no Python loop;
    anything else is a sequence of aware datetimes (or ``None``).
    """
    import numpy as np

    if isinstance(values, np.ndarray):
        if np.issubdtype(values.dtype, np.datetime64):
            out: Int64Array = values.astype("datetime64[us]").view(np.int64).ravel()
            return out
        if values.dtype != object:
            raise InvalidInputError(
                f"{what} must hold datetime64 values or aware datetimes, got dtype {values.dtype}"
            )
    elif isinstance(values, (str, bytes, datetime)) or not isinstance(values, Iterable):
        raise InvalidInputError(
            f"{what} must be a sequence of aware datetimes or a datetime64 array, "
            f"got {type(values).__name__}"
        )
    items = values if type(values) is list else list(values)
    fast = _aware_list_us(items)
    if fast is not None:
        return fast
    out = np.empty(len(items), dtype=np.int64)
    for index, item in enumerate(items):
        if item is None or _is_nat(item):
            out[index] = _NAT
        elif isinstance(item, np.datetime64):
            out[index] = item.astype("datetime64[us]").astype(np.int64)
        else:
            out[index] = _to_us(item, f"{what}[{index}]")
    return out


def _is_nat(item: Any) -> bool:
    """Whether ``item`` is a missing value that is not ``None``: ``numpy.datetime64("NaT")``,
    ``pandas.NaT``, a float NaN (anything not equal to itself)."""
    try:
        return bool(item != item)
    except Exception:  # a comparison that raises or gives no truth value: not missing
        return False


def _aware_list_us(items: list[Any]) -> Int64Array | None:
    """`_instants_us` of a list that holds only plain aware datetimes and ``None``, or ``None``
    for any other list (the per-item loop then answers, and names a bad row).

    The steps are C-level ``map`` passes, with no Python bytecode per item, and the answers
    are those of `_to_us`: each item counts with its own ``utcoffset()`` (so a fold or a pytz
    offset is honoured), read once per tzinfo instance or per day where that gives the same
    offset (`_offsets_us`), and the arithmetic is Python's own datetime subtraction.
    """
    import numpy as np

    kinds = set(map(type, items))
    if not kinds <= _PLAIN:
        return None  # subclasses (pandas.Timestamp), numpy scalars, wrong types
    count = len(items)
    absent = None
    present = items
    if _NONE_TYPE in kinds:
        absent = np.fromiter(map(is_, items, repeat(None)), dtype=bool, count=count)
        present = list(compress(items, (~absent).tolist()))
    if not present:
        return _with_absent(np.empty(0, dtype=np.int64), absent, count)
    tzinfos = list(map(_TZINFO, present))
    zone = tzinfos[0]
    try:
        if _one_object(tzinfos, zone):
            found = _one_zone_us(present, zone)
        else:
            found = _many_zones_us(present, tzinfos)
    except Exception:
        return None  # a naive item (TypeError) or a failing tzinfo: the loop reports it
    return _with_absent(found, absent, count)


def _one_object(tzinfos: list[Any], zone: Any) -> bool:
    """Whether every item of ``tzinfos`` is the object ``zone``."""
    if getattr(type(zone), "__eq__", None) is object.__eq__:
        # Equality is identity: the C-level count compares pointers first, and only them.
        return tzinfos.count(zone) == len(tzinfos)
    return all(map(is_, tzinfos, repeat(zone)))


def _one_zone_us(present: list[datetime], zone: Any) -> Int64Array:
    """`_aware_list_us` of rows that all carry the tzinfo object ``zone``."""
    import numpy as np

    if zone is None:
        raise TypeError("naive")
    size = len(present)
    if _fixed_per_instance(zone):
        # The epoch on the zone's own clock: a difference from it is the instant's.
        epoch = _epoch_in(zone)
        seconds = np.fromiter(
            map(_SECONDS, map(sub, present, repeat(epoch))), dtype=np.float64, count=size
        )
        return _exact_us(seconds, present, epoch)
    # The wall clock is the difference from the epoch written in the zone (Python ignores a
    # zone both sides share, and asks no offset), less the row's offset.
    wall_epoch = _EPOCH_NAIVE.replace(tzinfo=zone)
    walls = map(sub, present, repeat(wall_epoch))
    seconds = np.fromiter(map(_SECONDS, walls), dtype=np.float64, count=size)
    found = _exact_us(seconds, present, None)
    found -= _offsets_us(zone, found, present)
    return found


def _many_zones_us(present: list[datetime], tzinfos: list[Any]) -> Int64Array:
    """`_aware_list_us` of rows whose tzinfo objects differ (pytz's periods, mixed zones)."""
    import numpy as np

    size = len(present)
    types = set(map(type, tzinfos))
    if all(map(_fixed_per_instance, types)):
        # pytz (one instance per period) and fixed offsets: one epoch per instance. pytz and
        # ``timezone`` hash by identity or offset, so an instance may stand for an equal one.
        if all(map(_hash_by_identity_or_offset, types)):
            keys: list[Any] = tzinfos
            epochs = {zone: _epoch_in(zone) for zone in dict.fromkeys(tzinfos)}
        else:
            keys = list(map(id, tzinfos))
            distinct = dict(zip(keys, tzinfos, strict=True))
            epochs = {key: _epoch_in(zone) for key, zone in distinct.items()}
        deltas = map(sub, present, map(epochs.__getitem__, keys))
        seconds = np.fromiter(map(_SECONDS, deltas), dtype=np.float64, count=size)
        return _exact_us(seconds, present, _EPOCH)
    # Mixed zones: wall clocks in each row's own zone, then each zone's offsets.
    ids = list(map(id, tzinfos))
    zones = dict(zip(ids, tzinfos, strict=True))
    walls_epochs = {key: _EPOCH_NAIVE.replace(tzinfo=zone) for key, zone in zones.items()}
    walls = map(sub, present, map(walls_epochs.__getitem__, ids))
    seconds = np.fromiter(map(_SECONDS, walls), dtype=np.float64, count=size)
    found = _exact_us(seconds, present, None)
    code_of = {key: code for code, key in enumerate(zones)}
    codes = np.fromiter(map(code_of.__getitem__, ids), dtype=np.int64, count=size)
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(zones) + 1))
    for code, zone in enumerate(zones.values()):
        rows = order[bounds[code] : bounds[code + 1]]
        found[rows] -= _offsets_us(zone, found[rows], [present[row] for row in rows.tolist()])
    return found


def _offsets_us(zone: Any, walls: Int64Array, present: list[datetime], step: int = 0) -> Int64Array:
    """Each row's ``utcoffset()`` in microseconds, for rows that all carry ``zone`` and whose
    wall clocks (microseconds from 1970-01-01 on the zone's clock) are ``walls``.

    A zone whose offset is one per instance is asked once. A zone read from the tz database
    (`_RULE_ZONES`) is asked on its own clock every ``step`` (`_STEP_US`, two days, at first),
    and a row takes the offset of the step it falls in when the zone gave one offset at the
    step's start, its end, and the boundaries either side. The tz database never changes a
    zone's offset twice within ``_STEP_US`` plus the change (``tests/test_sla_batch.py``
    checks every zone), and a change never exceeds a day: such a step holds no change and no
    repeated or skipped hour, and its rows share that offset whatever their fold. The rows of
    other steps are read again at an eighth of the step while that still exceeds every change
    seen, and then one by one, as are the rows of any other tzinfo.
    """
    import numpy as np

    size = len(present)
    if _fixed_per_instance(zone):
        return np.full(size, _offset_us(present[0]), dtype=np.int64)
    step = step or _STEP_US
    if type(zone) not in _rule_zones() or size < _PROBE_MIN_ROWS:
        return _each_offset_us(present)
    steps = walls // step
    first, last = int(steps.min()), int(steps.max())
    dense = last - first + 4 <= size
    if dense:
        marks: Int64Array = np.arange(first - 1, last + 3, dtype=np.int64)
    else:  # the steps that hold rows, and their neighbours
        marks = np.unique((np.unique(steps)[:, None] + np.arange(-1, 3)).ravel())
        if len(marks) > size:  # asking each row costs less
            return _each_offset_us(present)
    wall_epoch = _EPOCH_NAIVE.replace(tzinfo=zone)
    try:
        at = _each_offset_us(
            [wall_epoch + timedelta(microseconds=mark * step) for mark in marks.tolist()]
        )
    except OverflowError:  # a step at the end of datetime's range: ask each row
        return _each_offset_us(present)
    # A row's step s has its boundaries s - 1 .. s + 2 at consecutive places in marks.
    place = steps - (first - 1) if dense else np.searchsorted(marks, steps)
    same = at[1:] == at[:-1]
    steady = np.zeros(len(marks), dtype=bool)
    steady[1:-2] = same[:-2] & same[1:-1] & same[2:]
    offsets: Int64Array = at[place]
    unsteady = np.flatnonzero(~steady[place])
    if len(unsteady):
        rows = [present[row] for row in unsteady.tolist()]
        finer = step // 8
        if finer > int(np.abs(np.diff(at)).max()) and finer >= _FINEST_STEP_US:
            offsets[unsteady] = _offsets_us(zone, walls[unsteady], rows, finer)
        else:
            offsets[unsteady] = _each_offset_us(rows)
    return offsets


def _each_offset_us(present: list[datetime]) -> Int64Array:
    """Each row's ``utcoffset()`` in microseconds, asked row by row."""
    import numpy as np

    # None (a tzinfo that gives no offset: naive) fails total_seconds: TypeError.
    given: list[Any] = list(map(datetime.utcoffset, present))
    offsets = np.fromiter(map(_SECONDS, given), dtype=np.float64, count=len(present))
    found: Int64Array = np.rint(offsets * 1e6).astype(np.int64)
    return found


def _offset_us(at: datetime) -> int:
    offset = at.utcoffset()
    if offset is None:
        raise TypeError("naive")
    return offset // _ONE_US


def _epoch_in(zone: Any) -> datetime:
    """1970-01-01 00:00 UTC written on the clock of ``zone``, a zone whose offset is one per
    instance, carrying ``zone`` itself (pytz would pick another instance on conversion)."""
    offset = _offset_us(_EPOCH_NAIVE.replace(tzinfo=zone))
    epoch = (_EPOCH_NAIVE + timedelta(microseconds=offset)).replace(tzinfo=zone)
    if epoch.utcoffset() != timedelta(microseconds=offset):  # pragma: no cover - defensive
        raise TypeError("offset not fixed")
    return epoch


# Fewer rows than this are asked their offsets one by one: probing costs more.
_PROBE_MIN_ROWS = 64
# The step at which a tz database zone's offsets are probed (see `_offsets_us`).
_STEP_US = 2 * _DAY_US
_FINEST_STEP_US = 3_600_000_000
_RULE_ZONES: frozenset[type] | None = None


def _fixed_per_instance(zone: Any) -> bool:
    """Whether ``zone`` (a tzinfo or its type) gives one offset whatever the date."""
    kind = zone if isinstance(zone, type) else type(zone)
    return kind is timezone or getattr(kind, "utcoffset", None) in _pytz_fixed()


def _hash_by_identity_or_offset(kind: type) -> bool:
    """Whether instances of ``kind`` hash by identity (pytz's) or by their offset (``timezone``),
    so that a dict keyed by them maps each to itself or to an instance with the same offset."""
    return kind is timezone or getattr(kind, "__hash__", None) is object.__hash__


def _rule_zones() -> frozenset[type]:
    """tzinfo classes read from the tz database: `zoneinfo.ZoneInfo`, dateutil's ``tzfile``."""
    global _RULE_ZONES
    if _RULE_ZONES is None:
        import zoneinfo

        from dateutil import tz as dateutil_tz

        _RULE_ZONES = frozenset({zoneinfo.ZoneInfo, dateutil_tz.tzfile})
    return _RULE_ZONES


def _with_absent(found: Int64Array, absent: npt.NDArray[np.bool_] | None, count: int) -> Int64Array:
    """``found`` (the present rows) spread over ``count`` rows, ``_NAT`` where ``absent``."""
    import numpy as np

    if absent is None:
        return found
    out = np.full(count, _NAT, dtype=np.int64)
    out[~absent] = found
    return out


def _pytz_fixed() -> frozenset[Any]:
    """The ``utcoffset`` functions of tzinfo classes whose offset is one per instance: pytz's
    and dateutil's fixed offsets.

    pytz gives each period of a zone (and each fixed offset) its own tzinfo instance, and its
    ``utcoffset(dt)`` for a ``dt`` that carries that instance is the instance's ``_utcoffset``
    whatever the date.
    """
    global _PYTZ_FIXED
    if _PYTZ_FIXED is None:
        import pytz
        from dateutil import tz as dateutil_tz
        from pytz import tzinfo as pytz_tzinfo

        _PYTZ_FIXED = frozenset(
            {
                pytz_tzinfo.StaticTzInfo.utcoffset,
                pytz_tzinfo.DstTzInfo.utcoffset,
                type(pytz.utc).utcoffset,
                pytz._FixedOffset.utcoffset,
                dateutil_tz.tzutc.utcoffset,
                dateutil_tz.tzoffset.utcoffset,
            }
        )
    return _PYTZ_FIXED


def _exact_us(seconds: npt.NDArray[np.float64], items: list[datetime], epoch: Any) -> Int64Array:
    """Exact microseconds from ``timedelta.total_seconds()`` of ``item - epoch``.

    A float total is correctly rounded: below 2**32 s (the years 1833 to 2106) it is within
    0.24 µs of the truth, so the whole seconds plus the rounded fraction is the exact count.
    Rows further out are recomputed with integer arithmetic (``epoch`` None: the epoch in the
    item's own zone, that is its wall clock).
    """
    import numpy as np

    whole = np.floor(seconds)
    found: Int64Array = whole.astype(np.int64) * 1_000_000
    found += np.rint((seconds - whole) * 1e6).astype(np.int64)
    for index in np.flatnonzero(np.abs(seconds) >= _EXACT_SECONDS).tolist():
        item = items[index]
        base = _EPOCH_NAIVE.replace(tzinfo=item.tzinfo) if epoch is None else epoch
        found[index] = (item - base) // _ONE_US
    return found


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
