"""Instants in, for the batch forms of a service window, and the batch arithmetic itself.

Instants are integer microseconds since the Unix epoch (UTC) in int64 arrays; ``_NAT`` (numpy's
NaT) marks a missing value. Each batch form answers every row without a per-item Python loop.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from socialcare._errors import InvalidInputError, TimezoneError
from socialcare._sla._intervals import (
    _BATCH_HI,
    _BATCH_LO,
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


def _to_us(value: Any, what: str) -> int:
    """An aware datetime as integer microseconds since the epoch (UTC)."""
    if not isinstance(value, datetime):
        raise InvalidInputError(f"{what} must be an aware datetime, got {type(value).__name__}")
    try:
        return (value - _EPOCH) // _ONE_US
    except TypeError:  # naive: no offset to subtract
        raise TimezoneError(
            f"{what} {value!r} is naive: attach a zone, e.g. datetime(..., tzinfo=timezone.utc)"
        ) from None


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
    items = list(values)
    out = np.empty(len(items), dtype=np.int64)
    for index, item in enumerate(items):
        if item is None or (isinstance(item, np.datetime64) and np.isnat(item)):
            out[index] = _NAT
        elif isinstance(item, np.datetime64):
            out[index] = item.astype("datetime64[us]").astype(np.int64)
        else:
            out[index] = _to_us(item, f"{what}[{index}]")
    return out


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
    if not ok.any():
        return out.view("datetime64[us]")
    tv, dv = t[ok], d[ok]
    if np.any(dv > 0):
        window._require_open_sometime()
    span = window._span_for(int(tv.min()), int(tv.max()))
    result = tv.copy()  # a zero duration ends where it starts
    pending = np.flatnonzero(dv > 0)
    at_end = False
    while len(pending):
        target = span.business_many(tv[pending]) + dv[pending]
        index = np.searchsorted(span.after, target, side="left")
        count = len(span.starts)
        if count:
            safe = np.minimum(index, count - 1)
            found = (index < count) & (span.starts[safe] < span.hi)
            chosen = safe[found]
            result[pending[found]] = span.starts[chosen] + target[found] - span.before[chosen]
            pending, target = pending[~found], target[~found]
        if len(pending) and at_end:  # due after the last date the engine handles
            result[pending] = _NAT
            break
        if len(pending):
            # The slowest row leads the growth (and raises if the window stays closed).
            slowest = int(pending[np.argmax(target)])
            try:
                span = window._forward(int(tv[slowest]), int(dv[slowest]), span)[0]
            except _BeyondRangeError:
                span, at_end = window._span_for(span.lo, span.hi, grow_to=_LAST_DAY), True
    out[ok] = result
    return out.view("datetime64[us]")


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
            span = window._span_for(int(av.min()), int(bv.max()))
            out[ok] = span.business_many(bv) - span.business_many(av)
    return out.view("timedelta64[us]")
