"""Instants in, for the batch forms of a service window: sequences and arrays to int64 arrays.

Instants are integer microseconds since the Unix epoch (UTC) in int64 arrays; ``_NAT`` (numpy's
NaT) marks a missing value. A list of aware datetimes is read with C-level passes, each row's
offset read as seldom as the answer allows (`_offsets_us`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from itertools import accumulate, compress, repeat
from operator import add, attrgetter, is_, methodcaller, sub
from typing import TYPE_CHECKING, Any

from socialcare._errors import InvalidInputError, TimezoneError
from socialcare._sla._intervals import _DAY_US, _EPOCH, _NAT, _ONE_US

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
_FIXED_METHODS: frozenset[Any] | None = None


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
    offset is honoured), read once per tzinfo instance, or per three-day step where that gives the
    same offset (`_offsets_us`), and the arithmetic is Python's own datetime subtraction.
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


def _offsets_us(zone: Any, walls: Int64Array, present: list[datetime]) -> Int64Array:
    """Each row's ``utcoffset()`` in microseconds, for rows that all carry ``zone`` and whose
    wall clocks (microseconds from 1970-01-01 on the zone's clock) are ``walls``.

    A zone whose offset is one per instance is asked once. A zone read from the tz database
    (`_RULE_ZONES`) is asked on its own clock at the boundaries of every ``_STEP_US`` (three
    days) that holds a row, and of the steps either side. The tz database never changes a
    zone's offset twice within a step plus both changes, nor by a step or more at once
    (``tests/test_sla_batch.py`` checks every zone), so a step whose two ends differ holds
    exactly one change: the instant where the clock's reading (asked with fold=1) switches is
    found by bisection, all the steps at once, to within ``_STEP_US >> _BISECTIONS``. A row
    takes the offset of its side of the switch, and the rows within the change's size of a
    switch (the repeated or skipped hour, either fold) are asked one by one, as are the rows
    of any other tzinfo.
    """
    import numpy as np

    size = len(present)
    if _fixed_per_instance(zone):
        return np.full(size, _offset_us(present[0]), dtype=np.int64)
    if type(zone) not in _rule_zones() or size < _PROBE_MIN_ROWS:
        return _each_offset_us(present)
    step = _STEP_US
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
        if dense:  # consecutive boundaries: one C-level pass of datetime additions
            start = wall_epoch + timedelta(microseconds=int(marks[0]) * step)
            each_step = repeat(timedelta(microseconds=step), len(marks) - 1)
            probes = accumulate(each_step, add, initial=start)
            at = _each_offset_us(list(map(_FOLD_1, probes)))
        else:
            at = _probe_offsets_us(wall_epoch, marks * step)
        # A row's step s has its boundaries s - 1 .. s + 2 at consecutive places in marks.
        place = steps - (first - 1) if dense else np.searchsorted(marks, steps)
        offsets: Int64Array = at[place]
        # The steps whose two ends differ (and are consecutive boundaries): one change each.
        changed = np.flatnonzero((at[1:] != at[:-1]) & (marks[1:] == marks[:-1] + 1))
        if not len(changed):
            return offsets
        before, after = at[changed], at[changed + 1]
        low = marks[changed] * step  # the clock reads ``before`` at low, ``after`` at high
        high = low + step
        for _ in range(_BISECTIONS):
            middle = (low + high) // 2
            got = _probe_offsets_us(wall_epoch, middle)
            if not np.all((got == before) | (got == after)):  # pragma: no cover - defensive
                return _each_offset_us(present)  # a third offset: not one change, ask each row
            left = got == before
            low = np.where(left, middle, low)
            high = np.where(left, high, middle)
    except OverflowError:  # a step at the end of datetime's range: ask each row
        return _each_offset_us(present)
    # Only rows in a changed step or either side of one can be past a switch or near one.
    touched = np.zeros(len(marks) + 1, dtype=bool)
    touched[changed] = touched[changed + 1] = touched[changed - 1] = True
    rows = np.flatnonzero(touched[place])
    row_walls, row_places = walls[rows], place[rows]
    # Rows past the switch of their own step take the offset after it.
    switch = np.full(len(marks), np.iinfo(np.int64).max, dtype=np.int64)
    switch[changed] = high
    later = row_walls >= switch[row_places]
    offsets[rows[later]] = at[row_places[later] + 1]
    # Rows within the change's size of a switch (either fold) are asked one by one. The
    # windows are in time order; a row is in one when the furthest end of the windows that
    # start at or before it reaches it.
    sizes = np.abs(after - before)
    window_end = np.maximum.accumulate(high + sizes)
    index = np.searchsorted(low - sizes, row_walls, side="right") - 1
    near = rows[(index >= 0) & (window_end[np.maximum(index, 0)] >= row_walls)]
    if len(near):
        offsets[near] = _each_offset_us([present[row] for row in near.tolist()])
    return offsets


def _probe_offsets_us(wall_epoch: datetime, walls: Int64Array) -> Int64Array:
    """The offsets (µs) of ``wall_epoch``'s zone at the wall clocks ``walls`` (µs), fold 1."""
    at = [wall_epoch + timedelta(microseconds=wall) for wall in walls.tolist()]
    return _each_offset_us(list(map(_FOLD_1, at)))


# Probes are asked with fold=1: either fold switches once per change, and dateutil skips its
# ambiguity test for fold=1 (1.6 µs a call instead of 2.8).
_FOLD_1 = methodcaller("replace", fold=1)


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
# The step at which a tz database zone's offsets are probed (see `_offsets_us`), and how
# many halvings locate a change within a step (three days / 128: about 34 minutes). The
# closest offset changes in the tz database are 3.96 days apart less their sizes (Freetown,
# 1939); ``tests/test_sla_batch.py`` checks every zone of pytz's copy and of the system's.
_STEP_US = 3 * _DAY_US
_BISECTIONS = 7
_RULE_ZONES: frozenset[type] | None = None


def _fixed_per_instance(zone: Any) -> bool:
    """Whether ``zone`` (a tzinfo or its type) gives one offset whatever the date."""
    kind = zone if isinstance(zone, type) else type(zone)
    return kind is timezone or getattr(kind, "utcoffset", None) in _fixed_offset_methods()


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


def _fixed_offset_methods() -> frozenset[Any]:
    """The ``utcoffset`` functions of tzinfo classes whose offset is one per instance: pytz's
    and dateutil's fixed offsets.

    pytz gives each period of a zone (and each fixed offset) its own tzinfo instance, and its
    ``utcoffset(dt)`` for a ``dt`` that carries that instance is the instance's ``_utcoffset``
    whatever the date.
    """
    global _FIXED_METHODS
    if _FIXED_METHODS is None:
        import pytz
        from dateutil import tz as dateutil_tz
        from pytz import tzinfo as pytz_tzinfo

        _FIXED_METHODS = frozenset(
            {
                pytz_tzinfo.StaticTzInfo.utcoffset,
                pytz_tzinfo.DstTzInfo.utcoffset,
                type(pytz.utc).utcoffset,
                pytz._FixedOffset.utcoffset,
                dateutil_tz.tzutc.utcoffset,
                dateutil_tz.tzoffset.utcoffset,
            }
        )
    return _FIXED_METHODS


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
